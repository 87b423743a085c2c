// Stress variant of the route fuzz in test/reliability/http-hostile.test.ts:
// 50,000 random requests to every route on a real SQLite store.
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { TokenPurpose } from '../../src/tokens/types.js'
import { describeRouteFuzz, fuzzNonces, fuzzSetup, runRouteFuzz, type HttpFixture } from '../reliability/http-hostile.js'

let f: HttpFixture
let pool: Record<TokenPurpose, string[]>
beforeAll(async () => {
  ;({ f, pool } = await fuzzSetup())
})
afterAll(async () => {
  await f.close()
})

test('50,000 random requests: no 5xx, safe headers, no state change but RFC 8058 one-click', async () => {
  const figures = await runRouteFuzz({ f, pool, nonces: await fuzzNonces(f, pool) }, 50_000)
  console.log(describeRouteFuzz(figures))
  expect(figures.requests).toBe(50_000)
})
