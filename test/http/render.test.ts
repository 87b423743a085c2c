import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { escapeHtml } from '../../src/http/pages/escape.js'
import { createPageRenderer } from '../../src/http/pages/render.js'
import { contrastRatio } from '../../src/http/pages/style.js'
import { DEFAULT_TEXTS } from '../../src/http/pages/texts.js'
import { negotiateLocale } from '../../src/http/lib/locale.js'
import { makeFixture } from './setup.js'

const ALL_PAGES = (r: ReturnType<typeof createPageRenderer>, locale: 'en' | 'fr') => [
  r.withdraw(locale, { nonce: 'n' }),
  r.withdraw(locale, { nonce: 'n', alert: 'too-fast' }),
  r.withdrawDone(locale, { preferencesUrl: '/t/p/x' }),
  r.preferences(locale, { nonce: 'n', state: { opens: true, clicks: false, subscribed: true }, saved: true }),
  r.consent(locale, { nonce: 'n', noticeVersion: 'v1' }),
  r.consentDone(locale, {}),
  r.unsubscribe(locale, { nonce: 'n', alert: 'expired' }),
  r.unsubscribeDone(locale, {}),
  r.error(locale, 'invalid-token'),
  r.error(locale, 'store-unavailable'),
]

describe('pages', () => {
  test('the inline style is exactly what the CSP hash allows, and no script is allowed', async () => {
    const f = makeFixture({ pages: { brand: { colors: { primary: '#7c2d12' } } } })
    const res = await f.fetch(`/w/${await f.sign('withdraw')}`)
    const html = await res.text()
    const css = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!
    const hash = createHash('sha256').update(css).digest('base64')
    expect(res.headers.get('content-security-policy')).toContain(`style-src 'sha256-${hash}'`)
    expect(html).not.toMatch(/<script|\son\w+=/i)
  })

  test('every value is escaped: brand name, overridden texts, notice version, URLs', async () => {
    const evil = `<img src=x onerror="alert(1)">&'"`
    const r = createPageRenderer({
      brand: { name: evil, logoUrl: 'https://cdn.example.com/logo.png?a=1&b="2"' },
      texts: { en: { withdrawTitle: `Stop? ${evil}` } },
      noticeUrl: 'https://example.com/notice?x=<y>',
    })
    const pages = [...ALL_PAGES(r, 'en'), r.consent('en', { nonce: '"><script>', noticeVersion: evil })]
    for (const html of pages) {
      expect(html).not.toContain('<img src=x')
      expect(html).not.toContain('<script>')
      expect(html).not.toMatch(/onerror="/)
    }
    expect(pages[0]).toContain('Stop? &lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;&quot;')
    expect(pages[0]).toContain('src="https://cdn.example.com/logo.png?a=1&amp;b=%222%22"')
    expect(r.csp).toContain('img-src https://cdn.example.com')
  })

  test('property: escapeHtml output never contains markup characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(escapeHtml(s)).not.toMatch(/[<>"']/)
        expect(escapeHtml(s).replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toContain('&')
      }),
    )
  })

  test('never asks for an email address; semantic, labelled, with lang and title', () => {
    const r = createPageRenderer({ brand: { name: 'Acme' } })
    for (const locale of ['en', 'fr'] as const) {
      for (const html of ALL_PAGES(r, locale)) {
        expect(html).not.toMatch(/type="email"|name="e-?mail"/i)
        expect(html).toContain(`<html lang="${locale}">`)
        expect(html).toMatch(/<title>[^<]+<\/title>/)
        expect(html).toMatch(/<main>[\s\S]*<h1>[^<]+<\/h1>[\s\S]*<\/main>/)
        for (const [, id] of html.matchAll(/<input type="checkbox" id="(\w+)"/g)) expect(html).toContain(`<label for="${id}">`)
      }
    }
  })

  test('en and fr texts cover the same keys, and overrides apply per locale', () => {
    expect(Object.keys(DEFAULT_TEXTS.fr).sort()).toEqual(Object.keys(DEFAULT_TEXTS.en).sort())
    for (const value of Object.values(DEFAULT_TEXTS.fr)) expect(value.trim()).not.toBe('')
    const r = createPageRenderer({ texts: { fr: { withdrawButton: 'Je ne veux plus être suivi' } } })
    expect(r.withdraw('fr', { nonce: 'n' })).toContain('Je ne veux plus être suivi')
    expect(r.withdraw('en', { nonce: 'n' })).toContain('Stop tracking</button>')
  })

  test('the default colors meet WCAG AA; the contrast helper agrees with known ratios', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#777', '#fff')).toBeCloseTo(4.48, 2)
    expect(createPageRenderer().lowContrast).toEqual([])
    expect(createPageRenderer({ brand: { colors: { text: '#999999' } } }).lowContrast).toHaveLength(1)
  })
})

describe('locale', () => {
  test('Accept-Language negotiation with q-values; fixed locale wins; en by default', () => {
    expect(negotiateLocale(null, undefined)).toBe('en')
    expect(negotiateLocale('fr-CA,fr;q=0.9', undefined)).toBe('fr')
    expect(negotiateLocale('de-DE,de;q=0.9,fr;q=0.8,en;q=0.7', undefined)).toBe('fr')
    expect(negotiateLocale('en;q=0.5,fr;q=0.6', undefined)).toBe('fr')
    expect(negotiateLocale('fr;q=0', undefined)).toBe('en')
    expect(negotiateLocale('*', undefined)).toBe('en')
    expect(negotiateLocale('fr', 'en')).toBe('en')
  })

  test('pages follow Accept-Language and say so in Vary, or the fixed locale', async () => {
    const f = makeFixture()
    const token = await f.sign('withdraw')
    const fr = await f.fetch(`/w/${token}`, { headers: { 'accept-language': 'fr-FR' } })
    expect(await fr.text()).toContain('Arrêter la mesure')
    expect(fr.headers.get('vary')).toBe('Accept-Language')
    const g = makeFixture({ locale: 'fr' })
    const fixed = await g.fetch(`/w/${await g.sign('withdraw')}`, { headers: { 'accept-language': 'en' } })
    expect(await fixed.text()).toContain('<html lang="fr">')
    expect(fixed.headers.get('vary')).toBeNull()
  })
})
