// The per-email time budget (TransformOptions.timeBudgetMs): an email that
// takes too long to locate and plan goes out untracked, never late, and the
// budget reaches the Nodemailer plugin.
import { fromHtml } from 'hast-util-from-html'
import nodemailer from 'nodemailer'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { consentTracking, sendWithConsent } from '../../src/nodemailer/index.js'
import { createMemoryStore } from '../../src/store/index.js'
import { compile, DEFAULT_TIME_BUDGET_MS, transform, TransformError, type TransformResult } from '../../src/transform.js'
import { BASE, CONSENTS, NOW, count, expectNoTrackers, renderedOf, tokens } from '../transform/helpers.js'
import { abandoned, expectMinimalDiff, expectSafeResult } from './hostile-html.js'

const PIXEL = '<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;id=2&amp;e=3" width="1" height="1">'
const HTML = `<!DOCTYPE html><html><head><title>t</title></head><body><p>Hi <a href="https://shop.example.com/a?mc_eid=7">shop</a></p>${PIXEL}</body></html>`
const TEXT = 'Shop: https://shop.example.com/a?mc_eid=7\n'
const opts = { tokens, baseUrl: BASE, now: NOW, messageId: 'm_b' }

const isBudget = (r: TransformResult) => [...r.decision.reasons, ...r.warnings].includes('error:time-budget')

afterEach(() => {
  vi.restoreAllMocks()
})

describe('timeBudgetMs', () => {
  test('a budget spent before locating sends the email as written, untracked, ESP tracking off', async () => {
    const r = await transform({ html: HTML, text: TEXT }, CONSENTS.both, 'marketing', { ...opts, timeBudgetMs: 0 })
    expect(r.decision).toMatchObject({ opens: false, clicks: false, basis: 'none' })
    expect(r.decision.reasons).toContain('error:time-budget')
    expect(r.warnings).toContain('error:time-budget')
    expect(r.html).toBe(HTML)
    expect(r.links).toEqual({})
    expect(r.headers['X-PM-TrackOpens']).toBe('false')
    expect(r.headers['X-Mailgun-Track']).toBe('no')
    // The text part needs no parse: it is still cleaned.
    expect(r.text).toBe('Shop: https://shop.example.com/a\n')
    // compile() spends its budget once, at compile time: every render is untracked.
    const compiled = compile({ html: HTML, text: TEXT }, { ...opts, timeBudgetMs: 0 })
    for (const consent of Object.values(CONSENTS)) {
      const rendered = await compiled.render(consent, 'marketing', { now: NOW })
      expect(rendered.html).toBe(HTML)
      expect(rendered.html).not.toContain(`${BASE}/`)
    }
  })

  test('no tracked variant is built once the budget is spent, even for a part that needs no parse', async () => {
    const text = 'Sale: https://shop.example.com/a?mc_eid=7\n'.repeat(3)
    const spent = await transform({ text }, CONSENTS.both, 'marketing', { ...opts, timeBudgetMs: 0 })
    expect(spent.decision.reasons).toContain('error:time-budget')
    expect(spent.text).toBe('Sale: https://shop.example.com/a\n'.repeat(3))
    const roomy = await transform({ text }, CONSENTS.both, 'marketing', opts)
    expect(roomy.links.withdraw).toBeDefined()
  })

  test('on a clock that moves: tracked, untracked with trackers removed, or untracked as written, never anything else', async () => {
    // Every Date.now() call advances 10 ms, so each budget stops the work at a different step.
    let clock = 1_000_000
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 10))
    const seen = new Set<string>()
    for (let budget = 0; budget <= 200; budget += 5) {
      const r = await transform({ html: HTML, text: TEXT }, CONSENTS.both, 'marketing', { ...opts, timeBudgetMs: budget })
      const tracked = r.decision.opens || r.decision.clicks
      const outcome = tracked ? 'tracked' : abandoned(r) ? 'as-written' : 'stripped'
      seen.add(outcome)
      await expectSafeResult({ kind: 'budget', html: HTML, text: TEXT }, 'marketing', 'self', r)
      if (outcome === 'tracked') expect(isBudget(r)).toBe(false)
      else expect(isBudget(r)).toBe(true)
      if (outcome === 'stripped') {
        // Located before the budget ran out: the third-party pixel and parameter are gone.
        expectNoTrackers(r.html!)
        expect(r.html).not.toContain('mc_eid')
      }
    }
    expect([...seen].sort()).toEqual(['as-written', 'stripped', 'tracked'])
  })

  test('Outlook conditional comments left open (one nested parse each) stop at the budget instead of running for minutes', async () => {
    // 12,000 unclosed `<!--[if mso]>`: each level re-parses the rest of the document (~0.5 MB); unbounded, this is hours of work.
    const html = `<html><body>${'<!--[if mso]><a href="https://e.example.com/?mc_eid=1">x</a>'.repeat(12_000)}</body></html>`
    const budget = 1000
    const started = performance.now()
    const r = await transform({ html, text: 'x' }, CONSENTS.both, 'marketing', { ...opts, timeBudgetMs: budget })
    const elapsed = performance.now() - started
    const parseStarted = performance.now()
    fromHtml(html)
    const oneParse = performance.now() - parseStarted
    // The budget is checked between parses, so it is overrun by at most about one parse of the input.
    expect(elapsed).toBeLessThan(budget + 3 * oneParse + 2000)
    expect(isBudget(r)).toBe(true)
    expect(r.decision.opens || r.decision.clicks).toBe(false)
    expect(r.html).toBe(html)
    console.log(`[reliability] open conditionals (${(html.length / 1e6).toFixed(2)} MB): stopped after ${Math.round(elapsed)} ms on a ${budget} ms budget (one parse: ${Math.round(oneParse)} ms)`)
  })

  test('a 5 MB email under the default budget: bounded by the budget plus about one parse, and untracked if over', async () => {
    const html = `<html><body>${'<p><a href="https://e.example.com/x?utm_source=a&amp;mc_eid=1">x</a></p>\n'.repeat(75_000)}</body></html>`
    expect(html.length).toBeGreaterThan(5_000_000)
    const started = performance.now()
    const r = await transform({ html, text: 'x' }, CONSENTS.both, 'marketing', opts)
    const elapsed = performance.now() - started
    const parseStarted = performance.now()
    fromHtml(html)
    const oneParse = performance.now() - parseStarted
    expect(elapsed).toBeLessThan(DEFAULT_TIME_BUDGET_MS + 3 * oneParse + 2000)
    const tracked = r.decision.opens || r.decision.clicks
    // Either it fit (and is tracked with every link wrapped) or the budget stopped it (and it is untracked).
    if (tracked) {
      expect(isBudget(r)).toBe(false)
      expect(count(r.html!, `${BASE}/c/`)).toBe(75_000)
    } else {
      expect(isBudget(r)).toBe(true)
      expect(r.html).not.toContain(`${BASE}/`)
    }
    expectMinimalDiff(html, r.html!, renderedOf(r).html, tracked ? ['pixel-insert', 'link-wrap', 'line-insert', 'no-track-stamp', 'link-clean'] : ['link-clean', 'pixel-remove'])
    console.log(`[reliability] 5 MB email, default ${DEFAULT_TIME_BUDGET_MS} ms budget: ${Math.round(elapsed)} ms, ${tracked ? 'tracked' : 'untracked (budget)'} (one parse: ${Math.round(oneParse)} ms)`)
  }, 120_000)

  test('is validated: a non-negative number of milliseconds, or Infinity', async () => {
    for (const bad of [-1, Number.NaN, '5', Number.NEGATIVE_INFINITY]) {
      expect(() => compile({ html: HTML }, { ...opts, timeBudgetMs: bad as number })).toThrow(TransformError)
      await expect(transform({ html: HTML }, null, 'marketing', { ...opts, timeBudgetMs: bad as number })).rejects.toMatchObject({ code: 'invalid-option' })
    }
    const r = await transform({ html: HTML }, CONSENTS.both, 'marketing', { ...opts, timeBudgetMs: Number.POSITIVE_INFINITY })
    expect(r.decision.opens).toBe(true)
  })

  test('reaches the Nodemailer plugin: the message is still sent, untracked, with the reason in its outcome', async () => {
    const store = createMemoryStore()
    await store.record({ contactId: 'c_42', type: 'grant', purposes: ['opens', 'clicks'], at: new Date('2026-05-02T09:00:00Z'), source: 'form' })
    const make = (timeBudgetMs: number) => {
      const t = nodemailer.createTransport({ streamTransport: true, buffer: true })
      t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now: () => NOW, timeBudgetMs }))
      return t
    }
    const mail = { from: 'news@shop.example.com', to: 'ada@example.org', subject: 'Hi', html: HTML, text: TEXT, consent: { contactId: 'c_42', category: 'marketing' as const } }
    const spent = await sendWithConsent(make(0), mail)
    expect(spent.consentTracking).toMatchObject({ status: 'untracked' })
    expect(spent.consentTracking?.decision?.reasons).toContain('error:time-budget')
    const raw = spent.message.toString()
    expect(raw).not.toContain(`${BASE}/`)
    expect(raw).toMatch(/^X-PM-TrackOpens: false\r?$/im)
    const roomy = await sendWithConsent(make(60_000), mail)
    expect(roomy.consentTracking).toMatchObject({ status: 'tracked' })
  })
})
