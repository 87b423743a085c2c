import { createHmac, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, test } from 'vitest'
import { createTokens, TokenError, TOKEN_PURPOSES, type TokenPurpose } from '../../src/tokens/index.js'
import { VERIFY_NOW, type VerifyNow } from '../../src/tokens/create.js'

const secret = randomBytes(32)
const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url')
const decode = (seg: string) => JSON.parse(Buffer.from(seg, 'base64url').toString())

async function expectCode(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toSatisfy((e: unknown) => e instanceof TokenError && e.code === code)
}

/** Re-signs arbitrary header/payload with HMAC `key`, keeping the original tag. */
function forge(header: object, payload: object, key: Buffer, tag: string) {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}.${tag}`
}

describe('sign and verify', () => {
  test('round-trips claims for each purpose', async () => {
    for (const purpose of TOKEN_PURPOSES) {
      const t = await tokens.sign({ purpose, contactId: 'c_42', messageId: 'm_1' })
      expect(t.split('.')).toHaveLength(4)
      const claims = await tokens.verify(t, { purpose })
      expect(claims).toMatchObject({ purpose, contactId: 'c_42', messageId: 'm_1', kid: 'k1' })
      expect(claims.tokenId).toMatch(/^[\w-]{16}$/)
    }
  })

  test('a token of one purpose never verifies as another', async () => {
    for (const purpose of TOKEN_PURPOSES) {
      const t = await tokens.sign({ purpose, contactId: 'c_1' })
      for (const other of TOKEN_PURPOSES.filter((p) => p !== purpose)) await expectCode(tokens.verify(t, { purpose: other }), 'wrong-purpose')
    }
  })

  test('signMessage: one signature, a distinct token per purpose, each bound to its purpose', async () => {
    const purposes: TokenPurpose[] = ['open', 'click', 'withdraw']
    const mt = await tokens.signMessage({ contactId: 'c_7', messageId: 'm_9', purposes })
    const [o, c, w] = purposes.map((p) => mt.token(p))
    expect(new Set([o, c, w]).size).toBe(3)
    expect((await tokens.verify(w!, { purpose: 'withdraw' })).tokenId).toBe(mt.tokenId)
    // Swapping the tag of the open token onto the withdraw purpose fails: the tag is per purpose.
    await expectCode(tokens.verify(o!, { purpose: 'withdraw' }), 'bad-signature')
    // A purpose outside the signed audience is refused even with a matching-looking tag.
    await expectCode(tokens.verify(o!, { purpose: 'unsubscribe' }), 'wrong-purpose')
    expect(() => mt.token('unsubscribe')).toThrowError(TokenError)
  })

  test('refuses an email-like contactId (no personal data in URLs)', async () => {
    for (const contactId of ['jane@example.com', 'x-jane%40example.fr', ' J.Doe@Example.ORG ']) {
      await expectCode(tokens.sign({ purpose: 'open', contactId }), 'personal-data')
    }
    await expectCode(tokens.sign({ purpose: 'open', contactId: '' }), 'invalid-input')
    await expectCode(tokens.sign({ purpose: 'nope' as TokenPurpose, contactId: 'c' }), 'invalid-input')
  })

  test('expiry', async () => {
    const t = await tokens.sign({ purpose: 'open', contactId: 'c', expiresIn: 60 })
    expect((await tokens.verify(t, { purpose: 'open' })).expiresAt).toBeGreaterThan(Date.now() / 1000)
    await expectCode(tokens.verify(t, { purpose: 'open', now: new Date(Date.now() + 61_000) }), 'expired')
  })

  test('click targets are bound to their token', async () => {
    const mt = await tokens.signMessage({ contactId: 'c', purposes: ['click'], linkScope: 'tpl1' })
    const claims = await tokens.verify(mt.token('click'), { purpose: 'click' })
    const mac = tokens.linkMac('tpl1', 'https://shop.example/a')
    expect(tokens.isBoundTarget(claims, 'https://shop.example/a', mac)).toBe(true)
    expect(tokens.isBoundTarget(claims, 'https://evil.example/', mac)).toBe(false)
    expect(tokens.isBoundTarget(claims, 'https://evil.example/', tokens.linkMac('other', 'https://evil.example/'))).toBe(false)
    expect(tokens.isBoundTarget(claims, 'https://shop.example/a', undefined)).toBe(false)
    const single = await tokens.sign({ purpose: 'click', contactId: 'c', url: 'https://shop.example/b' })
    const singleClaims = await tokens.verify(single, { purpose: 'click' })
    expect(tokens.isBoundTarget(singleClaims, 'https://shop.example/b')).toBe(true)
    expect(tokens.isBoundTarget(singleClaims, 'https://shop.example/c')).toBe(false)
  })
})

describe('attacks are rejected', () => {
  test('alg: none', async () => {
    const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c' })
    const [, p, , tag] = t.split('.')
    await expectCode(tokens.verify(`${b64(JSON.stringify({ alg: 'none', kid: 'k1', typ: 'etc+jwt' }))}.${p}..${tag}`, { purpose: 'withdraw' }), 'malformed')
    await expectCode(tokens.verify(`${b64(JSON.stringify({ alg: 'none', kid: 'k1', typ: 'etc+jwt' }))}.${p}.AA.${tag}`, { purpose: 'withdraw' }), 'bad-algorithm')
  })

  test('HS256/EdDSA confusion: the public key used as an HMAC secret', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const publicJwk = await exportJWK(publicKey)
    const macSecret = randomBytes(32)
    const ed = createTokens({ keys: [{ kid: 'ed', alg: 'EdDSA', publicJwk, privateJwk: await exportJWK(privateKey), macSecret }] })
    const good = await ed.sign({ purpose: 'withdraw', contactId: 'c' })
    expect((await ed.verify(good, { purpose: 'withdraw' })).kid).toBe('ed')
    const [, p, , tag] = good.split('.')
    const forged = forge({ alg: 'HS256', kid: 'ed', typ: 'etc+jwt' }, decode(p!), Buffer.from(publicJwk.x!, 'base64url'), tag!)
    await expectCode(ed.verify(forged, { purpose: 'withdraw' }), 'bad-algorithm')
    // A verify-only instance (public key only) verifies but cannot sign.
    const verifier = createTokens({ keys: [{ kid: 'ed', alg: 'EdDSA', publicJwk, macSecret }] })
    expect((await verifier.verify(good, { purpose: 'withdraw' })).contactId).toBe('c')
    await expectCode(verifier.sign({ purpose: 'open', contactId: 'c' }), 'no-signing-key')
    // And an EdDSA-signed token never verifies under an HS256 ring.
    await expectCode(tokens.verify(good, { purpose: 'withdraw' }), 'unknown-key')
  })

  test('tampered header, payload, signature and tag', async () => {
    const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1', messageId: 'm' })
    const [h, p, s, tag] = t.split('.') as [string, string, string, string]
    const payload = decode(p)
    await expectCode(tokens.verify([b64(JSON.stringify({ ...decode(h), extra: 1 })), p, s, tag].join('.'), { purpose: 'withdraw' }), 'bad-signature')
    await expectCode(tokens.verify([h, b64(JSON.stringify({ ...payload, sub: 'c_2' })), s, tag].join('.'), { purpose: 'withdraw' }), 'bad-signature')
    const flipped = (s[0] === 'A' ? 'B' : 'A') + s.slice(1)
    await expectCode(tokens.verify([h, p, flipped, tag].join('.'), { purpose: 'withdraw' }), 'bad-signature')
    await expectCode(tokens.verify([h, p, s, (tag[0] === 'A' ? 'B' : 'A') + tag.slice(1)].join('.'), { purpose: 'withdraw' }), 'bad-signature')
    // Re-signed with a guessed secret.
    await expectCode(tokens.verify(forge(decode(h), payload, randomBytes(32), tag), { purpose: 'withdraw' }), 'bad-signature')
  })

  test('non-canonical base64url (same bytes, other string) is refused', async () => {
    const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1' })
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const parts = t.split('.')
    for (const i of [2, 3]) {
      const seg = parts[i]!
      // Flipping the lowest bit of the last character changes only unused padding bits.
      const last = alphabet[alphabet.indexOf(seg.at(-1)!) ^ 1]!
      const twin = [...parts]
      twin[i] = seg.slice(0, -1) + last
      expect(Buffer.from(twin[i]!, 'base64url')).toEqual(Buffer.from(seg, 'base64url'))
      await expectCode(tokens.verify(twin.join('.'), { purpose: 'withdraw' }), 'malformed')
    }
  })

  test('any edit that leaves a token outside four canonical base64url segments is malformed, whatever else is wrong', async () => {
    const wellFormed = (t: string) =>
      /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(t) && t.split('.').every((seg) => Buffer.from(seg, 'base64url').toString('base64url') === seg)
    const base = await tokens.sign({ purpose: 'open', contactId: 'c_1', messageId: 'm_1', expiresIn: 60 })
    const edit = fc.record({
      at: fc.nat({ max: base.length }),
      cut: fc.nat({ max: 3 }),
      insert: fc.string({ unit: fc.constantFrom('.', '=', '+', '/', ' ', '%', 'é', '\uD800', 'A', 'g', '-', '_'), maxLength: 3 }),
    })
    let malformedSeen = 0
    await fc.assert(
      fc.asyncProperty(edit, fc.boolean(), fc.constantFrom<TokenPurpose>('open', 'click'), async ({ at, cut, insert }, late, purpose) => {
        const token = base.slice(0, at) + insert + base.slice(at + cut)
        // `late`: the token has also expired; `click`: it was also issued for another purpose.
        const now = new Date(Date.now() + (late ? 3_600_000 : 0))
        const outcome = await tokens.verify(token, { purpose, now }).then(
          () => 'ok',
          (e: unknown) => (e instanceof TokenError ? e.code : 'thrown'),
        )
        if (!wellFormed(token)) {
          malformedSeen++
          expect(outcome).toBe('malformed')
        } else if (token !== base) expect(outcome).not.toBe('ok')
        // The check without a promise the handler uses: the same answer, and without the explanation
        // (the pixel's way) still a refusal for every token but the real one.
        const fast = (tokens as unknown as Record<symbol, VerifyNow>)[VERIFY_NOW]!
        const quick = (explain: boolean) => {
          try {
            const checked = fast.now(token, { purpose, now }, explain)
            return checked instanceof TokenError ? checked.code : checked ? 'ok' : 'later'
          } catch {
            // Refusals are returned, never thrown.
            return 'thrown'
          }
        }
        const explainedNow = quick(true)
        if (explainedNow !== 'later') expect(explainedNow).toBe(outcome)
        const unexplained = quick(false)
        expect(unexplained === 'ok').toBe(outcome === 'ok')
        expect(unexplained).not.toBe('thrown')
      }),
      { numRuns: 2000 },
    )
    expect(malformedSeen).toBeGreaterThan(500)
  })

  test('the purpose tag is the HMAC, under the derived MAC key, of purpose NUL name NUL token id: pinned with node:crypto', async () => {
    const secret = randomBytes(32)
    const own = createTokens({ keys: [{ kid: 'pin', secret }] })
    const macKey = createHmac('sha256', secret).update('email-tracking-consent/mac/v1').digest()
    for (const purpose of TOKEN_PURPOSES) {
      const token = await own.sign({ purpose, contactId: 'c_1', messageId: 'm_1' })
      const { jti } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }
      const expected = createHmac('sha256', macKey).update(`purpose\0${purpose}\0${jti}`).digest().subarray(0, 16).toString('base64url')
      expect(token.split('.')[3]).toBe(expected)
    }
  })

  test('an unknown purpose is invalid input whatever the token', async () => {
    const t = await tokens.sign({ purpose: 'open', contactId: 'c_1' })
    for (const token of [t, 'junk', '', undefined as unknown as string])
      await expectCode(tokens.verify(token, { purpose: 'bogus' as TokenPurpose }), 'invalid-input')
  })

  test('refusals from verify() carry a stack from the call, and the stack limit is left as it was', async () => {
    const limit = Error.stackTraceLimit
    const t = await tokens.sign({ purpose: 'open', contactId: 'c_1' })
    for (const bad of ['junk', `${t.slice(0, -2)}AA`, t.replace(/\.[^.]+\./, '.AAAA.')]) {
      const err = await tokens.verify(bad, { purpose: 'open' }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(TokenError)
      expect((err as Error).stack!.split('\n').length).toBeGreaterThan(1)
      expect(Error.stackTraceLimit).toBe(limit)
    }
  })

  test('unknown kid, jku/jwk/x5u injection, wrong typ, wrong issuer', async () => {
    const t = await tokens.sign({ purpose: 'open', contactId: 'c' })
    const [, p, , tag] = t.split('.')
    const payload = decode(p!)
    await expectCode(tokens.verify(forge({ alg: 'HS256', kid: 'k9', typ: 'etc+jwt' }, payload, secret, tag!), { purpose: 'open' }), 'unknown-key')
    for (const inject of [{ jku: 'https://evil.example/jwks' }, { jwk: { kty: 'oct', k: 'AAAA' } }, { x5u: 'https://evil.example/c' }, { crit: ['exp'] }]) {
      await expectCode(tokens.verify(forge({ alg: 'HS256', kid: 'k1', typ: 'etc+jwt', ...inject }, payload, secret, tag!), { purpose: 'open' }), 'forbidden-header')
    }
    await expectCode(tokens.verify(forge({ alg: 'HS256', kid: 'k1', typ: 'JWT' }, payload, secret, tag!), { purpose: 'open' }), 'malformed')
    await expectCode(tokens.verify(forge({ alg: 'HS256', kid: 'k1', typ: 'etc+jwt' }, { ...payload, iss: 'other' }, secret, tag!), { purpose: 'open' }), 'invalid-claims')
  })

  test('a key injected by the attacker (jwk / jku / x5u header, token signed with that key) is refused and never fetched', async () => {
    const t = await tokens.sign({ purpose: 'open', contactId: 'c' })
    const [, p, , tag] = t.split('.')
    const payload = decode(p!)
    const attacker = randomBytes(32)
    const realFetch = globalThis.fetch
    let fetched = 0
    globalThis.fetch = (async () => {
      fetched++
      throw new Error('no network in this test')
    }) as typeof fetch
    try {
      for (const inject of [
        { jwk: { kty: 'oct', k: attacker.toString('base64url') } },
        { jku: 'https://evil.example/jwks.json' },
        { x5u: 'https://evil.example/cert.pem' },
      ]) {
        // With our kid (fast-path header shape broken by the extra field) and without any kid.
        for (const kid of [{ kid: 'k1' }, {}]) {
          const forged = forge({ alg: 'HS256', typ: 'etc+jwt', ...kid, ...inject }, payload, attacker, tag!)
          await expectCode(tokens.verify(forged, { purpose: 'open' }), 'forbidden-header')
        }
      }
    } finally {
      globalThis.fetch = realFetch
    }
    expect(fetched).toBe(0)
  })

  test('garbage and oversized input', async () => {
    for (const junk of ['', 'a', 'a.b.c', 'a.b.c.d', '....', 'x'.repeat(3000), `${'a'.repeat(10)}.é.b.c`, null, 42]) {
      await expect(tokens.verify(junk as string, { purpose: 'open' })).rejects.toBeInstanceOf(TokenError)
    }
  })

  test('fast-check: no mutation of a valid token verifies', async () => {
    const valid = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1', messageId: 'm_1' })
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...alphabet) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...alphabet) }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        let t = valid
        for (const m of mutations) {
          const at = m.at % (t.length + (m.kind === 'insert' ? 1 : 0))
          t = m.kind === 'replace' ? t.slice(0, at) + m.ch + t.slice(at + 1) : m.kind === 'delete' ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + m.ch + t.slice(at)
        }
        if (t === valid) return
        await expect(tokens.verify(t, { purpose: 'withdraw' })).rejects.toBeInstanceOf(TokenError)
      }),
      { numRuns: 3000 },
    )
  })
})

describe('key ring', () => {
  test('rotation: old tokens verify after a new key is added in front; new tokens use the new kid', async () => {
    const oldSecret = randomBytes(32)
    const before = createTokens({ keys: [{ kid: 'old', secret: oldSecret }] })
    const oldToken = await before.sign({ purpose: 'preferences', contactId: 'c' })
    const oldMac = before.linkMac('scope', 'https://a.example/')
    const after = createTokens({ keys: [{ kid: 'new', secret: randomBytes(32) }, { kid: 'old', secret: oldSecret }] })
    expect((await after.verify(oldToken, { purpose: 'preferences' })).kid).toBe('old')
    const newToken = await after.sign({ purpose: 'preferences', contactId: 'c' })
    expect((await after.verify(newToken, { purpose: 'preferences' })).kid).toBe('new')
    const click = await before.signMessage({ contactId: 'c', purposes: ['click'], linkScope: 'scope' })
    expect(after.isBoundTarget(await after.verify(click.token('click'), { purpose: 'click' }), 'https://a.example/', oldMac)).toBe(true)
  })

  test('bad keys are refused at creation with invalid-key', () => {
    const bad = [[], [{ kid: 'k', secret: randomBytes(8) }], [{ kid: 'k', secret: randomBytes(32) }, { kid: 'k', secret: randomBytes(32) }], [{ kid: 'bad kid!', secret: randomBytes(32) }], [{ kid: 'k', alg: 'RS256', secret: randomBytes(32) }]]
    for (const keys of bad) expect(() => createTokens({ keys: keys as never })).toThrowError(expect.objectContaining({ code: 'invalid-key' }))
  })

  test('accepts a base64url secret string', async () => {
    const t = createTokens({ keys: [{ kid: 's', secret: randomBytes(32).toString('base64url') }] })
    expect((await t.verify(await t.sign({ purpose: 'open', contactId: 'c' }), { purpose: 'open' })).kid).toBe('s')
  })

  test('a token signed by a raw jose CompactSign with our header but no tag is refused', async () => {
    const payload = { iss: 'etc', sub: 'c', aud: ['w'], iat: Math.floor(Date.now() / 1000), jti: 'x' }
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: 'HS256', kid: 'k1', typ: 'etc+jwt' }).sign(secret)
    await expectCode(tokens.verify(jws, { purpose: 'withdraw' }), 'malformed')
    await expectCode(tokens.verify(`${jws}.AAAAAAAAAAAAAAAAAAAAAA`, { purpose: 'withdraw' }), 'bad-signature')
  })
})
