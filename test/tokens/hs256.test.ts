// The synchronous HS256 check of this library's own tokens (src/tokens/hs256.ts)
// against jose's jwtVerify with the options verify() gives it: for any payload
// (claims missing, of the wrong type, expired, not yet valid, for another
// audience or issuer, not JSON, not UTF-8) and any signature, both accept with
// the same claims or both refuse with the same error code.
import { createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { CompactSign, jwtVerify } from 'jose'
import { describe, expect, test } from 'vitest'
import { decodeBase64url, encodeBase64url } from '../../src/lib/base64url.js'
import { hmacKey } from '../../src/lib/sha256.js'
import { createTokens, mapJoseError, TOKEN_TYPE } from '../../src/tokens/create.js'
import { TokenError } from '../../src/tokens/errors.js'
import { canonicalHeader, jwsKey, jwsMac, verifyHs256 } from '../../src/tokens/hs256.js'

const secret = randomBytes(32)
const cryptoKey = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
const key = hmacKey(secret)
const header = canonicalHeader('k1', TOKEN_TYPE)
const jws = jwsKey(key, header, 'etc')
const NOW = 1_795_000_000
const b64 = (bytes: Uint8Array | string) => encodeBase64url(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes)
const sign = (input: string) => b64(createHmac('sha256', secret).update(input).digest())

const claimValue = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: NOW - 1000, max: NOW + 1000 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('etc', 'other', 'o', 'c', 'w', null, true, [], ['o'], ['c', 'w'], ['o', 'c'], {}),
)
const claims = fc.record(
  { iss: claimValue, sub: claimValue, aud: claimValue, iat: claimValue, jti: claimValue, exp: claimValue, nbf: claimValue, mid: claimValue },
  { requiredKeys: [] },
)
// Mostly well-formed claim sets, with any one claim possibly replaced by an arbitrary value.
const nearlyValid = fc
  .tuple(
    fc.record({
      iss: fc.constant<unknown>('etc'),
      sub: fc.constant<unknown>('c_1'),
      aud: fc.constantFrom<unknown>(['o', 'c', 'w'], 'o', 'c', 'w', ['o']),
      iat: fc.constant<unknown>(NOW - 10),
      jti: fc.constant<unknown>('t1'),
      exp: fc.option(fc.integer({ min: NOW - 2, max: NOW + 2 }), { nil: undefined }),
      nbf: fc.option(fc.integer({ min: NOW - 2, max: NOW + 2 }), { nil: undefined }),
    }),
    fc.option(fc.tuple(fc.constantFrom('iss', 'sub', 'aud', 'iat', 'jti', 'exp', 'nbf'), claimValue), { nil: undefined }),
  )
  .map(([c, change]) => (change ? { ...c, [change[0]]: change[1] } : c))
const payloadBytes = fc.oneof(
  { weight: 3, arbitrary: claims.map((c) => new TextEncoder().encode(JSON.stringify(c))) },
  { weight: 4, arbitrary: nearlyValid.map((c) => new TextEncoder().encode(JSON.stringify(c))) },
  { weight: 1, arbitrary: fc.constantFrom('[]', 'null', '1', '"x"', '{', '{"iss":"etc"}x', '').map((t) => new TextEncoder().encode(t)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
)

type Outcome = { ok: true; claims: unknown } | { ok: false; code: string }

async function viaJose(compact: string, purposeCode: string, purpose: 'open' | 'click' | 'withdraw'): Promise<Outcome> {
  try {
    const { payload } = await jwtVerify(compact, cryptoKey, {
      algorithms: ['HS256'], typ: TOKEN_TYPE, issuer: 'etc', audience: purposeCode,
      requiredClaims: ['sub', 'jti', 'iat', 'aud'], currentDate: new Date(NOW * 1000 + 500),
    })
    return { ok: true, claims: payload }
  } catch (err) {
    return { ok: false, code: mapJoseError(err, purpose).code }
  }
}

function viaFastPath(compact: string, purposeCode: string, purpose: string): Outcome {
  const [h, p] = compact.split('.') as [string, string, string]
  const signedEnd = h.length + 1 + p.length
  try {
    const chars = new TextEncoder().encode(compact)
    const checked = verifyHs256(jws, chars, signedEnd, chars.length, decodeBase64url(p)!, { issuer: 'etc', audience: purposeCode, now: NOW }, purpose)
    // A forged signature is refused by return, not by throw.
    if (checked instanceof TokenError) return { ok: false, code: checked.code }
    return { ok: true, claims: checked }
  } catch (err) {
    if (!(err instanceof TokenError)) throw err
    return { ok: false, code: err.code }
  }
}

describe('HS256 fast path', () => {
  test('property: the MAC from the shared 64-byte start is the MAC of the whole signing input', () => {
    expect(jws.prefix).toHaveLength(64)
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.boolean(), (rest, shared) => {
        // Inputs sharing the key's first 64 bytes, and inputs that do not.
        const input = shared ? `${header}.${b64(`{"iss":"etc","sub":"${rest}`)}` : `${header}.${b64(rest)}`
        const chars = new TextEncoder().encode(input)
        // A shared input starts with exactly the key's 64 bytes, so it takes the short path.
        if (shared) expect(Buffer.from(chars.subarray(0, 64)).equals(Buffer.from(jws.prefix!))).toBe(true)
        expect(encodeBase64url(jwsMac(jws, chars, chars.length, new Uint8Array(32)))).toBe(sign(input))
      }),
    )
  })

  test('gives jose’s answer for any payload and signature', async () => {
    const purpose = fc.constantFrom(['open', 'o'], ['click', 'c'], ['withdraw', 'w']) as fc.Arbitrary<['open' | 'click' | 'withdraw', string]>
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(payloadBytes, purpose, fc.constantFrom('good', 'flipped', 'other-key'), async (bytes, [name, code], signature) => {
        const p = b64(bytes)
        let s = sign(`${header}.${p}`)
        if (signature === 'flipped') s = `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`
        if (signature === 'other-key') s = b64(createHmac('sha256', randomBytes(32)).update(`${header}.${p}`).digest())
        const compact = `${header}.${p}.${s}`
        const [fast, jose] = [viaFastPath(compact, code, name), await viaJose(compact, code, name)]
        expect(fast).toEqual(jose)
        if (fast.ok) accepted++
      }),
      { numRuns: 3000 },
    )
    // The generator reaches acceptance too, not only refusals.
    expect(accepted).toBeGreaterThan(20)
  })

  test('the header is the one jose writes when signing, so issued tokens take this path', async () => {
    const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
    const token = await tokens.sign({ purpose: 'open', contactId: 'c_1' })
    expect(token.split('.')[0]).toBe(header)
    await expect(tokens.verify(token, { purpose: 'open' })).resolves.toMatchObject({ contactId: 'c_1' })
  })

  test('tokens are signed with the very bytes jose writes, and jose verifies them', async () => {
    const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('open', 'click', 'withdraw', 'preferences', 'consent', 'unsubscribe'),
        fc.stringMatching(/^[A-Za-z0-9_.:-]{1,40}$/),
        fc.option(fc.stringMatching(/^[^@]{1,30}$/), { nil: undefined }),
        async (purpose, contactId, messageId) => {
          const token = await tokens.sign({ purpose, contactId, ...(messageId ? { messageId } : {}), url: 'https://x.example/é' })
          const [h, p, s] = token.split('.') as [string, string, string]
          const payload = decodeBase64url(p)!
          const byJose = await new CompactSign(payload).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: TOKEN_TYPE }).sign(cryptoKey)
          expect(`${h}.${p}.${s}`).toBe(byJose)
          const { payload: claims } = await jwtVerify(byJose, cryptoKey, { algorithms: ['HS256'], typ: TOKEN_TYPE })
          expect(claims.sub).toBe(contactId)
        },
      ),
      { numRuns: 300 },
    )
  })

  test('a header with the same fields in another order or spacing goes through jose and still verifies', async () => {
    const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
    const token = await tokens.sign({ purpose: 'open', contactId: 'c_1' })
    const [, p, , tag] = token.split('.') as [string, string, string, string]
    for (const h of [b64(`{"kid":"k1","alg":"HS256","typ":"${TOKEN_TYPE}"}`), b64(`{ "alg": "HS256", "kid": "k1", "typ": "${TOKEN_TYPE}" }`)]) {
      expect(h).not.toBe(header)
      const resigned = `${h}.${p}.${sign(`${h}.${p}`)}.${tag}`
      await expect(tokens.verify(resigned, { purpose: 'open' })).resolves.toMatchObject({ contactId: 'c_1' })
    }
  })

  test('an invalid clock is refused rather than skipping the expiry check', async () => {
    const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
    const token = await tokens.sign({ purpose: 'open', contactId: 'c_1', expiresIn: 60 })
    await expect(tokens.verify(token, { purpose: 'open', now: new Date(Number.NaN) })).rejects.toMatchObject({ code: 'invalid-input' })
  })
})
