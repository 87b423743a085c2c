// Stress variant 1 of 4 of test/reliability/transform-hostile.test.ts: 26,000
// hostile cases with deeper nesting and bigger floods (104,000 over the four
// files, which vitest runs in parallel). A failure prints its fast-check seed.
import { beforeAll, expect, test } from 'vitest'
import { corpusHtml, describeFigures, runHostileProperty, STRESS_LIMITS } from '../reliability/hostile-html.js'

let samples: string[] = []
beforeAll(async () => {
  samples = await corpusHtml()
})

test('26,000 hostile cases (1/4): no throw, no hang, decided output, no tracker when untracked, minimal diff', async () => {
  const figures = await runHostileProperty(samples, { runs: 26_000, limits: STRESS_LIMITS })
  console.log(describeFigures('hostile HTML (stress 1/4)', figures))
  if (!process.env.FC_PATH) expect(figures.cases).toBe(26_000)
})
