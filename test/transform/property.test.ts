// Property tests over generated email HTML and over mutated corpus files:
// transform() never throws, the minimal-diff invariant holds, decided
// tracking is present or absent, and compile()+render() equals transform().
import fc from 'fast-check'
import { beforeAll, describe, expect, test } from 'vitest'
import type { Category } from '../../src/policy/types.js'
import { compile, transform, type TransformOptions, type TransformResult } from '../../src/transform.js'
import { loadCorpus } from './corpus.js'
import {
  BASE,
  CONSENTS,
  NOW,
  TRACKED_EDITS,
  UNTRACKED_EDITS,
  count,
  expectLinksWrapped,
  expectMinimalDiff,
  expectNoTrackers,
  normalizeTokens,
  renderedOf,
  tokens,
} from './helpers.js'

const word = fc.constantFrom('Hello', 'Café', 'Ünïcödé', '日本語', '&amp;', '&eacute;', '&nbsp;', '{{ first_name }}', '*|FNAME|*', '{unsubscribe_url}', '{% if vip %}VIP{% endif %}', '<%= name %>', '😀', 'a < b', 'x > y', '[Sender_Name]')
const text = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' '))
const nl = fc.constantFrom('\n', '\r\n', '', '  ')
const query = fc.array(fc.constantFrom('utm_source=news', 'mc_eid=8f2a91c', '_hsenc=p2ANqtz-x', '_hsmi=12', 'id=7', 'q=a%20b', 'e=042ea43672', 'x=1&amp;y=2', 'ref={{ref}}'), { maxLength: 3 })
const url = fc
  .tuple(fc.constantFrom('https://shop.example.com', 'http://example.org', 'HTTPS://Example.COM', 'https://x.list-manage.com/track/click', 'https://xyz.awstrack.me/L0/https:%2F%2Fexample.com%2Fs', 'https://www.google.com/url'), fc.constantFrom('/', '/a/b', '/unsubscribe', '/p?', ''), query)
  .map(([host, path, q]) => `${host}${path}${q.length ? `${path.includes('?') ? '' : '?'}${q.join('&amp;')}` : ''}`)
const href = fc.oneof(url, fc.constantFrom('mailto:help@example.com', 'tel:+331', '#', '#top', '{{unsubscribe_url}}', '*|UNSUB|*', '', ' https://example.com/space ', '//cdn.example.com/x'))
const quoted = (v: string) => fc.constantFrom(`"${v.replace(/"/g, '&quot;')}"`, `'${v.replace(/'/g, '&#39;')}'`, /[\s"'=<>`]/.test(v) || v === '' ? `"${v}"` : v)
const extra = fc.constantFrom('', ' data-no-track', ' clicktracking="off"', ' style="color:red"', ' data-tracking="withdraw"', ' data-tracking="preferences"', ' data-tracking="consent"', ' target=_blank')
const link = fc.tuple(href, extra, text).chain(([h, x, t]) => quoted(h).map((q) => `<a href=${q}${x}>${t}</a>`))
const image = fc.constantFrom(
  '<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;id=2&amp;e=3" width="1" height="1">',
  '<img src="https://img.example.com/spacer.gif" width="1" height="1" alt="">',
  '<img src="https://cdn.example.com/hero.png" width="600" height="300" alt="Hero">',
  '<img src="https://t.example.org/o.gif?uid=99887766" style="display:none">',
  '<img src="https://t.example.org/open/8f14e45f-ceea-467f-a4d1-7a2b1c3d4e5f.png" width="0" height="0">',
  '<img src=https://cdn.example.com/a.png>',
)
const mso = fc.tuple(url, text).map(
  ([u, t]) => `<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="${u}" style="height:40px"><center>${t}</center></v:roundrect><![endif]-->`,
)
const broken = fc.constantFrom('<p>unclosed', '</td></tr>', '<table><tr><td>cell', '<<>>', '<a href="https://broken.example.com/', '<!-- note -->', '<![endif]-->', '<div style="display:none">hidden <a href="https://h.example.com/">h</a></div>', '<span data-tracking="withdraw"></span>', '<p data-tracking="consent"></p>')
const block = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(text, link, text).map(([a, l, b]) => `<p>${a} ${l} ${b}</p>`) },
  { weight: 2, arbitrary: image },
  { weight: 1, arbitrary: mso },
  { weight: 1, arbitrary: broken },
  { weight: 1, arbitrary: fc.tuple(link, image).map(([l, i]) => `<table role="presentation"><tr><td>${l}${i}</td></tr></table>`) },
)
const preheader = fc.constantFrom('', '<div style="display:none;max-height:0;overflow:hidden">Preview</div>', '<span class="preheader" style="display:none">Pre</span>')
const shell = fc.constantFrom('full', 'no-body', 'fragment', 'no-doctype')
const email = fc.tuple(shell, preheader, fc.array(fc.tuple(block, nl), { minLength: 1, maxLength: 8 })).map(([s, pre, blocks]) => {
  const body = pre + blocks.map(([b, n]) => b + n).join('')
  if (s === 'fragment') return body
  if (s === 'no-body') return `<html><head><title>x</title></head>${body}</html>`
  const doc = `<html lang="en"><head><meta charset="utf-8"><title>x</title></head>\r\n<body style="margin:0">\r\n${body}</body>\r\n</html>`
  return s === 'full' ? `<!DOCTYPE html>\r\n${doc}` : doc
})

const consentArb = fc.constantFrom(...(Object.keys(CONSENTS) as (keyof typeof CONSENTS)[]))
const categoryArb = fc.constantFrom<Category>('marketing', 'marketing', 'consent-request')
const trackerArb = fc.constantFrom<'self' | 'provider'>('self', 'self', 'provider')
const options = (tracker: 'self' | 'provider'): TransformOptions => ({ tokens, baseUrl: BASE, now: NOW, linkScope: 'scope-prop', tracker, unsubscribe: true })

function checkInvariants(input: string, text: string, r: TransformResult, strictTrackers: boolean): void {
  const tracked = r.decision.send && (r.decision.opens || r.decision.clicks)
  const allowed = tracked ? TRACKED_EDITS : [...UNTRACKED_EDITS, 'line-insert' as const, 'text-append' as const]
  expectMinimalDiff(input, r.html!, renderedOf(r).html, allowed)
  expectMinimalDiff(text, r.text!, renderedOf(r).text, allowed)
  if (!tracked) {
    expect(r.html).not.toContain(`${BASE}/o/`)
    expect(r.html).not.toContain(`${BASE}/c/`)
    if (strictTrackers) expectNoTrackers(r.html!)
    return
  }
  // Tracked: the withdrawal link is always there (HTML and text).
  expect(r.links.withdraw).toBeDefined()
  expect(r.text).toContain(r.links.withdraw)
  expect(r.html!.includes(r.links.withdraw!)).toBe(true)
  if (r.links.pixel) expect(count(r.html!, `${BASE}/o/`)).toBe(1)
  else expect(r.html).not.toContain(`${BASE}/o/`)
  if (strictTrackers && r.decision.clicks && !r.decision.reasons.some((x) => x.startsWith('error:')) && r.headers['X-PM-TrackLinks'] === 'None')
    expectLinksWrapped(r.html!, r.warnings)
}

describe('generated email HTML', () => {
  test('never throws; minimal diff; tracked or untracked as decided; render === transform', async () => {
    await fc.assert(
      fc.asyncProperty(email, consentArb, categoryArb, trackerArb, async (html, consentKey, category, tracker) => {
        const consent = CONSENTS[consentKey]
        const text = 'Plain part https://example.com/?mc_eid=1\n'
        const r = await transform({ html, text }, consent, category, { ...options(tracker), messageId: 'm_p' })
        checkInvariants(html, text, r, true)
        const rendered = await compile({ html, text }, options(tracker)).render(consent, category, { messageId: 'm_p', now: NOW })
        expect(normalizeTokens(rendered)).toEqual(normalizeTokens(r))
      }),
      { numRuns: 250 },
    )
  }, 300_000)
})

describe('mutated corpus HTML', () => {
  let samples: string[] = []
  beforeAll(async () => {
    // Real templates with their placeholder links made real, so wrapping is exercised.
    samples = (await loadCorpus())
      .filter((e) => e.html !== undefined && e.html.length < 120_000)
      .map((e, i) => e.html!.replace(/href="#"/g, () => `href="https://example.com/p${i}?utm_source=mail&amp;mc_eid=${i}x9"`))
  })

  const mutation = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    span: fc.nat({ max: 400 }),
    insert: fc.constantFrom('', '<', '>', '"', "'", '&', '<!--', '-->', '</body>', '<body>', '<table>', '</a>', '<a href="https://m.example.com/">', '<![endif]-->', '<!--[if mso]>', '\r\n', '<textarea>', '<style>', '{{ x }}'),
  })

  test('never throws; minimal diff; tracked or untracked as decided; render === transform', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), consentArb, categoryArb, async (pick, mutations, consentKey, category) => {
        let html = samples[pick % samples.length]!
        for (const m of mutations) {
          const at = Math.floor(m.at * html.length)
          html = html.slice(0, at) + m.insert + html.slice(Math.min(html.length, at + m.span))
        }
        const consent = CONSENTS[consentKey]
        const text = 'x'
        const r = await transform({ html, text }, consent, category, { ...options('self'), messageId: 'm_q' })
        checkInvariants(html, text, r, false)
        const rendered = await compile({ html, text }, options('self')).render(consent, category, { messageId: 'm_q', now: NOW })
        expect(normalizeTokens(rendered)).toEqual(normalizeTokens(r))
      }),
      { numRuns: 120 },
    )
  }, 300_000)
})
