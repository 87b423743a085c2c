import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createTokens, TokenError } from '../../src/tokens/index.js'

const secret = randomBytes(32)
const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })

async function claimsFor(purpose: 'withdraw' | 'preferences' = 'withdraw') {
  return tokens.verify(await tokens.sign({ purpose, contactId: 'c_1', messageId: 'm_1' }), { purpose })
}

describe('form nonce', () => {
  test('round-trips the time the page was served', async () => {
    const claims = await claimsFor()
    const served = Date.UTC(2026, 8, 1, 10, 0, 0, 123)
    const nonce = tokens.formNonce(claims, served)
    expect(nonce).toMatch(/^[0-9a-z]+\.[\w-]{22}$/)
    expect(tokens.checkFormNonce(claims, nonce)).toBe(served)
  })

  test('is bound to the token id, the purpose and the key', async () => {
    const claims = await claimsFor()
    const nonce = tokens.formNonce(claims, 1_000)
    const other = await claimsFor()
    expect(tokens.checkFormNonce(other, nonce)).toBeUndefined()
    expect(tokens.checkFormNonce({ ...claims, purpose: 'preferences' }, nonce)).toBeUndefined()
    const otherRing = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
    expect(otherRing.checkFormNonce(claims, nonce)).toBeUndefined()
    expect(tokens.checkFormNonce({ ...claims, kid: 'nope' }, nonce)).toBeUndefined()
  })

  test('a key that still verifies checks nonces after rotation', async () => {
    const claims = await claimsFor()
    const nonce = tokens.formNonce(claims, 42)
    const rotated = createTokens({ keys: [{ kid: 'k2', secret: randomBytes(32) }, { kid: 'k1', secret }] })
    expect(rotated.checkFormNonce(claims, nonce)).toBe(42)
  })

  test('an altered time or MAC never verifies (property)', async () => {
    const claims = await claimsFor()
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), (served, forged) => {
        const nonce = tokens.formNonce(claims, served)
        const mac = nonce.split('.')[1]!
        const swapped = `${forged.toString(36)}.${mac}`
        expect(tokens.checkFormNonce(claims, swapped)).toBe(forged === served ? served : undefined)
      }),
    )
  })

  test('garbage is refused without throwing', async () => {
    const claims = await claimsFor()
    for (const bad of ['', '.', 'abc', '1.', '.x', `1.${'a'.repeat(21)}`, `ZZ.${'a'.repeat(22)}`, 42 as unknown as string, undefined as unknown as string]) {
      expect(tokens.checkFormNonce(claims, bad)).toBeUndefined()
    }
  })

  test('formNonce refuses an unknown key or a bad time', async () => {
    const claims = await claimsFor()
    expect(() => tokens.formNonce({ ...claims, kid: 'nope' }, 1)).toThrowError(TokenError)
    expect(() => tokens.formNonce(claims, -1)).toThrowError(TokenError)
    expect(() => tokens.formNonce(claims, 1.5)).toThrowError(TokenError)
  })
})
