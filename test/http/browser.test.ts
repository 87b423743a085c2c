// End to end in a real browser (Debian chromium via playwright-core): a real
// HTTP server (toNodeListener) over a real SQLite file store. A person opens a
// personal link taken from a transform() result, reads the page, presses the
// button; the store must hold the event and the next transform() for the
// contact must follow it. Every page is screenshotted in en and fr
// (test/artifacts/http/, git-ignored) and checked with axe-core.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHandler } from '../../src/http/index.js'
import { toNodeListener } from '../../src/http/node.js'
import type { Category } from '../../src/policy/types.js'
import { createSqliteStore } from '../../src/store/sqlite.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import { transform, type TransformResult } from '../../src/transform.js'

const CHROMIUM = '/usr/bin/chromium'
const haveBrowser = existsSync(CHROMIUM)
if (!haveBrowser && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; .ci/run installs it`)
if (!haveBrowser) console.warn(`browser tests skipped: ${CHROMIUM} not found (CI=true makes this an error)`)

const ARTIFACTS = new URL('../artifacts/http/', import.meta.url).pathname
const AXE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8')
const HUMAN_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const MIN_DELAY_MS = 1_500
const PRIMARY = '#7c2d12'
/** A small marketing email with preference and unsubscribe markers, as senders write them. */
const EMAIL = {
  html:
    '<!doctype html><html><body><p>Autumn is here.</p><p><a href="https://acme.example/shop?season=autumn">Shop the collection</a></p>' +
    '<p><a data-tracking="preferences" href="#">Preferences</a> · <a data-tracking="unsubscribe" href="#">Unsubscribe</a></p></body></html>',
  text: 'Autumn is here. Shop: https://acme.example/shop?season=autumn',
}
/** The few DOM members the in-page checks use (the project compiles without the DOM lib). */
type Dom = { getComputedStyle(el: unknown): { backgroundColor: string; outlineStyle: string }; document: { activeElement: unknown } }

describe.skipIf(!haveBrowser)('in a real browser', () => {
  let dir: string
  let store: ConsentStore
  let server: Server
  let browser: Browser
  let base: string
  const tokens = createTokens({ keys: [{ kid: 'e2e', secret: randomBytes(32) }] })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'etc-http-e2e-'))
    mkdirSync(ARTIFACTS, { recursive: true })
    store = createSqliteStore({ database: join(dir, 'consent.db') })
    const handler = createHandler({
      tokens,
      store,
      basePath: '/t',
      noticeVersion: 'notice-2026-05',
      forms: { minDelayMs: MIN_DELAY_MS },
      pages: { brand: { name: 'Acme Outdoor', colors: { primary: PRIMARY } }, noticeUrl: 'https://acme.example/privacy' },
    })
    server = createServer(toNodeListener(handler))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
    await store?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  /** The email this contact would get now, rewritten for their current consent. */
  async function send(contactId: string, category: Category = 'marketing', locale = 'en'): Promise<TransformResult> {
    return transform(EMAIL, await store.get(contactId), category, { tokens, baseUrl: base, messageId: `m_${contactId}`, unsubscribe: true, locale })
  }

  function expectUntracked(result: TransformResult) {
    expect([result.decision.opens, result.decision.clicks]).toEqual([false, false])
    expect(result.links.pixel).toBeUndefined()
    expect(result.html).not.toMatch(/\/t\/[oc]\//)
  }

  async function context(locale: 'en' | 'fr'): Promise<BrowserContext> {
    return browser.newContext({ userAgent: HUMAN_UA, locale: locale === 'fr' ? 'fr-FR' : 'en-US', viewport: { width: 800, height: 700 } })
  }

  async function events(contactId: string): Promise<ConsentEvent[]> {
    const out: ConsentEvent[] = []
    for await (const e of store.history(contactId)) out.push(e)
    return out
  }

  /** Screenshot, axe-core, CSP and keyboard-focus checks of the page as shown. */
  async function check(page: Page, name: string, locale: 'en' | 'fr') {
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${locale}.png`), fullPage: true })
    expect(await page.getAttribute('html', 'lang')).toBe(locale)
    // The inline style is allowed by its CSP hash: the brand color is applied.
    const button = page.locator('button')
    if (await button.count()) expect(await button.evaluate((b) => (globalThis as unknown as Dom).getComputedStyle(b).backgroundColor)).toBe('rgb(124, 45, 18)')
    // axe-core runs through the DevTools protocol, which the page's strict CSP does not govern.
    await page.evaluate(AXE)
    const result = (await page.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
      violations: { id: string; help: string; nodes: unknown[] }[]
      passes: unknown[]
    }
    expect(result.violations.map((v) => `${v.id}: ${v.help}`), `${name}-${locale}`).toEqual([])
    expect(result.passes.length).toBeGreaterThan(5)
    // Keyboard users reach the first control and see where focus is.
    const focusable = page.locator('input:not([type=hidden]), button, a[href]')
    if (await focusable.count()) {
      await page.keyboard.press('Tab')
      const outline = await page.evaluate(() => {
        const dom = globalThis as unknown as Dom
        return dom.getComputedStyle(dom.document.activeElement).outlineStyle
      })
      expect(outline).toBe('solid')
    }
  }

  for (const locale of ['en', 'fr'] as const) {
    test(`withdrawal link (${locale}): confirmation page, a too-quick press refused, then withdrawn`, async () => {
      const contactId = `c_withdraw_${locale}`
      await store.record({ contactId, type: 'grant', at: new Date(Date.now() - 60_000), source: 'form', noticeVersion: 'v1' })
      const sent = await send(contactId, 'marketing', locale)
      expect([sent.decision.opens, sent.decision.clicks]).toEqual([true, true])
      expect(sent.links.pixel).toBeDefined()
      const ctx = await context(locale)
      const page = await ctx.newPage()
      const csp: string[] = []
      page.on('console', (m) => m.text().includes('Content Security Policy') && csp.push(m.text()))
      const url = sent.links.withdraw!
      expect(sent.html).toContain(url)
      const response = await page.goto(url)
      expect(response!.status()).toBe(200)
      expect(response!.headers()['referrer-policy']).toBe('no-referrer')
      await expect.poll(() => page.textContent('h1')).toBe(locale === 'en' ? 'Stop tracking your emails?' : 'Ne plus mesurer la lecture de vos e-mails ?')
      await check(page, 'withdraw', locale)
      // Nothing changed by looking.
      expect((await events(contactId)).map((e) => e.type)).toEqual(['grant'])

      // A press faster than a person can read is refused, and the form comes back.
      await page.reload()
      await page.click('button')
      await page.waitForSelector('[role=alert]')
      await check(page, 'withdraw-too-fast', locale)
      expect((await events(contactId)).map((e) => e.type)).toEqual(['grant'])

      await page.waitForTimeout(MIN_DELAY_MS + 100)
      await page.click('button')
      await page.waitForSelector('a[href*="/t/p/"]')
      expect(await page.textContent('h1')).toBe(locale === 'en' ? 'Tracking stopped' : 'Mesure arrêtée')
      await check(page, 'withdraw-done', locale)
      const stored = await events(contactId)
      expect(stored.map((e) => [e.type, e.source])).toEqual([
        ['grant', 'form'],
        ['withdraw', 'withdrawal-link'],
      ])
      expect(stored[1]!.evidence).toMatchObject({ messageId: `m_${contactId}`, userAgent: HUMAN_UA, ip: '127.0.0.1' })
      // The next email to this contact is untracked.
      expectUntracked(await send(contactId))

      // The done page links to the preference center, which shows tracking off.
      await page.click('a[href*="/t/p/"]')
      await page.waitForSelector('input[name=opens]')
      expect(await page.isChecked('input[name=opens]')).toBe(false)
      expect(csp).toEqual([])
      await ctx.close()
    }, 120_000)

    test(`preference center (${locale}): shows the state, records each change`, async () => {
      const contactId = `c_prefs_${locale}`
      await store.record({ contactId, type: 'grant', purposes: ['opens'], at: new Date(Date.now() - 60_000), source: 'form', noticeVersion: 'v1' })
      const ctx = await context(locale)
      const page = await ctx.newPage()
      const sent = await send(contactId)
      expect([sent.decision.opens, sent.decision.clicks]).toEqual([true, false])
      await page.goto(sent.links.preferences!)
      expect(await page.isChecked('input[name=opens]')).toBe(true)
      expect(await page.isChecked('input[name=clicks]')).toBe(false)
      expect(await page.isChecked('input[name=subscribed]')).toBe(true)
      await check(page, 'preferences', locale)
      // Labels are clickable: toggle by label text.
      await page.click('label[for=opens]')
      await page.click('label[for=clicks]')
      await page.waitForTimeout(MIN_DELAY_MS + 100)
      await page.click('button')
      await page.waitForSelector('[role=status]')
      await check(page, 'preferences-saved', locale)
      expect((await events(contactId)).slice(1).map((e) => [e.type, e.purposes.join('+'), e.source])).toEqual([
        ['withdraw', 'opens', 'preference-center'],
        ['grant', 'clicks', 'preference-center'],
      ])
      const next = await send(contactId)
      expect([next.decision.opens, next.decision.clicks]).toEqual([false, true])
      expect(next.links.pixel).toBeUndefined()
      expect(next.html).toMatch(/\/t\/c\//)
      await ctx.close()
    }, 120_000)

    test(`consent acceptance (${locale}): explains with the notice version, records the grant`, async () => {
      const contactId = `c_consent_${locale}`
      await store.record({ contactId, type: 'collect', at: new Date(Date.now() - 60_000), source: 'import' })
      expectUntracked(await send(contactId))
      const request = await send(contactId, 'consent-request', locale)
      const ctx = await context(locale)
      const page = await ctx.newPage()
      await page.goto(request.links.consent!)
      expect(await page.textContent('main')).toContain('notice-2026-05')
      await check(page, 'consent', locale)
      await page.waitForTimeout(MIN_DELAY_MS + 100)
      await page.click('button')
      await page.waitForSelector('a[href*="/t/p/"]')
      await check(page, 'consent-done', locale)
      const grant = (await events(contactId)).at(-1)!
      expect(grant).toMatchObject({ type: 'grant', source: 'consent-email', noticeVersion: 'notice-2026-05', purposes: ['opens', 'clicks'] })
      const next = await send(contactId)
      expect([next.decision.opens, next.decision.clicks, next.decision.basis]).toEqual([true, true, 'consent'])
      expect(next.links.pixel).toBeDefined()
      await ctx.close()
    }, 120_000)

    test(`unsubscribe page and error page (${locale})`, async () => {
      const contactId = `c_unsub_${locale}`
      await store.record({ contactId, type: 'collect', at: new Date(Date.now() - 60_000), source: 'form' })
      const ctx = await context(locale)
      const page = await ctx.newPage()
      await page.goto((await send(contactId)).links.unsubscribe!)
      await check(page, 'unsubscribe', locale)
      await page.waitForTimeout(MIN_DELAY_MS + 100)
      await page.click('button')
      await page.waitForSelector('a[href*="/t/p/"]')
      await check(page, 'unsubscribe-done', locale)
      expect((await store.get(contactId))!.subscribed).toBe(false)
      expect((await send(contactId)).decision.send).toBe(false)
      const bad = await page.goto(`${base}/w/not-a-token`)
      expect(bad!.status()).toBe(400)
      await check(page, 'error-invalid-link', locale)
      await ctx.close()
    }, 120_000)
  }

  test('RFC 8058: the List-Unsubscribe URL of a transform() result takes a one-click POST', async () => {
    const contactId = 'c_one_click'
    await store.record({ contactId, type: 'collect', at: new Date(Date.now() - 60_000), source: 'form' })
    const header = (await send(contactId)).headers['List-Unsubscribe']!
    const url = /<(http[^>]+)>/.exec(header)![1]!
    const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }), redirect: 'manual' })
    expect(res.status).toBe(200)
    expect((await events(contactId)).map((e) => [e.type, e.evidence.method])).toEqual([
      ['collect', undefined],
      ['unsubscribe', 'rfc8058-one-click'],
    ])
  })

  test('a headless browser that presses the button is refused as automated', async () => {
    const contactId = 'c_headless'
    await store.record({ contactId, type: 'grant', at: new Date(Date.now() - 60_000), source: 'form' })
    const ctx = await browser.newContext() // chromium's own headless user agent
    const page = await ctx.newPage()
    await page.goto((await send(contactId)).links.withdraw!)
    await page.waitForTimeout(MIN_DELAY_MS + 100)
    await page.click('button')
    await page.waitForLoadState()
    expect(await page.textContent('h1')).toBe('Automated request refused')
    expect((await events(contactId)).map((e) => e.type)).toEqual(['grant'])
    await ctx.close()
  }, 120_000)
})
