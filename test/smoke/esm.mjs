// Imports the built package by name, as an ESM user would.
import assert from 'node:assert/strict'
import { createTokens, decide } from 'email-tracking-consent'

const tokens = createTokens({ keys: [{ kid: 'smoke', secret: new Uint8Array(32).fill(7) }] })
const token = await tokens.sign({ purpose: 'withdraw', contactId: 'c_1' })
assert.equal((await tokens.verify(token, { purpose: 'withdraw' })).contactId, 'c_1')
assert.equal(decide(null, 'marketing').opens, false)
console.log('esm import ok')
