const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** base64url without padding (RFC 4648 §5). */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]! + ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]! + ALPHABET[(n >>> 6) & 63]!
  }
  return out
}

// 256 entries: any byte outside the alphabet (non-ASCII included) reads as -1.
const SEXTET = new Int16Array(256).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i

const encoder = new TextEncoder()
let ascii = new Uint8Array(512)

/**
 * The characters of `text` as bytes, in shared scratch space (valid until the
 * next call), or `undefined` when `text` is not all ASCII, which base64url
 * never is. The encoder copies in native code: reading a string a character
 * at a time costs several times more, on the sliced strings a request
 * parser makes most of all.
 */
export function asciiBytes(text: string): Uint8Array | undefined {
  if (text.length > ascii.length) ascii = new Uint8Array(Math.max(text.length, ascii.length * 2))
  const { read, written } = encoder.encodeInto(text, ascii)
  return read === text.length && written === text.length ? ascii : undefined
}

/** Decodes unpadded base64url; returns `undefined` for any character outside the alphabet or an impossible length. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const chars = asciiBytes(text)
  if (!chars || text.length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  return decodeInto(chars, 0, text.length, out) ? out : undefined
}

let scratch = new Uint8Array(2048)

/**
 * {@link decodeBase64url} of the ASCII characters `chars[start, end)` (see
 * {@link asciiBytes}) into shared scratch space: the bytes are valid only
 * until the next call, and nothing is allocated. (A fresh `Uint8Array` longer
 * than 64 bytes gets its own backing store, which costs V8 more than decoding
 * a token's payload.)
 */
export function decodeBase64urlBytes(chars: Uint8Array, start: number, end: number): Uint8Array | undefined {
  const count = end - start
  if (count % 4 === 1) return undefined
  const length = Math.floor((count * 3) / 4)
  if (length > scratch.length) scratch = new Uint8Array(Math.max(length, scratch.length * 2))
  const out = scratch.subarray(0, length)
  return decodeInto(chars, start, end, out) ? out : undefined
}

/** Decodes `chars[start, end)` (its length not 4n+1) into `out`, sized for it; false for a foreign character or non-zero trailing bits. */
function decodeInto(chars: Uint8Array, start: number, end: number, out: Uint8Array): boolean {
  const rest = (end - start) % 4
  const full = end - rest
  let o = 0
  // Four characters make three bytes; a character outside the alphabet makes `n` negative (SEXTET holds -1, which sign-extends).
  for (let i = start; i < full; i += 4) {
    const n = (SEXTET[chars[i]!]! << 18) | (SEXTET[chars[i + 1]!]! << 12) | (SEXTET[chars[i + 2]!]! << 6) | SEXTET[chars[i + 3]!]!
    if (n < 0) return false
    out[o] = n >>> 16
    out[o + 1] = (n >>> 8) & 0xff
    out[o + 2] = n & 0xff
    o += 3
  }
  if (rest === 0) return true
  const a = SEXTET[chars[full]!]!
  const b = SEXTET[chars[full + 1]!]!
  const c = rest === 3 ? SEXTET[chars[full + 2]!]! : 0
  if ((a | b | c) < 0) return false
  // Non-canonical trailing bits would let two strings decode to the same bytes.
  if (rest === 2 ? (b & 15) !== 0 : (c & 3) !== 0) return false
  out[o] = (a << 2) | (b >>> 4)
  if (rest === 3) out[o + 1] = ((b & 15) << 4) | (c >>> 2)
  return true
}

/**
 * Whether `text[start, end)` (default: all of it), already known to hold only base64url characters, is the
 * canonical encoding of some bytes: a possible length, and zero trailing bits
 * (the test {@link decodeBase64url} applies, without decoding).
 */
export function isCanonicalBase64url(text: string, start = 0, end = text.length): boolean {
  const rest = (end - start) % 4
  if (rest === 1) return false
  if (rest === 0) return true
  const c = text.charCodeAt(end - 1)
  const last = c < 256 ? SEXTET[c]! : -1
  return (last & (rest === 2 ? 15 : 3)) === 0
}

const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0))

/**
 * Whether the ASCII characters `chars[start, end)` are the unpadded base64url
 * encoding of the first `length` bytes of `bytes`, in time independent of
 * where they differ. No string is built: comparing a MAC this way costs less
 * than encoding it.
 */
export function isBase64urlBytesOf(chars: Uint8Array, start: number, end: number, bytes: Uint8Array, length = bytes.length): boolean {
  if (end - start !== Math.ceil((length * 4) / 3)) return false
  let diff = 0
  let o = start
  let i = 0
  for (; i + 2 < length; i += 3, o += 4) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    diff |= (chars[o]! ^ CODES[n >>> 18]!) | (chars[o + 1]! ^ CODES[(n >>> 12) & 63]!) | (chars[o + 2]! ^ CODES[(n >>> 6) & 63]!) | (chars[o + 3]! ^ CODES[n & 63]!)
  }
  const rest = length - i
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0)
    diff |= (chars[o]! ^ CODES[n >>> 18]!) | (chars[o + 1]! ^ CODES[(n >>> 12) & 63]!)
    if (rest === 2) diff |= chars[o + 2]! ^ CODES[(n >>> 6) & 63]!
  }
  return diff === 0
}

// Random bytes come from Web Crypto in 4 KiB draws, handed out once each: a call
// into Web Crypto costs more than the rest of an id, and a message needs several.
const POOL_BYTES = 4096
const pool = new Uint8Array(POOL_BYTES)
let poolOffset = POOL_BYTES

/** Random bytes from Web Crypto, as base64url. */
export function randomId(bytes = 16): string {
  if (bytes > POOL_BYTES) {
    const buf = new Uint8Array(bytes)
    globalThis.crypto.getRandomValues(buf)
    return encodeBase64url(buf)
  }
  if (poolOffset + bytes > POOL_BYTES) {
    globalThis.crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const out = pool.slice(poolOffset, poolOffset + bytes)
  // Used bytes are cleared, so they can never be handed out again.
  pool.fill(0, poolOffset, poolOffset + bytes)
  poolOffset += bytes
  return encodeBase64url(out)
}
