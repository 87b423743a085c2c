// Shared checks of transform results: the minimal-diff invariant from the
// recorded edits, and what tracked / untracked output may and must contain.
import { randomBytes } from 'node:crypto'
import { expect } from 'vitest'
import { createTokens } from '../../src/tokens/index.js'
import type { ConsentRecord, ConsentStatus } from '../../src/policy/types.js'
import { EDITS, type RenderedPart, type TransformResult } from '../../src/transform.js'
import { appliedEdits } from '../../src/html/splice.js'
import { locate } from '../../src/html/locate.js'
import { cleanUrl, looksPersonal, matchRule, trackerData } from '../../src/html/trackers.js'
import { hasMergeTag } from '../../src/html/escape.js'
import type { EditKind } from '../../src/html/plan.js'

export const BASE = 'https://t.example.com/mail'
export const NOW = new Date('2026-09-01T10:00:00Z')
export const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
export const TRACKERS = trackerData()

/** A consent record collected under the new regime with the given answers. */
export function record(opens: ConsentStatus, clicks: ConsentStatus, contactId = 'c_42'): ConsentRecord {
  const state = (status: ConsentStatus) => (status === 'unknown' ? { status } : { status, at: new Date('2026-05-02T09:00:00Z') })
  return { contactId, opens: state(opens), clicks: state(clicks), collectedAt: new Date('2026-05-01T00:00:00Z') }
}

export const CONSENTS = {
  unknown: null,
  denied: record('denied', 'denied'),
  opens: record('granted', 'denied'),
  clicks: record('denied', 'granted'),
  both: record('granted', 'granted'),
} as const

/** The parts a result was rendered from (non-enumerable on every result). */
export function renderedOf(result: TransformResult): { html?: RenderedPart; text?: RenderedPart; amp?: RenderedPart } {
  return (result as unknown as Record<symbol, { html?: RenderedPart; text?: RenderedPart; amp?: RenderedPart }>)[EDITS] ?? {}
}

const INSERTIONS: ReadonlySet<EditKind> = new Set(['pixel-insert', 'line-insert', 'marker-link-insert', 'no-track-stamp', 'text-append'])
const REMOVALS: ReadonlySet<EditKind> = new Set(['pixel-remove', 'beacon-remove', 'marker-remove'])

/**
 * The minimal-diff invariant: `output` is `input` with the recorded edits
 * applied and nothing else, and each edit is the kind of change it claims to be.
 */
export function expectMinimalDiff(input: string, output: string, part: RenderedPart | undefined, allowed: readonly EditKind[]): void {
  if (!part) {
    expect(output).toBe(input)
    return
  }
  expect(part.variant.source).toBe(input)
  const edits = appliedEdits(part.variant, part.urls)
  let i = 0
  let o = 0
  for (const e of edits) {
    expect(allowed, `unexpected edit ${e.kind}`).toContain(e.kind)
    expect(e.start).toBeGreaterThanOrEqual(i)
    // Bytes before the edit are the input's, unchanged.
    expect(output.slice(o, o + (e.start - i))).toBe(input.slice(i, e.start))
    o += e.start - i
    expect(output.slice(o, o + e.output.length)).toBe(e.output)
    o += e.output.length
    const removed = input.slice(e.start, e.end)
    if (INSERTIONS.has(e.kind)) expect(removed).toBe('')
    else if (REMOVALS.has(e.kind)) {
      // A pixel inside SVG or MathML leaves a bare <img alt=""> in its place, so the rest parses as before.
      expect(e.output === '' || (e.kind === 'pixel-remove' && e.output === '<img alt="">'), `${e.kind} output ${JSON.stringify(e.output)}`).toBe(true)
      expect(removed).toMatch(/^<(?:img|amp-img|amp-pixel|amp-analytics|a|area)\b|^<div [^>]*data-tracking="(?:withdraw|consent)-line"/i)
    } else if (e.kind === 'link-wrap' || e.kind === 'link-clean' || e.kind === 'marker-fill') {
      // An attribute value (or a missing one) of a clickable element, never <link> or <base>.
      const q = input[e.start - 1]
      if (removed !== '' && (q === '"' || q === "'")) expect(input[e.end]).toBe(q)
      else if (removed !== '') expect(removed).not.toMatch(/[\s>]/)
      expect(tagBefore(input, e.start)).toMatch(/^(?:a|area|v:[a-z]+)$/i)
    } else if (e.kind === 'text-clean') expect(removed).toMatch(/^https?:\/\/\S+$/)
    i = e.end
  }
  expect(output.slice(o)).toBe(input.slice(i))
  expect(o + (input.length - i)).toBe(output.length)
}

/** Name of the start tag an offset falls in. */
function tagBefore(input: string, offset: number): string {
  for (let i = offset - 1; i >= 0; i--) {
    if (input[i] === '<' && /[A-Za-z]/.test(input[i + 1] ?? '')) return /^<([A-Za-z][\w:-]*)/.exec(input.slice(i, i + 40))![1]!
  }
  return ''
}

export const UNTRACKED_EDITS: EditKind[] = ['pixel-remove', 'beacon-remove', 'link-clean', 'marker-remove', 'marker-fill', 'marker-link-insert', 'no-track-stamp', 'text-clean']
export const TRACKED_EDITS: EditKind[] = [...UNTRACKED_EDITS, 'pixel-insert', 'link-wrap', 'line-insert', 'text-append']

const FUNCTIONAL = /unsubscri|opt-?out|preference|list-manage\d*\.com\/profile|d[ée]sinscri|desinscri|d[ée]sabonn|abmelden/i

function isFunctional(href: string, label: string): boolean {
  return FUNCTIONAL.test(href) || /unsubscribe|d[ée]sinscri|d[ée]sabonn|opt.?out|preferences|pr[ée]f[ée]rences|abmelden/i.test(label)
}

/** Untracked HTML: no pixel or click link of ours, no known or personal pixel, no removable tracker on a link. */
export function expectNoTrackers(html: string): void {
  expect(html).not.toContain(`${BASE}/o/`)
  expect(html).not.toContain(`${BASE}/c/`)
  const map = locate(html)
  for (const img of map.images) {
    expect(matchRule(TRACKERS, 'pixel', img.src), img.src).toBeUndefined()
    const tiny = (img.width !== undefined && img.width <= 1 && img.height !== undefined && img.height <= 1) || img.width === 0 || img.height === 0
    if (tiny || img.hidden) expect(looksPersonal(img.src), img.src).toBe(false)
  }
  for (const link of map.links) {
    const href = link.href?.trim() ?? ''
    // Functional links (unsubscribe, preferences, markers) keep the identity they need.
    if (!/^https?:\/\//i.test(href) || isFunctional(href, link.label) || link.marker !== undefined) continue
    expect(cleanUrl(TRACKERS, href).changes, href).toEqual([])
  }
}

/** Tracked HTML: every http(s) link goes through our click route unless it is functional, opted out, or a skipped merge-tag link. */
export function expectLinksWrapped(html: string, warnings: string[]): void {
  const map = locate(html)
  for (const link of map.links) {
    const href = link.href?.trim() ?? ''
    if (!/^https?:\/\//i.test(href)) continue
    if (href.startsWith(`${BASE}/`)) continue
    if (link.noTrack || link.espAttributes.length > 0) continue
    if (isFunctional(href, link.label)) continue
    if (hasMergeTag(href)) {
      expect(warnings).toContain('link-skipped:merge-tag')
      continue
    }
    throw new Error(`trackable link left unwrapped: ${href}`)
  }
}

/** Count of non-overlapping occurrences. */
export function count(haystack: string, needle: string): number {
  let n = 0
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length)) n++
  return n
}

/** Replaces every personal token by a placeholder, so two renders of the same inputs compare equal. */
export function normalizeTokens<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/(\/(?:o|c|w|p|consent|u)\/)[A-Za-z0-9_-]+\.[A-Za-z0-9_.-]+/g, '$1TOKEN')) as T
}
