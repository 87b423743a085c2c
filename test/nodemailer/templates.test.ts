// The plugin's template cache, observed from outside: a compiled template
// signs every message with its own link scope (the `linkScope` claim), while
// each transform() call draws a new one.
import { describe, expect, test } from 'vitest'
import type { ConsentRecord } from '../../src/policy/types.js'
import { TemplateCache } from '../../src/nodemailer/templates.js'
import { transform } from '../../src/transform.js'
import { BASE, NOW, ourTokens, PROMO_HTML, PROMO_TEXT, tokens } from './helpers.js'

const granted = { status: 'granted' as const, at: new Date('2026-05-02T09:00:00Z') }
const record: ConsentRecord = { contactId: 'c_42', opens: granted, clicks: granted, collectedAt: new Date('2026-05-01T00:00:00Z') }
const options = { tokens, baseUrl: BASE }

async function scopeOf(cache: TemplateCache, html: string, text = PROMO_TEXT): Promise<string> {
  const result = await cache.render({ html, text, headers: {} }, record, 'marketing', { now: NOW, messageId: 'm_1' })
  const [withdraw] = ourTokens(result.html!, 'w')
  return (await tokens.verify(withdraw!, { purpose: 'withdraw' })).linkScope!
}

describe('TemplateCache', () => {
  test('first sighting through transform(), then one compiled template for every later message', async () => {
    const cache = new TemplateCache(options, 4)
    const scopes = [] as string[]
    // A fresh string with the same content each time, as a template engine would hand over.
    for (let i = 0; i < 4; i++) scopes.push(await scopeOf(cache, (PROMO_HTML + " ").slice(0, -1)))
    expect(new Set(scopes.slice(1)).size).toBe(1)
    expect(scopes[0]).not.toBe(scopes[1])
  })

  test('a different text part, or different headers, is a different email', async () => {
    const cache = new TemplateCache(options, 4)
    for (let i = 0; i < 2; i++) await scopeOf(cache, PROMO_HTML)
    const a = await scopeOf(cache, PROMO_HTML)
    await scopeOf(cache, PROMO_HTML, `${PROMO_TEXT}P.S.\n`)
    const b = await scopeOf(cache, PROMO_HTML, `${PROMO_TEXT}P.S.\n`)
    expect(b).not.toBe(a)
    expect(await scopeOf(cache, PROMO_HTML)).toBe(a)
  })

  test('keeps at most `size` compiled templates, least recently used out first', async () => {
    const cache = new TemplateCache(options, 2)
    const emails = ['A', 'B', 'C'].map((mark) => PROMO_HTML.replace('<h1>Autumn sale</h1>', `<h1>Autumn sale ${mark}</h1>`))
    const compiledScope = async (html: string) => {
      await scopeOf(cache, html)
      return scopeOf(cache, html)
    }
    const a = await compiledScope(emails[0]!)
    const b = await compiledScope(emails[1]!)
    expect(await scopeOf(cache, emails[0]!)).toBe(a) // A is now the most recent
    await compiledScope(emails[2]!) // a third template drops B's
    expect(await scopeOf(cache, emails[0]!)).toBe(a)
    expect(await scopeOf(cache, emails[1]!)).not.toBe(b)
  })

  test('renders what transform() renders', async () => {
    const cache = new TemplateCache({ ...options, linkScope: 'fixed' }, 4)
    for (const consent of [record, null, { ...record, opens: { status: 'withdrawn' as const, at: NOW }, clicks: { status: 'denied' as const, at: NOW } }]) {
      const email = { html: PROMO_HTML, text: PROMO_TEXT, headers: { 'X-Campaign': 'autumn' } }
      const expected = await transform(email, consent, 'marketing', { ...options, linkScope: 'fixed', now: NOW, messageId: 'm_1' })
      for (let i = 0; i < 3; i++) {
        const got = await cache.render(email, consent, 'marketing', { now: NOW, messageId: 'm_1' })
        // Tokens differ per signature (jti); everything else is the same.
        const scrub = (s?: string) => s?.replace(/\/(o|c|w|p|u|consent)\/[A-Za-z0-9_.-]+/g, '/$1/TOKEN')
        expect([scrub(got.html), scrub(got.text), got.decision, got.removed]).toEqual([scrub(expected.html), scrub(expected.text), expected.decision, expected.removed])
        expect(got.headers).toEqual(expected.headers)
      }
    }
  })
})
