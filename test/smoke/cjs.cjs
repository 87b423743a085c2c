// Requires the built package by name, as a CommonJS user would (jose is ESM-only: Node ^20.19 || >=22.12).
const assert = require('node:assert/strict')
const { createTokens, decide } = require('email-tracking-consent')

;(async () => {
  const tokens = createTokens({ keys: [{ kid: 'smoke', secret: new Uint8Array(32).fill(7) }] })
  const token = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1' })
  assert.equal((await tokens.verify(token, { purpose: 'withdraw' })).contactId, 'c_1')
  assert.equal(decide(null, 'marketing').opens, false)
  console.log('cjs require ok')
})().catch((err) => {
  console.error(err)
  process.exit(1)
})
