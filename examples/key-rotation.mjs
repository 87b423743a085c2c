// @ts-check
// Key rotation: a new key signs from now on, the old one keeps verifying links already sent,
// then is retired. With the CLI: `email-tracking-consent keygen --rotate -o keys.json`.
// Also: an Ed25519 ring where the endpoints hold only the public key.
// Run: node examples/key-rotation.mjs
import { exportJWK, generateKeyPair } from 'jose'
import { createTokens, TokenError } from 'email-tracking-consent'

const secret = () => crypto.getRandomValues(new Uint8Array(32))
const k2026 = { kid: 'k2026', secret: secret() }
const k2027 = { kid: 'k2027', secret: secret() }

// 1. Before rotation: one key.
const before = createTokens({ keys: [k2026] })
const oldLink = await before.sign({ purpose: 'withdraw', contactId: 'c_ada', messageId: 'm_autumn' })

// 2. Rotation: the new key first (it signs), the old one after it (it only verifies).
const during = createTokens({ keys: [k2027, k2026] })
const newLink = await during.sign({ purpose: 'withdraw', contactId: 'c_ada', messageId: 'm_winter' })
console.log(`signing key now: ${during.signingKid}`)
console.log(`link sent before rotation verifies with kid ${(await during.verify(oldLink, { purpose: 'withdraw' })).kid}`)
console.log(`link sent after rotation verifies with kid ${(await during.verify(newLink, { purpose: 'withdraw' })).kid}`)

// 3. Once no link signed with the old key matters any more, drop it: its links stop verifying.
const after = createTokens({ keys: [k2027] })
let retired = ''
try {
  await after.verify(oldLink, { purpose: 'withdraw' })
} catch (err) {
  if (err instanceof TokenError) retired = err.code
}
console.log(`after retiring k2026, an old link fails with: ${retired}`)

// 4. Ed25519: the sender signs with the private key; the endpoints verify with the public key only.
const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
const macSecret = secret()
const ed = { kid: 'ed2027', alg: /** @type {const} */ ('EdDSA'), publicJwk: await exportJWK(pair.publicKey), privateJwk: await exportJWK(pair.privateKey), macSecret }
const signer = createTokens({ keys: [ed] })
const verifier = createTokens({ keys: [{ kid: ed.kid, alg: 'EdDSA', publicJwk: ed.publicJwk, macSecret }] })
const edLink = await signer.sign({ purpose: 'preferences', contactId: 'c_ada' })
console.log(`Ed25519 link verified by a verify-only ring: contact ${(await verifier.verify(edLink, { purpose: 'preferences' })).contactId}`)
let noSigning = ''
try {
  await verifier.sign({ purpose: 'preferences', contactId: 'c_ada' })
} catch (err) {
  if (err instanceof TokenError) noSigning = err.code
}
console.log(`the verify-only ring cannot sign: ${noSigning}`)

if (retired !== 'unknown-key' || noSigning !== 'no-signing-key' || during.signingKid !== 'k2027') process.exit(1)
console.log('ok')
