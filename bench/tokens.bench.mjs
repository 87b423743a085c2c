// Recipient tokens per second (one signMessage + the derived pixel, click and
// withdrawal tokens) beside a bare jose HS256 sign and a verify, in the same run.
import { createHmac, randomBytes } from 'node:crypto'
import { SignJWT } from 'jose'
import { createTokens } from '../dist/index.js'
import { checkTarget, measure, printTable } from './lib.mjs'

export default async function tokensBench() {
  const secret = randomBytes(32)
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const tokens = createTokens({ keys: [{ kid: 'bench', secret }] })
  let n = 0
  const claims = () => ({ sub: `c_${n++}`, mid: 'm_1', jti: 'j', aud: 'etc:open' })
  const sample = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1', messageId: 'm_1' })
  const url = 'https://shop.example.com/products/autumn-sale?ref=newsletter'

  const rows = [
    await measure('bare jose HS256 sign (pre-imported key)', () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(key)),
    await measure('recipient tokens: signMessage + 3 purposes', async () => {
      const mt = await tokens.signMessage({ contactId: `c_${n++}`, messageId: 'm_1', purposes: ['open', 'click', 'withdraw'] })
      mt.token('open'); mt.token('click'); mt.token('withdraw')
    }),
    await measure('tokens.sign (one purpose)', () => tokens.sign({ purpose: 'withdraw', contactId: `c_${n++}` })),
    await measure('tokens.verify', () => tokens.verify(sample, { purpose: 'withdraw' })),
    await measure('tokens.linkMac (pure-JS HMAC)', () => tokens.linkMac('scope', url)),
    await measure('node:crypto HMAC (reference)', () => createHmac('sha256', secret).update(url).digest()),
  ]
  printTable('Tokens', rows, { baseline: 'bare jose HS256 sign (pre-imported key)', unit: 'ops/s' })
  // One signature per recipient-message: the recipient path should cost about one bare jose sign.
  return checkTarget('recipient tokens vs bare jose sign', rows[1].perSec / rows[0].perSec, 0.5)
}
