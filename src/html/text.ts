// The plain-text part: unwrap our tracked URLs and other trackers in place,
// and append the withdrawal (or consent) URL on its own line.
import { textLine, type Locale } from './fragments.js'
import { ownRoute, type Edit, type Plan, type PlanContext, type Piece } from './plan.js'
import { cleanUrl } from './trackers.js'

/** What the text part of one variant must contain. */
export interface TextSpec {
  withdraw: boolean
  consent: boolean
  locale: Locale
}

const URL_IN_TEXT = /https?:\/\/[^\s<>"'`]+/gi
const TRAILING_PUNCTUATION = /[.,;:!?)\]}>'"*]+$/

/** Plans the text-part edits of one variant. */
export function planText(source: string, spec: TextSpec, ctx: PlanContext): Plan {
  const plan: Plan = { edits: [], removed: [], warnings: [], clicks: [], placed: { withdraw: 0, consent: 0, pixel: false } }
  for (const m of source.matchAll(URL_IN_TEXT)) {
    const raw = m[0].replace(TRAILING_PUNCTUATION, '')
    const start = m.index
    const end = start + raw.length
    let url = raw
    const own = ownRoute(raw, ctx.base)
    if (own !== undefined) {
      if (own.purpose !== 'click' || own.target === undefined) continue
      plan.removed.push({ kind: 'tracked-link', url: raw, reason: 'own-click' })
      url = own.target
    }
    const cleaned = cleanUrl(ctx.trackers, url)
    for (const change of cleaned.changes) plan.removed.push({ kind: change.kind, url, reason: change.reason })
    if (cleaned.opaque !== undefined && !plan.warnings.includes(`opaque-redirect:${cleaned.opaque}`))
      plan.warnings.push(`opaque-redirect:${cleaned.opaque}`)
    url = cleaned.url
    if (url !== raw) plan.edits.push({ start, end, kind: 'text-clean', pieces: [url] })
  }
  const lines: Edit[] = []
  const nl = source.includes('\r\n') ? '\r\n' : '\n'
  const lead = source === '' ? '' : source.endsWith('\n') ? nl : nl + nl
  const append = (kind: 'withdraw' | 'consent') => {
    const pieces: Piece[] = [{ when: kind, then: [`${lead}${textLine(kind, spec.locale)} `, { slot: kind, click: -1 }, nl], otherwise: '' }]
    lines.push({ start: source.length, end: source.length, kind: 'text-append', pieces })
  }
  if (spec.withdraw) {
    append('withdraw')
    plan.placed.withdraw++
  }
  if (spec.consent) {
    append('consent')
    plan.placed.consent++
  }
  plan.edits.push(...lines)
  return plan
}
