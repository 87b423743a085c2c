// One million random mutations of valid tokens: none may verify. Run with
// `npm run test:stress`; prints the count, the refusal codes and the rate.
import { randomBytes } from 'node:crypto'
import { expect, test } from 'vitest'
import { createTokens, TokenError, TOKEN_PURPOSES, type TokenPurpose } from '../../src/tokens/index.js'

const MUTATIONS = Number(process.env.TOKEN_MUTATIONS ?? 1_000_000)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'

// xorshift32: fast, seeded, so a failure can be replayed with the printed seed.
function rng(seed: number) {
  let x = seed >>> 0 || 1
  return (n: number) => {
    x ^= x << 13; x >>>= 0
    x ^= x >>> 17
    x ^= x << 5; x >>>= 0
    return x % n
  }
}

test(`${MUTATIONS.toLocaleString('en-US')} mutated tokens, zero accepted`, async () => {
  const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }, { kid: 'k0', secret: randomBytes(32) }] })
  const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31)
  const rand = rng(seed)
  const originals: Array<{ token: string; purpose: TokenPurpose }> = []
  for (const purpose of TOKEN_PURPOSES) {
    const mt = await tokens.signMessage({ contactId: `c_${purpose}`, messageId: 'm_1', purposes: TOKEN_PURPOSES })
    originals.push({ token: mt.token(purpose), purpose })
  }
  const codes = new Map<string, number>()
  let accepted = 0
  const started = performance.now()
  for (let i = 0; i < MUTATIONS; i++) {
    const { token, purpose } = originals[rand(originals.length)]!
    let t = token
    const kind = rand(6)
    if (kind === 0) {
      const at = rand(t.length)
      t = t.slice(0, at) + ALPHABET[rand(ALPHABET.length)] + t.slice(at + 1)
    } else if (kind === 1) {
      const at = rand(t.length)
      t = t.slice(0, at) + t.slice(at + 1)
    } else if (kind === 2) {
      const at = rand(t.length + 1)
      t = t.slice(0, at) + ALPHABET[rand(ALPHABET.length)] + t.slice(at)
    } else if (kind === 3) {
      // Flip one bit inside a decoded segment and re-encode, so the result stays well-formed.
      const parts = t.split('.')
      const s = rand(4)
      const bytes = Buffer.from(parts[s]!, 'base64url')
      if (bytes.length > 0) bytes[rand(bytes.length)]! ^= 1 << rand(8)
      parts[s] = bytes.toString('base64url')
      t = parts.join('.')
    } else if (kind === 4) {
      // Splice a segment from another valid token (other contact / other purpose).
      const other = originals[rand(originals.length)]!.token.split('.')
      const parts = t.split('.')
      const s = rand(4)
      parts[s] = other[s]!
      t = parts.join('.')
    } else {
      // A valid token of another purpose, presented for this one.
      const other = originals[rand(originals.length)]!
      if (other.purpose === purpose) continue
      t = other.token
    }
    if (t === token) continue
    try {
      await tokens.verify(t, { purpose })
      accepted++
      console.error(`ACCEPTED (seed ${seed}, i ${i}): ${t}`)
    } catch (err) {
      if (!(err instanceof TokenError)) throw err
      codes.set(err.code, (codes.get(err.code) ?? 0) + 1)
    }
  }
  const seconds = (performance.now() - started) / 1000
  console.log(
    `token mutations: ${MUTATIONS} in ${seconds.toFixed(1)} s (${Math.round(MUTATIONS / seconds)}/s), accepted ${accepted}, seed ${seed}, refusals ${JSON.stringify(Object.fromEntries(codes))}`,
  )
  expect(accepted).toBe(0)
}, 600_000)
