// Hostile and broken email HTML for the reliability suites: corpus files cut
// at random points, deep nesting, NUL bytes, invalid UTF-16 (lone
// surrogates), attribute floods, Outlook conditional comments left open and
// multi-megabyte inputs; and the invariants every transform() or
// compile().render() of them must keep, whatever the input.
import fc from 'fast-check'
import { parse, parseFragment } from 'parse5'
import { expect } from 'vitest'
import type { Category } from '../../src/policy/types.js'
import { appliedEdits } from '../../src/html/splice.js'
import type { EditKind } from '../../src/html/plan.js'
import { compile, transform, type RenderedPart, type TransformOptions, type TransformResult } from '../../src/transform.js'
import { loadCorpus } from '../transform/corpus.js'
import {
  BASE,
  CONSENTS,
  NOW,
  TRACKED_EDITS,
  UNTRACKED_EDITS,
  count,
  expectNoTrackers,
  renderedOf,
  tokens,
} from '../transform/helpers.js'

/** One email part set to rewrite. */
export interface HostileEmail {
  /** How it was made, for failure messages and per-kind figures. */
  kind: string
  html: string
  text: string
  amp?: string
}

/** The corpus' HTML parts (HTML files and the HTML of raw messages). */
export async function corpusHtml(): Promise<string[]> {
  return (await loadCorpus()).flatMap((e) => (e.html !== undefined ? [e.html] : []))
}

// Trackers of ours must never appear in an untracked output; these third-party ones must be removed from it.
const PIXELS = [
  '<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;id=2&amp;e=3" width="1" height="1">',
  '<img src="https://u1.ct.sendgrid.net/wf/open?upn=abc" width="1" height="1" alt="" style="display:none">',
  '<img src="https://t.example.org/o.gif?uid=99887766" style="display:none">',
  '<img src="https://cdn.example.com/hero.png" width="600" height="300" alt="Hero">',
]
const HREFS = [
  'https://shop.example.com/a?utm_source=news&amp;mc_eid=8f2a91c',
  'https://x.list-manage.com/track/click?u=1&amp;id=2&amp;e=3',
  'https://xyz.awstrack.me/L0/https:%2F%2Fexample.com%2Fs/1/abc',
  'http://example.org/p?_hsenc=p2ANqtz-x',
  'https://example.com/unsubscribe',
  'mailto:help@example.com',
  '#top',
  '{{ unsubscribe_url }}',
]
// Tokens that change how everything after them parses.
const BREAKERS = [
  '<', '>', '"', "'", '&', '=', '<!--', '-->', '--!>', '<!', '<?', '</', '<![endif]-->', '<!--[if mso]>', '<!--[if !mso]><!-->', '<!--<![endif]-->',
  '</body>', '<body>', '</html>', '<html>', '<head>', '<table>', '</table>', '<tr>', '<td>', '</a>', '<a href="https://m.example.com/d?mc_eid=1">',
  '<a href="https://m.example.com/unclosed', '<textarea>', '<plaintext>', '<xmp>', '<style>', '<script>', '<template>', '<noscript>', '<select>',
  '<svg>', '<math>', '<iframe>', '<title>', '<frameset>', '<![CDATA[', '\uFEFF', '\r', '\r\n', '\u2028', '&#0;', '&#xD800;', '&amp', '&#x110000;',
  '<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;e=2" width="1" height="1"', ' data-tracking="withdraw"', '<div data-tracking="withdraw-line">',
]
const LONE = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uDC00\uD800', '\uD83D', '\uDE00']
const TAGS = ['div', 'table', 'tr', 'td', 'b', 'i', 'a', 'font', 'span', 'center', 'p', 'li', 'ul', 'blockquote', 'em', 'strong', 'nobr', 'form', 'button', 'select', 'svg', 'math']

const shell = (body: string, kind: number): string =>
  kind === 0 ? `<!DOCTYPE html>\r\n<html><head><meta charset="utf-8"><title>x</title></head>\r\n<body>\r\n${body}\r\n</body>\r\n</html>` : kind === 1 ? `<html><body>${body}` : body

/** A random window of a corpus file: cut at one or two random points. */
function corpusCut(samples: string[]): fc.Arbitrary<HostileEmail> {
  return fc
    .tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean())
    .map(([pick, a, b, prefix]) => {
      const s = samples[pick % samples.length]!
      const [lo, hi] = prefix ? [0, Math.max(a, b)] : [Math.min(a, b), Math.max(a, b)]
      return { kind: 'corpus-cut', html: s.slice(Math.floor(lo * s.length), Math.ceil(hi * s.length)), text: 'Read https://example.com/?mc_eid=1\n' }
    })
}

/** Elements nested hundreds to thousands deep, closed, half closed or never. */
function deepNesting(maxDepth: number): fc.Arbitrary<HostileEmail> {
  return fc
    .record({
      tags: fc.array(fc.constantFrom(...TAGS), { minLength: 1, maxLength: 4 }),
      depth: fc.integer({ min: 50, max: maxDepth }),
      closing: fc.constantFrom('none', 'all', 'half'),
      attrs: fc.constantFrom('', ' style="display:none"', ' data-tracking="withdraw"', ' href="https://n.example.com/x?mc_eid=9"', ' class="preheader"'),
      inner: fc.constantFrom(...PIXELS, ...HREFS.map((h) => `<a href="${h}">go</a>`)),
      wrap: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ tags, depth, closing, attrs, inner, wrap }) => {
      const open: string[] = []
      for (let i = 0; i < depth; i++) open.push(`<${tags[i % tags.length]}${i % 7 === 0 ? attrs : ''}>`)
      const closeCount = closing === 'all' ? depth : closing === 'half' ? depth >> 1 : 0
      const close: string[] = []
      for (let i = closeCount - 1; i >= 0; i--) close.push(`</${tags[i % tags.length]}>`)
      return { kind: 'deep-nesting', html: shell(open.join('') + inner + close.join(''), wrap), text: 'Deep https://example.com/\n' }
    })
}

/** One start tag with hundreds to thousands of attributes, duplicates included. */
function attributeFlood(maxAttributes: number): fc.Arbitrary<HostileEmail> {
  const name = fc.constantFrom('href', 'src', 'style', 'data-tracking', 'width', 'height', 'hidden', 'class', 'data-no-track', 'clicktracking', 'on', 'x', 'a-b', 'v:shape', 'xmlns:v', '"', "'", '<a', '=')
  const value = fc.constantFrom('', '"x"', "'y'", 'z', '"display:none"', '"https://f.example.com/?mc_eid=1"', '"withdraw"', '"1"', '"&amp;&#0;&lt;"', '"a>b"', "'<\"'", '"\0"')
  return fc
    .record({
      tag: fc.constantFrom('a href="https://f.example.com/l"', 'img src="https://u1.ct.sendgrid.net/wf/open?upn=abc"', 'body', 'div', 'td', 'v:roundrect href="https://f.example.com/v"', 'area href="https://f.example.com/m"'),
      seed: fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 8 }),
      n: fc.integer({ min: 50, max: maxAttributes }),
      close: fc.constantFrom('>', '/>', ''),
      wrap: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ tag, seed, n, close, wrap }) => {
      const attrs: string[] = []
      for (let i = 0; i < n; i++) {
        const [k, v] = seed[i % seed.length]!
        attrs.push(v === '' ? `${k}${i % 3 === 0 ? i : ''}` : `${k}${i % 3 === 0 ? i : ''}=${v}`)
      }
      return { kind: 'attribute-flood', html: shell(`<p>before</p><${tag} ${attrs.join(' ')}${close}flood</p><a href="https://f.example.com/after?mc_eid=2">after</a>`, wrap), text: 'x' }
    })
}

/** Outlook conditional comments opened and never closed, nested or repeated. */
function openConditionals(maxRepeat: number): fc.Arbitrary<HostileEmail> {
  const opener = fc.constantFrom('<!--[if mso]>', '<!--[if gte mso 9]>', '<!--[if !mso]><!-->', '<!--[if (mso)|(IE)]>', '<!--[if mso', '<!--[if')
  const inside = fc.constantFrom(
    '<v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" href="https://c.example.com/btn?mc_eid=3"><center>Go</center></v:roundrect>',
    '<a href="https://c.example.com/l?utm_source=x">link</a>',
    '<table><tr><td>',
    '<body>',
    PIXELS[0]!,
    '<![endif]-->',
    '',
  )
  return fc
    .record({ parts: fc.array(fc.tuple(opener, inside), { minLength: 1, maxLength: 6 }), repeat: fc.integer({ min: 1, max: maxRepeat }), wrap: fc.integer({ min: 0, max: 2 }) })
    .map(({ parts, repeat, wrap }) => {
      let body = ''
      for (let i = 0; i < repeat; i++) for (const [o, x] of parts) body += o + x
      return { kind: 'open-conditional', html: shell(`<p>Hello <a href="https://c.example.com/first">first</a></p>${body}`, wrap), text: 'x' }
    })
}

/** Small real-shaped emails with trackers, links and markers. */
function blocks(): fc.Arbitrary<HostileEmail> {
  const block = fc.oneof(
    fc.constantFrom(...PIXELS),
    fc.constantFrom(...HREFS).map((h) => `<p>Text <a href="${h}">link</a></p>`),
    fc.constantFrom('<div style="display:none">Preheader</div>', '<span data-tracking="withdraw"></span>', '<a data-tracking="preferences">prefs</a>', '<p data-tracking="consent"></p>'),
    fc.constantFrom(...BREAKERS),
  )
  return fc
    .tuple(fc.array(block, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 2 }))
    .map(([bs, wrap]) => ({ kind: 'generated', html: shell(bs.join('\n'), wrap), text: 'Plain https://example.com/?mc_eid=1\n' }))
}

interface Mutation {
  op: 'insert' | 'nul' | 'surrogate' | 'cut' | 'repeat' | 'delete'
  at: number
  span: number
  breaker: string
  lone: string
  times: number
}

/** Mutations applied on top of any email: breakers, NUL bytes, lone surrogates, cuts, repeats. */
const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom<Mutation['op']>('insert', 'nul', 'surrogate', 'cut', 'repeat', 'delete'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  span: fc.integer({ min: 1, max: 400 }),
  breaker: fc.constantFrom(...BREAKERS),
  lone: fc.constantFrom(...LONE),
  times: fc.integer({ min: 1, max: 64 }),
})

function mutate(s: string, m: Mutation): string {
  const at = Math.floor(m.at * s.length)
  switch (m.op) {
    case 'insert':
      return s.slice(0, at) + m.breaker + s.slice(at)
    case 'nul': {
      // NUL bytes scattered after the point: inside tags, values, text.
      let out = s
      for (let i = 0; i < m.times; i++) {
        const p = Math.min(out.length, at + ((i * 7919) % Math.max(1, out.length - at + 1)))
        out = out.slice(0, p) + '\0' + out.slice(p)
      }
      return out
    }
    case 'surrogate': {
      let out = s
      for (let i = 0; i < m.times; i++) {
        const p = Math.min(out.length, at + ((i * 104729) % Math.max(1, out.length - at + 1)))
        out = out.slice(0, p) + m.lone + out.slice(p)
      }
      return out
    }
    case 'cut':
      return s.slice(0, at)
    case 'repeat':
      return s.slice(0, at) + s.slice(at, at + m.span).repeat(Math.min(m.times, 16)) + s.slice(at)
    default:
      return s.slice(0, at) + s.slice(at + m.span)
  }
}

/** Size limits of one generated case. */
export interface HostileLimits {
  maxDepth: number
  maxAttributes: number
  maxConditionals: number
}

export const NORMAL_LIMITS: HostileLimits = { maxDepth: 1500, maxAttributes: 1500, maxConditionals: 40 }
export const STRESS_LIMITS: HostileLimits = { maxDepth: 6000, maxAttributes: 6000, maxConditionals: 200 }

/** Any hostile email: a base kind, then up to four mutations; an AMP part now and then. */
export function hostileEmail(samples: string[], limits: HostileLimits): fc.Arbitrary<HostileEmail> {
  const base = fc.oneof(
    { weight: 4, arbitrary: corpusCut(samples) },
    { weight: 2, arbitrary: blocks() },
    { weight: 1, arbitrary: deepNesting(limits.maxDepth) },
    { weight: 1, arbitrary: attributeFlood(limits.maxAttributes) },
    { weight: 1, arbitrary: openConditionals(limits.maxConditionals) },
  )
  return fc
    .tuple(base, fc.array(mutation, { maxLength: 4 }), fc.array(mutation, { maxLength: 2 }), fc.integer({ min: 0, max: 9 }))
    .map(([email, htmlMutations, textMutations, ampRoll]) => {
      let html = email.html
      for (const m of htmlMutations) html = mutate(html, m)
      let text = email.text
      for (const m of textMutations) text = mutate(text, m)
      const kind = htmlMutations.length > 0 ? `${email.kind}+${htmlMutations.map((m) => m.op).join('+')}` : email.kind
      const out: HostileEmail = { kind, html, text }
      // One case in ten carries an AMP part made of the same hostile markup.
      if (ampRoll === 0) out.amp = `<!doctype html><html ⚡4email><head><meta charset="utf-8"></head><body>${html}</body></html>`
      return out
    })
}

/** Multi-megabyte inputs, each about `bytes` long. */
export function hugeEmails(samples: string[], bytes = 5_000_000): HostileEmail[] {
  const fill = (unit: string) => unit.repeat(Math.ceil(bytes / unit.length))
  const biggest = [...samples].sort((a, b) => b.length - a.length)
  const hybrid = samples.find((s) => s.includes('v:roundrect')) ?? biggest[0]!
  const flood = Array.from({ length: Math.ceil(bytes / 12) }, (_, i) => `a${i}="v${i % 10}"`).join(' ')
  return [
    { kind: 'huge:corpus-repeat', html: fill(hybrid).slice(0, bytes), text: 'x' },
    { kind: 'huge:largest-corpus-cut', html: fill(biggest[0]!).slice(0, bytes - 17), text: 'x' },
    { kind: 'huge:links', html: `<html><body>${fill('<p><a href="https://e.example.com/x?utm_source=a&amp;mc_eid=1">x</a></p>\n')}</body></html>`, text: 'x' },
    { kind: 'huge:pixels', html: `<html><body>${fill('<img src="https://x.us1.list-manage.com/track/open.php?u=1&amp;e=3" width="1" height="1">')}`, text: 'x' },
    { kind: 'huge:nul', html: `<html><body>${fill('\0<a href="https://e.example.com/\0">x\0</a>')}</body></html>`, text: '\0'.repeat(1000) },
    { kind: 'huge:lone-surrogates', html: `<html><body>${fill('\uD800<a href="https://e.example.com/\uDC00">\uDFFF</a>')}</body></html>`, text: '\uD800 https://e.example.com/\uDC00' },
    { kind: 'huge:attribute-flood', html: `<html><body><a href="https://e.example.com/" ${flood}>x</a></body></html>`, text: 'x' },
    { kind: 'huge:open-conditionals', html: `<html><body>${fill('<!--[if mso]><a href="https://e.example.com/">x</a>')}</body></html>`, text: 'x' },
    { kind: 'huge:deep-nesting', html: `<html><body>${fill('<div><b>')}<a href="https://e.example.com/">x</a></body></html>`, text: 'x' },
    { kind: 'huge:text-only', html: fill('Lorem ipsum dolor sit amet. '), text: fill('Lorem https://e.example.com/?mc_eid=1 ') },
  ]
}

export const CONSENT_KEYS = Object.keys(CONSENTS) as (keyof typeof CONSENTS)[]
export const consentArb = fc.constantFrom(...CONSENT_KEYS)
export const categoryArb = fc.constantFrom<Category>('marketing', 'marketing', 'marketing', 'consent-request', 'transactional')
export const trackerArb = fc.constantFrom<'self' | 'provider'>('self', 'self', 'provider')

/** Options of one hostile run. */
export function hostileOptions(tracker: 'self' | 'provider', timeBudgetMs?: number): TransformOptions {
  return { tokens, baseUrl: BASE, now: NOW, linkScope: 'scope-hostile', tracker, unsubscribe: true, messageId: 'm_h', ...(timeBudgetMs !== undefined ? { timeBudgetMs } : {}) }
}

/** Runs one email through transform() or compile()+render(), timed. */
export async function rewrite(
  email: HostileEmail,
  consentKey: keyof typeof CONSENTS,
  category: Category,
  options: TransformOptions,
  through: 'transform' | 'compile',
): Promise<{ result: TransformResult; ms: number }> {
  const parts = { html: email.html, text: email.text, ...(email.amp !== undefined ? { amp: email.amp } : {}) }
  const started = performance.now()
  const result =
    through === 'transform'
      ? await transform(parts, CONSENTS[consentKey], category, options)
      : await compile(parts, options).render(CONSENTS[consentKey], category, { messageId: 'm_h', now: NOW })
  return { result, ms: performance.now() - started }
}

const INSERTIONS: ReadonlySet<EditKind> = new Set(['pixel-insert', 'line-insert', 'marker-link-insert', 'no-track-stamp', 'text-append'])
const REMOVALS: ReadonlySet<EditKind> = new Set(['pixel-remove', 'beacon-remove', 'marker-remove'])

/**
 * The minimal-diff invariant on any input: `output` is `input` with the
 * recorded edits applied and nothing else, and each edit is the kind of
 * change it claims to be. (As test/transform/helpers.ts checks it, with tag
 * names as the tokenizer reads them: any run up to whitespace, `/` or `>`,
 * lone surrogates and NUL bytes included.)
 */
export function expectMinimalDiff(input: string, output: string, part: RenderedPart | undefined, allowed: readonly EditKind[]): void {
  if (!part) {
    expect(output === input, 'output without recorded edits is the input').toBe(true)
    return
  }
  expect(part.variant.source === input, 'variant source is the input').toBe(true)
  let i = 0
  let o = 0
  for (const e of appliedEdits(part.variant, part.urls)) {
    if (!allowed.includes(e.kind)) throw new Error(`unexpected edit ${e.kind} at ${e.start}`)
    if (e.start < i) throw new Error(`edits out of order at ${e.start}`)
    if (output.slice(o, o + (e.start - i)) !== input.slice(i, e.start)) throw new Error(`bytes before edit ${e.kind} at ${e.start} changed`)
    o += e.start - i
    if (output.slice(o, o + e.output.length) !== e.output) throw new Error(`edit ${e.kind} at ${e.start} is not what was recorded`)
    o += e.output.length
    const removed = input.slice(e.start, e.end)
    if (INSERTIONS.has(e.kind)) expect(removed).toBe('')
    else if (REMOVALS.has(e.kind)) {
      // A pixel inside SVG or MathML leaves a bare <img alt=""> in its place, so the rest parses as before.
      expect(e.output === '' || (e.kind === 'pixel-remove' && e.output === '<img alt="">'), `${e.kind} output ${JSON.stringify(e.output)}`).toBe(true)
      // A tracker element, or an element marked as a line this library inserts (any tag: a template may mark one itself).
      expect(removed).toMatch(/^<(?:img|amp-img|amp-pixel|amp-analytics|a|area)\b|^<[^\s/>]+\s[^>]*data-tracking\s*=\s*["']?(?:withdraw|consent)-line/i)
    } else if (e.kind === 'link-wrap' || e.kind === 'link-clean' || e.kind === 'marker-fill') {
      // An attribute value (or a missing one) of a clickable element, never <link> or <base>.
      const q = input[e.start - 1]
      if (removed !== '' && (q === '"' || q === "'")) expect(input[e.end]).toBe(q)
      else if (removed !== '') expect(removed).not.toMatch(/[\s>]/)
      // The nearest `<` names the tag, unless malformed markup (`<a <div data-tracking=…>`) made that
      // `<div` an attribute name of an open `<a`: then parse5, the tokenizer itself, has the last word.
      if (!/^(?:a|area|v:[^\t\n\f\r />]+)$/i.test(tagBefore(input, e.start))) expect(clickableStartTagAt(input, e.start), `edit ${e.kind} at ${e.start}`).toBe(true)
    } else if (e.kind === 'text-clean') expect(removed).toMatch(/^https?:\/\/\S+$/)
    i = e.end
  }
  if (output.slice(o) !== input.slice(i)) throw new Error('bytes after the last edit changed')
  expect(o + (input.length - i)).toBe(output.length)
}

/** Name of the start tag an offset falls in, as the tokenizer reads it. */
/**
 * Whether `offset` lies inside the start tag of an `a`, `area` or `v:*` element as parse5 tokenizes
 * `input`, including the markup of Outlook conditional comments (`<!--[if mso]>…`), which the
 * library parses in place as a fragment, as it does. (The tokenizer's tag names run to whitespace,
 * `/` or `>`: in `<v:<roundrect href=…>` the tag is `v:<roundrect`, a VML name.)
 */
function clickableStartTagAt(input: string, offset: number): boolean {
  type Loc = { startOffset: number; endOffset: number; startTag?: { startOffset: number; endOffset: number } }
  type Node = { nodeName: string; tagName?: string; data?: string; childNodes?: Node[]; content?: Node; sourceCodeLocation?: Loc | null }
  const stack: { node: Node; base: number }[] = [{ node: parse(input, { sourceCodeLocationInfo: true }) as unknown as Node, base: 0 }]
  while (stack.length > 0) {
    const { node, base } = stack.pop()!
    const tag = node.sourceCodeLocation?.startTag
    if (tag && base + tag.startOffset < offset && offset <= base + tag.endOffset && /^(?:a|area|v:.+)$/i.test(node.tagName ?? '')) return true
    const loc = node.sourceCodeLocation
    if (node.nodeName === '#comment' && loc && /^\s*\[if\b/i.test(node.data ?? '') && input.startsWith('<!--', base + loc.startOffset)) {
      const fragment = parseFragment(node.data!, { sourceCodeLocationInfo: true }) as unknown as Node
      stack.push({ node: fragment, base: base + loc.startOffset + 4 })
    }
    for (const child of node.childNodes ?? []) stack.push({ node: child, base })
    if (node.content) stack.push({ node: node.content, base })
  }
  return false
}

function tagBefore(input: string, offset: number): string {
  for (let i = offset - 1; i >= 0; i--) {
    if (input[i] === '<' && /[A-Za-z]/.test(input[i + 1] ?? '')) return /^<([A-Za-z][^\t\n\f\r />]*)/.exec(input.slice(i, i + 80))![1]!
  }
  return ''
}

/**
 * The untracked rewrite itself could not locate anything (the parser failed
 * or ran out of time), so the HTML went out as written. A tracked variant
 * that failed leaves its reason in `decision.reasons` only: its fallback was
 * still located and stripped, and is checked as such.
 */
export function abandoned(r: TransformResult): boolean {
  return r.warnings.some((w) => /^error:(?:parse|time-budget|untracked-render)/.test(w))
}

/**
 * What must hold for any input: the decided kind of output, tracking only
 * when decided, a withdrawal link in every tracked email, nothing changed
 * outside the recorded edits, and transactional mail byte-identical.
 */
export async function expectSafeResult(email: HostileEmail, category: Category, tracker: 'self' | 'provider', r: TransformResult): Promise<void> {
  if (category === 'transactional') {
    expect(r.decision.basis).toBe('exempt')
    expect(r.html).toBe(email.html)
    expect(r.text).toBe(email.text)
    expect(r.amp).toBe(email.amp)
    return
  }
  const tracked = r.decision.send && (r.decision.opens || r.decision.clicks)
  const ours = tracked && tracker === 'self'
  const allowed = tracked ? TRACKED_EDITS : [...UNTRACKED_EDITS, 'line-insert' as const, 'text-append' as const]
  const rendered = renderedOf(r)
  expectMinimalDiff(email.html, r.html!, rendered.html, allowed)
  expectMinimalDiff(email.text, r.text!, rendered.text, allowed)
  if (email.amp !== undefined && r.amp !== undefined) expectMinimalDiff(email.amp, r.amp, rendered.amp, allowed)
  // Only inserted URLs carry our base: none of the inputs contain it.
  for (const part of [r.html!, r.text!, r.amp ?? '']) {
    if (!ours) {
      expect(part).not.toContain(`${BASE}/o/`)
      expect(part).not.toContain(`${BASE}/c/`)
    } else expect(count(part, `${BASE}/o/`)).toBeLessThanOrEqual(1)
    if (!tracked) expect(part).not.toContain(`${BASE}/w/`)
  }
  if (!ours) {
    expect(r.links.pixel).toBeUndefined()
    expect(r.headers['X-PM-TrackOpens']).toBe(tracked && tracker === 'provider' && r.decision.opens ? 'true' : 'false')
    // Known third-party trackers are gone too, unless the rewrite could not locate anything and sent the email as written.
    if (!abandoned(r)) expectNoTrackers(r.html!)
  }
  if (tracked) {
    // A tracked email always carries a working withdrawal link, in HTML and text.
    expect(r.links.withdraw).toBeDefined()
    expect(r.html).toContain(r.links.withdraw)
    expect(r.text).toContain(r.links.withdraw)
    const claims = await tokens.verify(r.links.withdraw!.slice(`${BASE}/w/`.length), { purpose: 'withdraw' })
    expect(claims.contactId).toBe('c_42')
  }
}

/**
 * fast-check parameters: `runs` cases from a random seed, or the failing case
 * of an earlier run again with `FC_SEED=<seed> FC_PATH=<path>` (as printed).
 */
export function replay(runs: number, seed?: number): fc.Parameters<unknown> {
  const envSeed = process.env.FC_SEED
  if (envSeed !== undefined && envSeed !== '') return { numRuns: runs, seed: Number(envSeed), ...(process.env.FC_PATH ? { path: process.env.FC_PATH, endOnFailure: true } : {}) }
  return { numRuns: runs, ...(seed !== undefined ? { seed } : {}) }
}

/** Figures of one hostile run. */
export interface HostileFigures {
  cases: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  slowest: string
  /** `error:*` reasons and warnings seen, with how many cases had each. */
  fallbacks: Record<string, number>
  tracked: number
}

/** Most a hostile case of at most a few hundred kilobytes may take: the budget, plus slack for one parse on a loaded machine. */
export const HANG_LIMIT_MS = 5000 + 15_000

/**
 * Runs `runs` hostile cases (fast-check, reproducible from `seed`) through
 * transform() or compile().render() and checks every invariant on each.
 */
export async function runHostileProperty(samples: string[], options: { runs: number; seed?: number; limits: HostileLimits }): Promise<HostileFigures> {
  const times: number[] = []
  const fallbacks: Record<string, number> = {}
  let slowest = { ms: 0, kind: '' }
  let tracked = 0
  await fc.assert(
    fc.asyncProperty(
      hostileEmail(samples, options.limits),
      consentArb,
      categoryArb,
      trackerArb,
      fc.constantFrom<'transform' | 'compile'>('transform', 'transform', 'transform', 'compile'),
      async (email, consentKey, category, tracker, through) => {
        const { result, ms } = await rewrite(email, consentKey, category, hostileOptions(tracker), through)
        if (ms > HANG_LIMIT_MS) throw new Error(`${email.kind} (${email.html.length} chars) took ${Math.round(ms)} ms`)
        try {
          await expectSafeResult(email, category, tracker, result)
        } catch (err) {
          throw new Error(`${email.kind} via ${through}, ${consentKey}/${category}/${tracker}: ${(err as Error).message}`, { cause: err })
        }
        times.push(ms)
        if (ms > slowest.ms) slowest = { ms, kind: `${email.kind} (${email.html.length} chars)` }
        if (result.decision.send && (result.decision.opens || result.decision.clicks)) tracked++
        for (const reason of new Set([...result.decision.reasons, ...result.warnings].filter((w) => w.startsWith('error:')))) fallbacks[reason] = (fallbacks[reason] ?? 0) + 1
      },
    ),
    replay(options.runs, options.seed),
  )
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0
  return { cases: times.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: times[times.length - 1] ?? 0, slowest: slowest.kind, fallbacks, tracked }
}

/** One line of figures for the log (the numbers docs/reliability.md reports). */
export function describeFigures(label: string, f: HostileFigures): string {
  const fb = Object.entries(f.fallbacks)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
  return `[reliability] ${label}: ${f.cases} cases (${f.tracked} tracked), transform p50 ${f.p50Ms.toFixed(1)} ms, p99 ${f.p99Ms.toFixed(1)} ms, max ${f.maxMs.toFixed(0)} ms [${f.slowest}]; fallbacks: ${fb || 'none'}`
}
