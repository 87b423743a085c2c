// Known JWT attack classes beyond the basics in tokens.test.ts. Each forged token
// must be refused with a TokenError, never accepted or answered with another error.
import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { createTokens, TokenError } from '../../src/tokens/index.js'

const secret = randomBytes(32)
const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
const b64 = (s: string) => Buffer.from(s).toString('base64url')
const sign = (input: string, key: Buffer = secret) => createHmac('sha256', key).update(input).digest('base64url')

async function refused(token: string, code?: string) {
  const err = await tokens.verify(token, { purpose: 'withdraw' }).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err, `accepted: ${token.slice(0, 80)}`).toBeInstanceOf(TokenError)
  if (code) expect((err as TokenError).code).toBe(code)
}

describe('JWT attack classes', async () => {
  const valid = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1', messageId: 'm_1' })
  const [h, p, , tag] = valid.split('.') as [string, string, string, string]
  const header = JSON.parse(Buffer.from(h, 'base64url').toString())
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString())
  const build = (hdr: object, pl: object | string, key?: Buffer) => {
    const input = `${b64(JSON.stringify(hdr))}.${b64(typeof pl === 'string' ? pl : JSON.stringify(pl))}`
    return `${input}.${sign(input, key)}.${tag}`
  }

  test('kid injection (path traversal, SQL, empty) → unknown-key or malformed', async () => {
    for (const kid of ['../../../../dev/null', "k1' OR '1'='1", '', 'k1\u0000', '__proto__', 'constructor']) await refused(build({ ...header, kid }, payload))
  })

  test('alg variants: None, NONE, HS384, HS512, RS256, ES256 → bad-algorithm', async () => {
    for (const alg of ['None', 'NONE', 'nOnE', 'HS384', 'HS512', 'RS256', 'ES256', 'PS256']) await refused(build({ ...header, alg }, payload), 'bad-algorithm')
  })

  test('b64:false and crit headers are refused', async () => {
    await refused(build({ ...header, b64: false, crit: ['b64'] }, payload), 'forbidden-header')
  })

  test('JWE-shaped (5 segments) and nested JWT are refused as malformed', async () => {
    await refused(`${h}.${p}.AAAA.BBBB.${tag}`, 'malformed')
    await refused(build({ ...header, cty: 'JWT' }, valid), 'malformed')
  })

  test('claims of the wrong type or missing are refused', async () => {
    const cases = [
      { ...payload, sub: 42 },
      { ...payload, sub: 'jane@example.com' },
      { ...payload, exp: '9999999999' },
      { ...payload, iat: Math.floor(Date.now() / 1000) + 3600 },
      { ...payload, aud: 'w', jti: undefined },
      { ...payload, iss: undefined },
      { ...payload, mid: { $ne: null } },
    ]
    for (const pl of cases) await refused(build(header, pl))
  })

  test('payload that is not JSON, or JSON that is not an object', async () => {
    for (const pl of ['not json', '[]', 'null', '"string"', '1']) await refused(build(header, pl))
  })

  test('audience smuggling: a token for open with the withdraw audience appended by the attacker fails the signature', async () => {
    const openToken = await tokens.sign({ purpose: 'open', contactId: 'c_1' })
    const [oh, op, os] = openToken.split('.') as [string, string, string]
    const pl = JSON.parse(Buffer.from(op, 'base64url').toString())
    pl.aud = ['o', 'w']
    await refused(`${oh}.${b64(JSON.stringify(pl))}.${os}.${tag}`, 'bad-signature')
  })

  test('replay of a token across key rings: another deployment with the same kid but another secret refuses it', async () => {
    const other = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
    await expect(other.verify(valid, { purpose: 'withdraw' })).rejects.toMatchObject({ code: 'bad-signature' })
  })

  test('prototype pollution through the header does not leak', async () => {
    await refused(`${b64('{"__proto__":{"alg":"HS256"},"kid":"k1","typ":"etc+jwt"}')}.${p}.${sign('x')}.${tag}`)
    expect(({} as Record<string, unknown>).alg).toBeUndefined()
  })
})
