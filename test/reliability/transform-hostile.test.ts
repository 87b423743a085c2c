// Hostile HTML through transform() and compile().render(): a few thousand
// fast-check cases per run (the stress variant runs over 100,000). Each case
// is a corpus file cut at random points, deep nesting, an attribute flood,
// conditional comments left open or small generated markup, then mutated with
// NUL bytes, lone surrogates, markup breakers, cuts and repeats. Invariants:
// no throw, no hang, tracked only as decided with a working withdrawal link,
// untracked output free of trackers, and the minimal diff.
import { beforeAll, describe, expect, test } from 'vitest'
import { corpusHtml, describeFigures, NORMAL_LIMITS, runHostileProperty } from './hostile-html.js'

let samples: string[] = []
beforeAll(async () => {
  samples = await corpusHtml()
})

describe('hostile HTML', () => {
  test('2,000 cases: no throw, no hang, decided output, no tracker when untracked, minimal diff', async () => {
    expect(samples.length).toBeGreaterThan(50)
    // CI runs a fixed seed (5; `npm run test:fuzz` uses 1 to 4) so it is reproducible; elsewhere each run explores new cases.
    const seed = process.env.CI === 'true' && process.env.FC_SEED === undefined ? 5 : undefined
    const figures = await runHostileProperty(samples, { runs: 2000, limits: NORMAL_LIMITS, ...(seed !== undefined ? { seed } : {}) })
    console.log(describeFigures('hostile HTML (normal)', figures))
    if (!process.env.FC_PATH) expect(figures.cases).toBe(2000)
    // Some cases are tracked: the tracked invariants were exercised.
    if (!process.env.FC_PATH) expect(figures.tracked).toBeGreaterThan(200)
  }, 300_000)
})
