// 5 MB inputs of every hostile kind, tracked through transform() and
// untracked through compile(): each is bounded by the time budget plus about
// one parse of the input, and keeps every invariant of the normal suite.
import { fromHtml } from 'hast-util-from-html'
import { beforeAll, expect, test } from 'vitest'
import { DEFAULT_TIME_BUDGET_MS } from '../../src/transform.js'
import { abandoned, corpusHtml, expectSafeResult, hostileOptions, hugeEmails, rewrite } from '../reliability/hostile-html.js'

let samples: string[] = []
beforeAll(async () => {
  samples = await corpusHtml()
})

test('5 MB hostile inputs: bounded time, decided output, minimal diff', async () => {
  const lines: string[] = []
  let worst = 0
  for (const email of hugeEmails(samples)) {
    expect(email.html.length).toBeGreaterThan(4_900_000)
    for (const [consent, through] of [
      ['both', 'transform'],
      ['denied', 'compile'],
    ] as const) {
      const { result, ms } = await rewrite(email, consent, 'marketing', hostileOptions('self'), through)
      const started = performance.now()
      try {
        fromHtml(email.html)
      } catch {
        // Too deep for the tree builder: the parse itself is what was timed.
      }
      const oneParse = performance.now() - started
      expect(ms, `${email.kind} via ${through}`).toBeLessThan(DEFAULT_TIME_BUDGET_MS + 3 * oneParse + 2000)
      await expectSafeResult(email, 'marketing', 'self', result)
      worst = Math.max(worst, ms)
      const fellBack = [...new Set([...result.decision.reasons, ...result.warnings].filter((w) => w.startsWith('error:')))].join(',')
      lines.push(`${email.kind} ${consent} via ${through}: ${Math.round(ms)} ms (one parse ${Math.round(oneParse)} ms)${abandoned(result) ? ' sent as written' : ''}${fellBack ? ` [${fellBack}]` : ''}`)
    }
  }
  console.log(`[reliability] 5 MB inputs, default ${DEFAULT_TIME_BUDGET_MS} ms budget, worst ${Math.round(worst)} ms:\n  ${lines.join('\n  ')}`)
})
