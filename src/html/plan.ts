// Plan: turn the located spots into a list of edits for one kind of output
// (untracked, tracked, consent request…). Each edit replaces source[start,end)
// with pieces; personal URLs are slots filled at render time.
import type { Properties } from 'hast'
import { CLICK_TARGET_PARAM, ROUTE_SEGMENT } from '../lib/routes.js'
import { stampText, type NoTrackAttribute } from '../providers/attributes.js'
import type { TokenPurpose } from '../tokens/types.js'
import { escapeAttribute, hasMergeTag } from './escape.js'
import { boxLinkFragment, lineFragment, pixelFragment, type Framed, type Locale } from './fragments.js'
import type { LocatedLink, MarkerKind, TemplateMap } from './locate.js'
import { cleanUrl, looksPersonal, matchRule, type TrackerData } from './trackers.js'

/** A personal URL written at render time. `click` indexes the variant's click targets. */
export interface SlotPiece {
  slot: TokenPurpose
  click: number
}

/** Pieces written only when the render has a token for `when`; otherwise the original bytes. */
export interface CondPiece {
  when: TokenPurpose
  then: Piece[]
  otherwise: string
}

/** Output text: literal, personal URL, or conditional. */
export type Piece = string | SlotPiece | CondPiece

/** What an edit does; tests use it to check each change is one we meant. */
export type EditKind =
  | 'pixel-insert'
  | 'pixel-remove'
  | 'beacon-remove'
  | 'link-wrap'
  | 'link-clean'
  | 'marker-fill'
  | 'marker-remove'
  | 'marker-link-insert'
  | 'line-insert'
  | 'no-track-stamp'
  | 'text-clean'
  | 'text-append'

/** Replace `source[start, end)` with `pieces`. Insertions have `start === end`. */
export interface Edit {
  start: number
  end: number
  kind: EditKind
  pieces: Piece[]
}

/**
 * One tracker taken out of the email (`TransformResult.removed`).
 *
 * @example
 * ```ts
 * import { transform, type Removal } from 'email-tracking-consent'
 * const { removed } = await transform({ html }, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail' })
 * const pixels: Removal[] = removed.filter((r) => r.kind === 'pixel')
 * for (const r of pixels) console.log(r.reason, r.url) // e.g. 'known-pixel:mailchimp', 'personal-image'
 * ```
 */
export interface Removal {
  kind: 'pixel' | 'tracked-link' | 'param'
  url: string
  reason: string
}

/** What one output variant must contain. */
export interface PlanSpec {
  /** Insert our open pixel. */
  pixel: boolean
  /** Route trackable links through the click endpoint. */
  wrapClicks: boolean
  /** Fill withdrawal markers or insert the withdrawal line; when `false`, withdrawal markers are removed. */
  withdraw: boolean
  /** Fill consent markers or insert the consent block; when `false`, consent markers are removed. */
  consent: boolean
  /** Fill `data-tracking="preferences"` markers (when a token is available at render). */
  preferences: boolean
  /** Fill `data-tracking="unsubscribe"` markers (when the unsubscribe route is configured). */
  unsubscribe: boolean
  /** AMP part: no pixel, no wrapping, no inline styles or non-`data-*` attributes in inserted markup. */
  amp: boolean
  locale: Locale
  /** ESP no-track attributes stamped on functional links. */
  stamp: readonly NoTrackAttribute[]
}

/** Shared, per-compile inputs of planning. */
export interface PlanContext {
  /** Normalized base URL of the handler (no trailing slash). */
  base: string
  trackers: TrackerData
}

/** The planned edits of one part for one variant. */
export interface Plan {
  edits: Edit[]
  removed: Removal[]
  warnings: string[]
  /** Click targets, indexed by `SlotPiece.click`. */
  clicks: string[]
  /** How many withdrawal / consent links were placed, and whether the pixel was. */
  placed: { withdraw: number; consent: number; pixel: boolean }
}

const HTTP = /^https?:\/\//i
const FUNCTIONAL_URL =
  /unsubscri|opt-?out|d[ée]sinscri|d%C3%A9sinscri|desinscri|d[ée]sabonn|d%C3%A9sabonn|abmelden|abbestellen|preference|list-manage\d*\.com\/profile/i
const FUNCTIONAL_LABEL =
  /unsubscribe|d[ée]sinscri|d[ée]sabonn|opt.?out|abmelden|abbestellen|darse de baja|preferences|pr[ée]f[ée]rences/i

/** Our own route a URL points to, if any; click links also give their target. */
export function ownRoute(url: string, base: string): { purpose: TokenPurpose; target?: string } | undefined {
  if (!url.startsWith(`${base}/`)) return undefined
  const rest = url.slice(base.length + 1)
  for (const [purpose, segment] of Object.entries(ROUTE_SEGMENT) as [TokenPurpose, string][]) {
    if (!rest.startsWith(`${segment}/`)) continue
    if (purpose !== 'click') return { purpose }
    const q = rest.indexOf('?')
    if (q < 0) return { purpose }
    for (const pair of rest.slice(q + 1).split('&')) {
      if (!pair.startsWith(`${CLICK_TARGET_PARAM}=`)) continue
      try {
        return { purpose, target: decodeURIComponent(pair.slice(CLICK_TARGET_PARAM.length + 1)) }
      } catch {
        return { purpose }
      }
    }
    return { purpose }
  }
  return undefined
}

const slot = (purpose: TokenPurpose, click = -1): SlotPiece => ({ slot: purpose, click })

// An SVG or MathML start tag anywhere in the document.
const FOREIGN = /<(?:svg|math)[\s/>]/i

/** Plans the HTML (or AMP) edits of one variant. */
export function planHtml(map: TemplateMap, spec: PlanSpec, ctx: PlanContext): Plan {
  const { source } = map
  const plan: Plan = { edits: [], removed: [], warnings: [], clicks: [], placed: { withdraw: 0, consent: 0, pixel: false } }
  const warn = (w: string) => {
    if (!plan.warnings.includes(w)) plan.warnings.push(w)
  }
  const clickIndex = new Map<string, number>()
  const stampAttributes: Properties = {}
  for (const a of spec.stamp) stampAttributes[a.name] = a.value
  const stamp = (link: LocatedLink) => {
    if (link.attributesAt < 0) return
    const text = stampText(spec.stamp, link.espAttributes)
    if (text) plan.edits.push({ start: link.attributesAt, end: link.attributesAt, kind: 'no-track-stamp', pieces: [text] })
  }

  const markerWanted = (kind: MarkerKind) =>
    kind === 'withdraw' ? spec.withdraw : kind === 'consent' ? spec.consent : kind === 'preferences' ? spec.preferences : spec.unsubscribe
  const markerRemovable = (kind: MarkerKind) => kind === 'withdraw' || kind === 'consent'

  const fillMarker = (link: LocatedLink, kind: MarkerKind) => {
    if (link.inComment) return warn(`marker-in-comment:${kind}`)
    if (!markerWanted(kind)) {
      if (!markerRemovable(kind)) return warn(`marker-skipped:${kind}`)
      // A withdrawal or consent link makes no sense in a message without tracking or request.
      if (link.closed) plan.edits.push({ start: link.start, end: link.end, kind: 'marker-remove', pieces: [] })
      else warn(`marker-kept:${kind}`)
      return
    }
    if (link.hidden) return warn(`marker-hidden:${kind}`)
    const v = link.value
    if (v === undefined) {
      if (link.attributesAt < 0) return warn(`marker-skipped:${kind}`)
      plan.edits.push({
        start: link.attributesAt,
        end: link.attributesAt,
        kind: 'marker-fill',
        pieces: [{ when: kind, then: [' href="', slot(kind), '"'], otherwise: '' }],
      })
    } else {
      const raw = source.slice(v.start, v.end)
      const then: Piece[] = v.quoted ? [slot(kind)] : v.start === v.end ? ['="', slot(kind), '"'] : ['"', slot(kind), '"']
      plan.edits.push({ start: v.start, end: v.end, kind: 'marker-fill', pieces: [{ when: kind, then, otherwise: raw }] })
    }
    stamp(link)
    if (kind === 'withdraw') plan.placed.withdraw++
    if (kind === 'consent') plan.placed.consent++
  }

  for (const link of map.links) {
    const href = link.href?.trim()
    const own = href !== undefined ? ownRoute(href, ctx.base) : undefined
    const kind = link.marker ?? (own && own.purpose !== 'click' && own.purpose !== 'open' ? (own.purpose as MarkerKind) : undefined)
    if (kind !== undefined && !(link.inComment && link.marker === undefined)) {
      fillMarker(link, kind)
      continue
    }
    if (href === undefined || link.value === undefined) continue
    // Our own withdrawal, preference, consent or unsubscribe URL in Outlook-only markup: leave it alone.
    if (own !== undefined && own.purpose !== 'click') continue
    let url = href
    let changed = false
    if (own?.purpose === 'click') {
      if (own.target === undefined || !HTTP.test(own.target)) continue
      plan.removed.push({ kind: 'tracked-link', url: href, reason: 'own-click' })
      url = own.target
      changed = true
    }
    if (!HTTP.test(url)) {
      if (!spec.amp && FUNCTIONAL_LABEL.test(link.label) && !link.inComment) stamp(link)
      continue
    }
    if (FUNCTIONAL_URL.test(url) || FUNCTIONAL_LABEL.test(link.label)) {
      // Unsubscribe and preference links must keep their identity and must never be wrapped.
      if (!link.inComment) stamp(link)
      if (changed) pushValue(plan, source, link, url, 'link-clean')
      continue
    }
    const cleaned = cleanUrl(ctx.trackers, url)
    for (const change of cleaned.changes) plan.removed.push({ kind: change.kind, url, reason: change.reason })
    if (cleaned.opaque !== undefined) warn(`opaque-redirect:${cleaned.opaque}`)
    if (cleaned.url !== url) {
      url = cleaned.url
      changed = true
    }
    const optedOut = link.noTrack || link.espAttributes.length > 0
    if (spec.wrapClicks && !spec.amp && !optedOut) {
      if (hasMergeTag(url)) warn('link-skipped:merge-tag')
      else {
        let index = clickIndex.get(url)
        if (index === undefined) {
          index = plan.clicks.push(url) - 1
          clickIndex.set(url, index)
        }
        const v = link.value
        const pieces: Piece[] = v.quoted ? [slot('click', index)] : ['"', slot('click', index), '"']
        plan.edits.push({ start: v.start, end: v.end, kind: 'link-wrap', pieces })
        continue
      }
    }
    if (changed) pushValue(plan, source, link, url, 'link-clean')
  }

  const foreign = FOREIGN.test(source)
  for (const img of map.images) {
    const own = ownRoute(img.src.trim(), ctx.base)
    let reason: string | undefined
    if (own?.purpose === 'open') reason = 'own-pixel'
    else {
      const rule = matchRule(ctx.trackers, 'pixel', img.src)
      if (rule) reason = `known-pixel:${rule.name}`
      else {
        const tiny = (img.width !== undefined && img.width <= 1 && img.height !== undefined && img.height <= 1) || img.width === 0 || img.height === 0
        if ((tiny || img.hidden) && looksPersonal(img.src)) reason = 'personal-image'
      }
    }
    if (reason === undefined) continue
    if (!img.closed) {
      warn('pixel-kept:unclosed')
      continue
    }
    // Inside SVG or MathML an <img> ends the foreign element, and what follows parses as HTML: take
    // the tag away and the rest may parse differently (a <plaintext> that hid a tracked link stops
    // hiding it). There, a bare <img alt=""> stands in: the same structure, nothing fetched.
    plan.edits.push({ start: img.start, end: img.end, kind: 'pixel-remove', pieces: foreign ? ['<img alt="">'] : [] })
    plan.removed.push({ kind: 'pixel', url: img.src, reason })
  }

  for (const beacon of map.beacons) {
    if (!beacon.closed) {
      warn(`beacon-kept:${beacon.tag}`)
      continue
    }
    plan.edits.push({ start: beacon.start, end: beacon.end, kind: 'beacon-remove', pieces: [] })
    plan.removed.push({ kind: 'pixel', url: beacon.url, reason: `amp-beacon:${beacon.tag}` })
  }

  for (const line of map.lines) {
    // A line we inserted earlier: kept (its link is refilled) or removed with the purpose it served.
    if (markerWanted(line.kind) || line.inComment) continue
    if (line.closed) plan.edits.push({ start: line.start, end: line.end, kind: 'marker-remove', pieces: [] })
    else warn(`marker-kept:${line.kind}`)
  }

  for (const box of map.boxes) {
    if (box.inComment) {
      warn(`marker-in-comment:${box.kind}`)
      continue
    }
    if (!markerWanted(box.kind)) continue
    if (box.hidden) {
      warn(`marker-hidden:${box.kind}`)
      continue
    }
    const framed = boxLinkFragment(box.kind, spec.locale, stampAttributes)
    plan.edits.push({ start: box.contentAt, end: box.contentAt, kind: 'marker-link-insert', pieces: [frame(framed, box.kind)] })
    if (box.kind === 'withdraw') plan.placed.withdraw++
    if (box.kind === 'consent') plan.placed.consent++
  }

  if (spec.pixel && !spec.amp) {
    plan.edits.push({ start: map.top.offset, end: map.top.offset, kind: 'pixel-insert', pieces: [frame(pixelFragment(), 'open')] })
    plan.placed.pixel = true
  }
  if (spec.withdraw && plan.placed.withdraw === 0) {
    const framed = lineFragment('withdraw', spec.locale, stampAttributes, spec.amp)
    plan.edits.push({ start: map.bottom.offset, end: map.bottom.offset, kind: 'line-insert', pieces: [frame(framed, 'withdraw')] })
    plan.placed.withdraw++
  }
  if (spec.consent && plan.placed.consent === 0) {
    const framed = lineFragment('consent', spec.locale, stampAttributes, spec.amp)
    plan.edits.push({ start: map.bottom.offset, end: map.bottom.offset, kind: 'line-insert', pieces: [frame(framed, 'consent')] })
    plan.placed.consent++
  }
  return plan
}

function frame(framed: Framed, purpose: TokenPurpose): CondPiece {
  return { when: purpose, then: [framed.before, slot(purpose), framed.after], otherwise: '' }
}

function pushValue(plan: Plan, source: string, link: LocatedLink, url: string, kind: EditKind): void {
  const v = link.value!
  const escaped = escapeAttribute(url)
  if (v.quoted && source.slice(v.start, v.end) === escaped) return
  plan.edits.push({ start: v.start, end: v.end, kind, pieces: [v.quoted ? escaped : `"${escaped}"`] })
}
