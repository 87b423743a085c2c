// The audit report opened in the real browser: it renders offline, its chart has real bars, a screenshot is kept.
import { mkdirSync, readFileSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { HISTORY_CSV, runCli, tempDir } from './helpers.js'

const tmp = tempDir('cli-report')
const artifacts = new URL('../artifacts/', import.meta.url).pathname
let browser: Browser
let report: string

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true })
  const store = `sqlite:${tmp.dir}/audit.db`
  const more = [
    'c_pref,collected,2026-06-10,,form,2026-06,',
    'c_pref,granted,2026-06-10,,form,2026-06,',
    'c_pref,withdrawn,2026-08-01,clicks,preference-center,,',
    'c_unsub,collected,2026-06-11,,form,2026-06,',
    'c_unsub,unsubscribed,2026-07-15,,api,,',
  ].join('\n')
  expect((await runCli(['import', tmp.file('h.csv', HISTORY_CSV + more + '\n'), '--store', store], { cwd: tmp.dir })).code).toBe(0)
  report = tmp.file('audit.html')
  const run = await runCli(['report', '--store', store, '-o', report, '--now', '2026-11-29T10:00:00Z'], { cwd: tmp.dir })
  expect(run.code).toBe(0)
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
})
afterAll(async () => {
  await browser?.close()
  tmp.cleanup()
})

describe('audit report in Chromium', () => {
  test('renders every section offline, with a chart of real bars; screenshot saved', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } })
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(`file://${report}`)
    for (const heading of ['Summary', 'Chain verification', 'Consent states per purpose', 'Events over time', 'Sources and notice versions', 'Withdrawals by channel'])
      expect(await page.getByRole('heading', { name: heading }).isVisible(), heading).toBe(true)
    const chart = page.locator('#events-chart')
    const box = (await chart.boundingBox())!
    expect(box.width).toBeGreaterThan(300)
    expect(box.height).toBeGreaterThan(150)
    const bars = await page.locator('#events-chart rect.bar').evaluateAll((rects) =>
      rects.map((r) => ({ type: r.getAttribute('data-type'), ...(r as unknown as { getBoundingClientRect(): { toJSON(): { width: number; height: number } } }).getBoundingClientRect().toJSON() })),
    )
    expect(bars.length).toBeGreaterThan(5)
    expect(bars.every((b) => b.width > 0 && b.height > 0)).toBe(true)
    expect(new Set(bars.map((b) => b.type))).toEqual(new Set(['collect', 'inform', 'grant', 'deny', 'withdraw', 'request', 'unsubscribe']))
    expect(await page.locator('#chain-result').textContent()).toMatch(/^Intact: 18 events verified/)
    const withdrawals = await page.locator('table:has(caption:text("Tracking withdrawals per channel")) tbody tr').allTextContents()
    expect(withdrawals.sort()).toEqual(['preference-center101', 'withdrawal-link111'])
    await page.screenshot({ path: `${artifacts}audit-report.png`, fullPage: true })
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true)
    expect(requests).toHaveLength(1)
    await page.close()
  })

  test('has no accessibility violations (axe-core)', async () => {
    const context = await browser.newContext({ bypassCSP: true })
    const page = await context.newPage()
    await page.goto(`file://${report}`)
    await page.addScriptTag({ content: readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8') })
    const violations = await page.evaluate(async () => {
      const result = await (globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe.run()
      return result.violations.map((v) => `${v.id} (${v.nodes.length})`)
    })
    expect(violations).toEqual([])
    await context.close()
  })
})
