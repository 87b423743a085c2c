const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

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

/** Decodes unpadded base64url; returns `undefined` for any character outside the alphabet or an impossible length. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let bits = 0
  let value = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? LOOKUP[c]! : -1
    if (v < 0) return undefined
    value = (value << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (value >>> bits) & 0xff
    }
  }
  // Non-canonical trailing bits would let two strings decode to the same bytes.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined
  return out
}

/**
 * Whether `text`, already known to hold only base64url characters, is the
 * canonical encoding of some bytes: a possible length, and zero trailing bits
 * (the test {@link decodeBase64url} applies, without decoding).
 */
export function isCanonicalBase64url(text: string): boolean {
  const rest = text.length % 4
  if (rest === 1) return false
  if (rest === 0) return true
  const last = LOOKUP[text.charCodeAt(text.length - 1)]!
  return (last & (rest === 2 ? 15 : 3)) === 0
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
