// keygen and token inspect|verify as child processes.
import { readFileSync, statSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { createTokens } from '../../src/tokens/create.js'
import { runCli, tempDir } from './helpers.js'

const tmp = tempDir('cli-keys')
afterAll(() => tmp.cleanup())
const cli = (args: string[], env?: Record<string, string | undefined>) => runCli(args, { cwd: tmp.dir, ...(env ? { env } : {}) })

describe('keygen', () => {
  test('prints an HS256 key with a 32-byte secret and a fresh kid each time', async () => {
    const a = JSON.parse((await cli(['keygen'])).stdout)
    const b = JSON.parse((await cli(['keygen'])).stdout)
    expect(a).toMatchObject({ alg: 'HS256', kid: expect.stringMatching(/^k\d{8}-[0-9a-f]{6}$/) })
    expect(Buffer.from(a.secret, 'base64url')).toHaveLength(32)
    expect(a.kid).not.toBe(b.kid)
    expect(a.secret).not.toBe(b.secret)
  })

  test('prints an Ed25519 key pair as JWK, with the kid, usable by createTokens', async () => {
    const key = JSON.parse((await cli(['keygen', '--alg', 'EdDSA', '--kid', 'ed-2026'])).stdout)
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'ed-2026', x: expect.any(String) })
    expect(key.publicJwk.d).toBeUndefined()
    expect(key.privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: 'ed-2026', d: expect.any(String) })
    const tokens = createTokens({ keys: [key] })
    const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1' })
    const verifier = createTokens({ keys: [{ ...key, privateJwk: undefined }] })
    expect((await verifier.verify(t, { purpose: 'withdraw' })).kid).toBe('ed-2026')
  })

  test('-o writes a private key file; it refuses to overwrite; --rotate puts a new signing key first', async () => {
    const file = tmp.file('ring.json')
    const first = await cli(['keygen', '-o', file, '--kid', 'old'])
    expect(first.code).toBe(0)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect((await cli(['keygen', '-o', file])).code).toBe(3)
    const rotated = await cli(['keygen', '-o', file, '--rotate', '--kid', 'new'])
    expect(rotated.stderr).toMatch(/signing key new \(HS256\), 1 older key kept/)
    expect(JSON.parse(readFileSync(file, 'utf8')).keys.map((k: { kid: string }) => k.kid)).toEqual(['new', 'old'])
    expect((await cli(['keygen', '-o', file, '--rotate', '--kid', 'new'])).code).toBe(3)
    expect((await cli(['keygen', '--kid', 'bad kid!'])).code).toBe(2)
    expect((await cli(['keygen', '--alg', 'RS256'])).code).toBe(2)
  })
})

describe('token', () => {
  test('verify: a token signed with the ring verifies, its purpose found from the token; old keys still verify after rotation', async () => {
    const file = tmp.file('tokens.json')
    await cli(['keygen', '-o', file, '--kid', 'k1'])
    const tokens = createTokens({ keys: JSON.parse(readFileSync(file, 'utf8')).keys })
    const message = await tokens.signMessage({ contactId: 'c_42', messageId: 'm_7', purposes: ['open', 'click', 'withdraw'] })
    await cli(['keygen', '-o', file, '--rotate', '--kid', 'k2'])
    const run = await cli(['token', 'verify', message.token('withdraw'), '--keys', file])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ verified: true, purpose: 'withdraw', contactId: 'c_42', messageId: 'm_7', kid: 'k1', issuedAt: expect.stringMatching(/^\d{4}-/) })
    expect(run.stderr).toMatch(/valid withdraw token for contact c_42, signed with key k1/)
    const viaEnv = await cli(['token', 'verify', message.token('open')], { ETC_KEYS: readFileSync(file, 'utf8') })
    expect(JSON.parse(viaEnv.stdout).purpose).toBe('open')
    const viaEnvFile = await cli(['token', 'verify', message.token('click'), '--purpose', 'click'], { ETC_KEYS_FILE: file })
    expect(viaEnvFile.code).toBe(0)
  })

  test('verify: exit 4 with the reason for a wrong purpose, a foreign key or a tampered token', async () => {
    const file = tmp.file('one.json')
    await cli(['keygen', '-o', file, '--kid', 'mine'])
    const tokens = createTokens({ keys: JSON.parse(readFileSync(file, 'utf8')).keys })
    const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1' })
    const wrong = await cli(['token', 'verify', t, '--keys', file, '--purpose', 'unsubscribe'])
    expect(wrong.code).toBe(4)
    expect(wrong.stderr).toMatch(/^error: token does not verify: wrong-purpose: /)
    const other = tmp.file('other.json')
    await cli(['keygen', '-o', other, '--kid', 'theirs'])
    const foreign = await cli(['token', 'verify', t, '--keys', other])
    expect(foreign.code).toBe(4)
    expect(foreign.stderr).toMatch(/unknown-key/)
    const parts = t.split('.')
    parts[1] = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()), sub: 'c_2' })).toString('base64url')
    const tampered = await cli(['token', 'verify', parts.join('.'), '--keys', file])
    expect(tampered.code).toBe(4)
    expect(tampered.stderr).toMatch(/bad-signature/)
  })

  test('verify needs keys (exit 2); a bad key file is bad input (exit 3)', async () => {
    const none = await cli(['token', 'verify', 'a.b.c.d'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/^error: no signing keys: pass --keys keys.json or set ETC_KEYS/)
    const bad = tmp.file('bad.json', '{"keys":[{"kid":"short","secret":"abc"}]}')
    const run = await cli(['token', 'verify', 'a.b.c.d', '--keys', bad])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/at least 32 bytes/)
    expect((await cli(['token', 'verify', 'a.b.c.d', '--keys', tmp.file('broken.json', '{nope')])).stderr).toMatch(/is not valid JSON/)
  })

  test('inspect names the purposes of a message token, for every purpose', async () => {
    const tokens = createTokens({ keys: [{ kid: 'x1', secret: new Uint8Array(32).fill(3) }] })
    const purposes = ['open', 'click', 'withdraw', 'preferences', 'consent', 'unsubscribe'] as const
    const message = await tokens.signMessage({ contactId: 'c_9', purposes })
    const out = JSON.parse((await cli(['token', 'inspect', message.token('open')])).stdout)
    expect(out.purposes).toEqual([...purposes])
  })

  test('inspect decodes without keys and says it did not verify; garbage is bad input', async () => {
    const tokens = createTokens({ keys: [{ kid: 'x1', secret: new Uint8Array(32).fill(3) }] })
    const t = await tokens.sign({ purpose: 'consent', contactId: 'c_9', messageId: 'm_1', noticeVersion: '2026-04', expiresIn: 3600 })
    const run = await cli(['token', 'inspect', t])
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout)
    expect(out).toMatchObject({ verified: false, purposes: ['consent'], contactId: 'c_9', messageId: 'm_1', noticeVersion: '2026-04', header: { kid: 'x1', alg: 'HS256' } })
    expect(new Date(out.expiresAt).getTime() - new Date(out.issuedAt).getTime()).toBe(3_600_000)
    expect(run.stderr).toMatch(/not verified/)
    const garbage = await cli(['token', 'inspect', 'hello'])
    expect(garbage.code).toBe(3)
    expect(garbage.stderr).toMatch(/^error: not a token of this library/)
  })
})
