// Synchronous SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), so the per-recipient
// path and the pixel can MAC without async Web Crypto calls. Where the runtime offers
// node:crypto's one-shot `hash()` (Node >= 20.12, and runtimes that mirror node:crypto),
// it hashes natively (SHA-NI where the CPU has it: a pixel token's MACs cost a quarter
// of the JS rounds); elsewhere (browsers, workers) the plain JS rounds below do.

// Int32 throughout: V8 keeps int32 values in registers, while uint32 values past
// 2^31 (what `>>> 0` and Uint32Array loads give) become doubles. Same bits.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])
const W = new Int32Array(64)
const encoder = new TextEncoder()

/** node:crypto's `hash(algorithm, data, outputEncoding)`: no object per call, unlike `createHash`. */
type OneShotHash = (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'latin1') => string

/** The runtime's one-shot SHA-256, when it has one that gives the FIPS 180-4 digest of "abc". */
function findNativeHash(): OneShotHash | undefined {
  try {
    const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const crypto = runtime?.getBuiltinModule?.('node:crypto') as { hash?: unknown } | undefined
    if (typeof crypto?.hash !== 'function') return undefined
    const hash = crypto.hash as OneShotHash
    const abc = latin1Into(hash('sha256', Uint8Array.of(97, 98, 99), 'latin1'), new Uint8Array(32), 0)
    return toHex(abc) === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' ? hash : undefined
  } catch {
    return undefined
  }
}

let nativeHash: OneShotHash | undefined = findNativeHash()

/**
 * Whether SHA-256 runs natively (node:crypto's `hash()`) rather than in JS.
 * `useNative(false)` forces the JS rounds and `useNative(true)` goes back to
 * the runtime's hash when it has one: for tests that hold both to the same
 * answers. Returns whether hashing is now native.
 */
export function useNative(native: boolean): boolean {
  nativeHash = native ? findNativeHash() : undefined
  return nativeHash !== undefined
}

/** Compresses the 64-byte block of `block` at `offset` into `state`. */
function compress(state: Int32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++, offset += 4) W[i] = (block[offset]! << 24) | (block[offset + 1]! << 16) | (block[offset + 2]! << 8) | block[offset + 3]!
  compressWords(state)
}

/** Compresses the block already in `W[0, 16)` into `state`. */
function compressWords(state: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!
    const w2 = W[i - 2]!
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!
  // Eight rounds a turn, the working variables renamed instead of shifted (h, g, … take the roles in turn).
  for (let i = 0; i < 64; i += 8) {
    h = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + (g ^ (e & (f ^ g))) + K[i + 0]! + W[i + 0]!) | 0
    d = (d + h) | 0
    h = (h + (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (c & (a ^ b)))) | 0
    g = (g + (((d >>> 6) | (d << 26)) ^ ((d >>> 11) | (d << 21)) ^ ((d >>> 25) | (d << 7))) + (f ^ (d & (e ^ f))) + K[i + 1]! + W[i + 1]!) | 0
    c = (c + g) | 0
    g = (g + (((h >>> 2) | (h << 30)) ^ ((h >>> 13) | (h << 19)) ^ ((h >>> 22) | (h << 10))) + ((h & a) ^ (b & (h ^ a)))) | 0
    f = (f + (((c >>> 6) | (c << 26)) ^ ((c >>> 11) | (c << 21)) ^ ((c >>> 25) | (c << 7))) + (e ^ (c & (d ^ e))) + K[i + 2]! + W[i + 2]!) | 0
    b = (b + f) | 0
    f = (f + (((g >>> 2) | (g << 30)) ^ ((g >>> 13) | (g << 19)) ^ ((g >>> 22) | (g << 10))) + ((g & h) ^ (a & (g ^ h)))) | 0
    e = (e + (((b >>> 6) | (b << 26)) ^ ((b >>> 11) | (b << 21)) ^ ((b >>> 25) | (b << 7))) + (d ^ (b & (c ^ d))) + K[i + 3]! + W[i + 3]!) | 0
    a = (a + e) | 0
    e = (e + (((f >>> 2) | (f << 30)) ^ ((f >>> 13) | (f << 19)) ^ ((f >>> 22) | (f << 10))) + ((f & g) ^ (h & (f ^ g)))) | 0
    d = (d + (((a >>> 6) | (a << 26)) ^ ((a >>> 11) | (a << 21)) ^ ((a >>> 25) | (a << 7))) + (c ^ (a & (b ^ c))) + K[i + 4]! + W[i + 4]!) | 0
    h = (h + d) | 0
    d = (d + (((e >>> 2) | (e << 30)) ^ ((e >>> 13) | (e << 19)) ^ ((e >>> 22) | (e << 10))) + ((e & f) ^ (g & (e ^ f)))) | 0
    c = (c + (((h >>> 6) | (h << 26)) ^ ((h >>> 11) | (h << 21)) ^ ((h >>> 25) | (h << 7))) + (b ^ (h & (a ^ b))) + K[i + 5]! + W[i + 5]!) | 0
    g = (g + c) | 0
    c = (c + (((d >>> 2) | (d << 30)) ^ ((d >>> 13) | (d << 19)) ^ ((d >>> 22) | (d << 10))) + ((d & e) ^ (f & (d ^ e)))) | 0
    b = (b + (((g >>> 6) | (g << 26)) ^ ((g >>> 11) | (g << 21)) ^ ((g >>> 25) | (g << 7))) + (a ^ (g & (h ^ a))) + K[i + 6]! + W[i + 6]!) | 0
    f = (f + b) | 0
    b = (b + (((c >>> 2) | (c << 30)) ^ ((c >>> 13) | (c << 19)) ^ ((c >>> 22) | (c << 10))) + ((c & d) ^ (e & (c ^ d)))) | 0
    a = (a + (((f >>> 6) | (f << 26)) ^ ((f >>> 11) | (f << 21)) ^ ((f >>> 25) | (f << 7))) + (h ^ (f & (g ^ h))) + K[i + 7]! + W[i + 7]!) | 0
    e = (e + a) | 0
    a = (a + (((b >>> 2) | (b << 30)) ^ ((b >>> 13) | (b << 19)) ^ ((b >>> 22) | (b << 10))) + ((b & c) ^ (d & (b ^ c)))) | 0
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0
  state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0
  state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0
}

// Scratch space: every function here is synchronous, so one set is never shared by two calls at once.
const STATE = new Int32Array(8)
let text = new Uint8Array(512)

/** Writes a string's UTF-8 bytes into the scratch `text` (valid until the next call) and returns their count. */
function utf8(data: string): number {
  if (data.length * 3 > text.length) text = new Uint8Array(Math.max(data.length * 3, text.length * 2))
  // The encoder copies in native code (about 35 ns whatever the length; a JS loop takes 1–2 ns a
  // character, more on the sliced strings a request parser makes); below 16 characters the loop wins.
  if (data.length >= 16) return encoder.encodeInto(data, text).written
  let i = 0
  for (; i < data.length; i++) {
    const c = data.charCodeAt(i)
    if (c > 0x7f) break
    text[i] = c
  }
  if (i === data.length) return i
  const { written } = encoder.encodeInto(data.slice(i), text.subarray(i))
  return i + written
}

/**
 * Hashes the `length` bytes of `data` from `start` on, starting from `state`,
 * which already absorbed `prefixBytes` bytes (a multiple of 64), padding
 * included: the digest is left in `state`.
 */
function absorbLast(state: Int32Array, data: Uint8Array, length: number, prefixBytes: number, start = 0): void {
  const full = start + length - (length % 64)
  for (let off = start; off < full; off += 64) compress(state, data, off)
  const rest = length % 64
  // The last block(s), loaded as words: the rest of the data, 0x80, zeros, the length in bits.
  W.fill(0, 0, 16)
  for (let i = 0; i < rest; i++) W[i >> 2] = W[i >> 2]! | (data[full + i]! << (24 - 8 * (i & 3)))
  W[rest >> 2] = W[rest >> 2]! | (0x80 << (24 - 8 * (rest & 3)))
  if (rest >= 56) {
    compressWords(state)
    W.fill(0, 0, 16)
  }
  const bits = (prefixBytes + length) * 8
  W[14] = Math.floor(bits / 2 ** 32) | 0
  W[15] = bits | 0 // ToInt32: the low 32 bits
  compressWords(state)
}

/** The digest held in `state`, as bytes into `out`. */
function digestInto(state: Int32Array, out: Uint8Array): Uint8Array {
  for (let i = 0; i < 8; i++) {
    const v = state[i]!
    out[i * 4] = v >>> 24; out[i * 4 + 1] = (v >>> 16) & 0xff
    out[i * 4 + 2] = (v >>> 8) & 0xff; out[i * 4 + 3] = v & 0xff
  }
  return out
}

/** {@link absorbLast} for the bytes `message[start, end)`, or for a string's UTF-8 encoding. */
function absorbMessage(state: Int32Array, message: Uint8Array | string, prefixBytes: number, start = 0, end?: number): void {
  if (typeof message !== 'string') return absorbLast(state, message, (end ?? message.length) - start, prefixBytes, start)
  const bytes = utf8(message) // before reading `text`, which it may replace
  absorbLast(state, text, bytes, prefixBytes)
}

/** SHA-256 of bytes or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Uint8Array {
  if (nativeHash) {
    const length = typeof data === 'string' ? utf8(data) : data.length
    return latin1Into(nativeHash('sha256', typeof data === 'string' ? text.subarray(0, length) : data, 'latin1'), new Uint8Array(32), 0)
  }
  STATE.set(IV)
  absorbMessage(STATE, data, 0)
  return digestInto(STATE, new Uint8Array(32))
}

/** SHA-256 as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return toHex(sha256(data))
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16)
  return s
}

/**
 * An HMAC-SHA256 key: its padded blocks for a native hash, and for the JS
 * rounds their states precomputed, so each MAC costs two or three
 * compressions for short messages.
 */
export interface HmacKey {
  readonly inner: Int32Array
  readonly outer: Int32Array
  /** The bytes the inner state has absorbed: the 64 of the pad, and any prefix of {@link hmacKeyAfter}. */
  readonly absorbed: number
  /** The inner pad block followed by any prefix of {@link hmacKeyAfter}: what the inner hash reads before the message. */
  readonly innerBytes: Uint8Array
  /** The outer pad block. */
  readonly outerBytes: Uint8Array
}

/** Prepares an HMAC-SHA256 key. */
export function hmacKey(secret: Uint8Array): HmacKey {
  let key = secret.length > 64 ? sha256(secret) : secret
  const block = new Uint8Array(64)
  block.set(key)
  const ipad = new Uint8Array(64)
  const opad = new Uint8Array(64)
  for (let i = 0; i < 64; i++) {
    ipad[i] = block[i]! ^ 0x36
    opad[i] = block[i]! ^ 0x5c
  }
  const inner = new Int32Array(IV)
  compress(inner, ipad, 0)
  const outer = new Int32Array(IV)
  compress(outer, opad, 0)
  key = new Uint8Array(0)
  return { inner, outer, absorbed: 64, innerBytes: ipad, outerBytes: opad }
}

/**
 * `key` with `prefix` (whole 64-byte blocks) already absorbed: `hmac(after,
 * rest)` is `hmac(key, prefix ‖ rest)`, one compression less per block of
 * prefix. For messages that all start the same way (a JWS header).
 */
export function hmacKeyAfter(key: HmacKey, prefix: Uint8Array): HmacKey {
  if (prefix.length % 64 !== 0) throw new RangeError('hmacKeyAfter: the prefix must be whole 64-byte blocks')
  const inner = new Int32Array(key.inner)
  for (let off = 0; off < prefix.length; off += 64) compress(inner, prefix, off)
  const innerBytes = new Uint8Array(key.innerBytes.length + prefix.length)
  innerBytes.set(key.innerBytes)
  innerBytes.set(prefix, key.innerBytes.length)
  return { inner, outer: key.outer, absorbed: key.absorbed + prefix.length, innerBytes, outerBytes: key.outerBytes }
}

/**
 * HMAC-SHA256 of `message` (the bytes `message[start, end)` when given, or a
 * UTF-8 string), written into `out` (32 bytes; a new array by default).
 */
export function hmac(key: HmacKey, message: Uint8Array | string, out: Uint8Array = new Uint8Array(32), start?: number, end?: number): Uint8Array {
  let bytes: Uint8Array
  let from: number
  let to: number
  if (typeof message === 'string') {
    if (start !== undefined || end !== undefined) throw new RangeError('hmac: start and end must lie within the message bytes')
    to = utf8(message)
    bytes = text
    from = 0
  } else {
    bytes = message
    from = start ?? 0
    to = end ?? message.length
    if (!(0 <= from && from <= to && to <= message.length)) throw new RangeError('hmac: start and end must lie within the message bytes')
  }
  // Natively even for a message of one block: two JS compressions cost about as much as two native
  // calls in a tight loop, and several times more in a loaded server, where the rounds' code and
  // tables compete for the caches with the network stack (perf: 1.4 us against 0.3 us a pixel hit).
  if (nativeHash) return nativeHmac(nativeHash, key, bytes, out, from, to)
  STATE.set(key.inner)
  absorbLast(STATE, bytes, to - from, key.absorbed, from)
  // The outer hash is one block, made here as words: the inner digest, 0x80, zeros, and the
  // length in bits of the pad and the digest (64 + 32 bytes).
  for (let i = 0; i < 8; i++) W[i] = STATE[i]!
  W[8] = 0x80000000 | 0
  W.fill(0, 9, 15)
  W[15] = (64 + 32) * 8
  STATE.set(key.outer)
  compressWords(STATE)
  return digestInto(STATE, out)
}

// Scratch space of the native HMAC: the inner hash's input (pad, prefix, message) and the outer one's (pad, inner digest).
const MAX_SHARED_INPUT = 8192
let innerInput = new Uint8Array(1024)
const outerInput = new Uint8Array(64 + 32)
// Views of `innerInput` by length: MACs of one kind share a length (the tokens of one shape), so each is made once.
let innerViews: Uint8Array[] = []

/** The 32 bytes of a latin1 digest string into `out` at `offset`. */
function latin1Into(digest: string, out: Uint8Array, offset: number): Uint8Array {
  for (let i = 0; i < 32; i++) out[offset + i] = digest.charCodeAt(i)
  return out
}

/** {@link hmac} of `message[start, end)` through the runtime's one-shot hash: two native calls, each over one contiguous copy. */
function nativeHmac(hash: OneShotHash, key: HmacKey, message: Uint8Array, out: Uint8Array, start: number, end: number): Uint8Array {
  const head = key.innerBytes.length
  const length = end - start
  const total = head + length
  // The shared scratch grows to a few KiB at most: a larger message gets a buffer of its own.
  const shared = total <= MAX_SHARED_INPUT
  if (shared && total > innerInput.length) {
    innerInput = new Uint8Array(MAX_SHARED_INPUT)
    innerViews = []
  }
  const input = shared ? innerInput : new Uint8Array(total)
  input.set(key.innerBytes)
  input.set(start === 0 && end === message.length ? message : message.subarray(start, end), head)
  const view = shared ? (innerViews[total] ??= input.subarray(0, total)) : input
  latin1Into(hash('sha256', view, 'latin1'), outerInput, 64)
  outerInput.set(key.outerBytes)
  return latin1Into(hash('sha256', outerInput, 'latin1'), out, 0)
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
