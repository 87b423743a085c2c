import { createHash, createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { asciiBytes, decodeBase64url, decodeBase64urlBytes, encodeBase64url, isBase64urlBytesOf, isCanonicalBase64url, randomId } from '../../src/lib/base64url.js'

// The byte-level functions, read over a string's characters as the token check reads them.
const decodeBase64urlScratch = (text: string, start: number, end: number) => {
  const chars = asciiBytes(text)
  return chars && decodeBase64urlBytes(chars, start, end)
}
const isBase64urlOf = (text: string, start: number, end: number, bytes: Uint8Array, length = bytes.length) => {
  const chars = asciiBytes(text)
  return chars !== undefined && isBase64urlBytesOf(chars, start, end, bytes, length)
}
import { hmac, hmacKey, hmacKeyAfter, sha256, sha256Hex, timingSafeEqual, toHex, useNative } from '../../src/lib/sha256.js'

test('Node has a native one-shot SHA-256, which the module uses by default', () => {
  expect(useNative(true)).toBe(true)
})

// Every answer below, from node:crypto's hash() and from the JS rounds (browsers and workers).
describe.each([
  ['native', true],
  ['js', false],
])('%s SHA-256', (_name, native) => {
  beforeAll(() => {
    expect(useNative(native)).toBe(native)
  })
  afterAll(() => {
    useNative(true)
  })

  describe('sha256', () => {
    test('matches the FIPS 180-4 examples', () => {
      expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
      expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
      expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe(
        '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
      )
    })

    test('matches node:crypto for every length around the block edges and for random input', () => {
      for (let n = 0; n < 300; n++) {
        const data = randomBytes(n)
        expect(sha256Hex(data)).toBe(createHash('sha256').update(data).digest('hex'))
      }
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), (s) => sha256Hex(s) === createHash('sha256').update(s).digest('hex')),
      )
    })
  })

  describe('hmac', () => {
    test('matches node:crypto for short, block-sized and long keys', () => {
      for (const keyLength of [1, 32, 64, 65, 200]) {
        const secret = randomBytes(keyLength)
        const key = hmacKey(secret)
        for (let n = 0; n < 150; n += 7) {
          const msg = randomBytes(n)
          expect(toHex(hmac(key, msg))).toBe(createHmac('sha256', secret).update(msg).digest('hex'))
        }
      }
    })

    test('property: a byte range, and a key that absorbed a prefix, give the MAC of exactly those bytes', () => {
      const secret = randomBytes(32)
      const key = hmacKey(secret)
      const reference = (bytes: Uint8Array) => createHmac('sha256', secret).update(bytes).digest('hex')
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 3 }), (bytes, a, b, blocks) => {
          const start = a % (bytes.length + 1)
          const end = start + (b % (bytes.length - start + 1))
          expect(toHex(hmac(key, bytes, new Uint8Array(32), start, end))).toBe(reference(bytes.subarray(start, end)))
          const prefix = randomBytes(64 * blocks)
          const after = hmacKeyAfter(key, prefix)
          expect(toHex(hmac(after, bytes, new Uint8Array(32), start, end))).toBe(reference(Buffer.concat([prefix, bytes.subarray(start, end)])))
          expect(toHex(hmac(after, bytes))).toBe(reference(Buffer.concat([prefix, bytes])))
        }),
      )
      expect(() => hmac(key, new Uint8Array(4), undefined, 2, 5)).toThrow(RangeError)
      expect(() => hmac(key, 'text', undefined, 0, 2)).toThrow(RangeError)
      expect(() => hmacKeyAfter(key, new Uint8Array(10))).toThrow(RangeError)
    })
    test('sha256 of a string and of its UTF-8 bytes agree, and each call gets its own digest', () => {
      const a = sha256('héllo wörld')
      const b = sha256(new TextEncoder().encode('héllo wörld'))
      expect(a).toEqual(b)
      expect(a).not.toBe(b)
      expect(toHex(a)).toBe(createHash('sha256').update('héllo wörld').digest('hex'))
    })

    test('hmac of a long string (past the scratch size) and of a long byte range', () => {
      const secret = randomBytes(32)
      const key = hmacKey(secret)
      const long = 'é'.repeat(3000)
      expect(toHex(hmac(key, long))).toBe(createHmac('sha256', secret).update(long).digest('hex'))
      const bytes = randomBytes(5000)
      expect(toHex(hmac(key, bytes, new Uint8Array(32), 7, 4999))).toBe(createHmac('sha256', secret).update(bytes.subarray(7, 4999)).digest('hex'))
    })
  })
})

test('timingSafeEqual', () => {
  expect(timingSafeEqual('abc', 'abc')).toBe(true)
  expect(timingSafeEqual('abc', 'abd')).toBe(false)
  expect(timingSafeEqual('abc', 'ab')).toBe(false)
})

describe('base64url', () => {
  test('round-trips and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = encodeBase64url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(decodeBase64url(text)).toEqual(bytes)
      }),
    )
  })

  test('refuses characters outside the alphabet and non-canonical endings', () => {
    expect(decodeBase64url('ab+c')).toBeUndefined()
    expect(decodeBase64url('a')).toBeUndefined()
    expect(decodeBase64url('AA')).toEqual(new Uint8Array([0]))
    expect(decodeBase64url('AB')).toBeUndefined()
  })

  test('decodes any string exactly as a strict reference does: Buffer, refusing foreign characters, a length of 4n+1 and non-zero trailing bits', () => {
    // The reference: Buffer decodes leniently, so strictness is checked around it.
    const strict = (text: string): Uint8Array | undefined => {
      if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined
      const bytes = new Uint8Array(Buffer.from(text, 'base64url'))
      return Buffer.from(bytes).toString('base64url') === text ? bytes : undefined
    }
    const char = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') },
      { weight: 1, arbitrary: fc.constantFrom('+', '/', '=', '.', ' ', '\0', '\x7f', 'é', '\uD800', '\u0100', '\u0141') },
    )
    fc.assert(
      fc.property(fc.array(char, { maxLength: 40 }), (chars) => {
        const text = chars.join('')
        expect(decodeBase64url(text)).toEqual(strict(text))
      }),
      { numRuns: 20_000 },
    )
  })

  test('isCanonicalBase64url agrees with strict decoding on every base64url string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/), (text) => {
        expect(isCanonicalBase64url(text)).toBe(decodeBase64url(text) !== undefined)
      }),
      { numRuns: 5000 },
    )
  })

  test('ranges: decoding, the canonical check and isBase64urlOf read text[start, end) as the slice itself', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), fc.stringMatching(/^[A-Za-z0-9_-]{0,30}$/), fc.string({ maxLength: 8 }), (before, text, after) => {
        const whole = before + text + after
        const start = before.length
        const end = start + text.length
        const decoded = decodeBase64urlScratch(whole, start, end)
        expect(decoded && Uint8Array.from(decoded)).toEqual(decodeBase64url(text))
        expect(isCanonicalBase64url(whole, start, end)).toBe(isCanonicalBase64url(text))
        const bytes = decodeBase64url(text)
        if (bytes) expect(isBase64urlOf(whole, start, end, bytes)).toBe(true)
      }),
      { numRuns: 5000 },
    )
  })

  test('isBase64urlOf holds exactly when the range is the encoding of the first `length` bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(40), fc.string({ maxLength: 60 }), (bytes, cut, other) => {
        const length = Math.min(cut, bytes.length)
        const encoded = encodeBase64url(bytes.subarray(0, length))
        expect(isBase64urlOf(`.${encoded}.`, 1, encoded.length + 1, bytes, length)).toBe(true)
        // Any other text, of any length, is refused.
        expect(isBase64urlOf(other, 0, other.length, bytes, length)).toBe(other === encoded)
        for (let i = 0; i < encoded.length; i++) {
          const changed = encoded.slice(0, i) + (encoded[i] === 'A' ? 'B' : 'A') + encoded.slice(i + 1)
          expect(isBase64urlOf(changed, 0, changed.length, bytes, length)).toBe(false)
        }
      }),
      { numRuns: 3000 },
    )
  })

  test('hmac and sha256 stay right when called in turn with inputs of every size (shared scratch space)', () => {
    const key = hmacKey(randomBytes(32))
    const secret = randomBytes(32)
    for (let n = 0; n < 1500; n += 7) {
      const text = 'é'.repeat(n % 50) + 'a'.repeat(n)
      expect(toHex(hmac(key, text))).toBe(toHex(hmac(key, new TextEncoder().encode(text))))
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text).digest('hex'))
      const k2 = hmacKey(secret)
      expect(toHex(hmac(k2, text))).toBe(createHmac('sha256', secret).update(text).digest('hex'))
      // Into a caller's buffer: the same digest, in that buffer.
      const out = new Uint8Array(32)
      expect(hmac(k2, text, out)).toBe(out)
      expect(toHex(out)).toBe(createHmac('sha256', secret).update(text).digest('hex'))
    }
  })

  test('randomId: the asked length, never repeated across many pool refills, bytes spread evenly', () => {
    const seen = new Set<string>()
    const counts = new Array(256).fill(0)
    for (let i = 0; i < 20_000; i++) {
      const size = [9, 12, 16, 4097][i % 4]!
      const id = randomId(size)
      expect(decodeBase64url(id)!.length).toBe(size)
      expect(seen.has(id)).toBe(false)
      seen.add(id)
      if (size === 16) for (const b of decodeBase64url(id)!) counts[b]++
    }
    // 5,000 ids × 16 bytes: each byte value about 312 times; a stuck or zeroed pool would be far off.
    expect(Math.min(...counts)).toBeGreaterThan(200)
    expect(Math.max(...counts)).toBeLessThan(450)
  })
})
