// Splice: apply a plan to the original string as a list of pieces, so a
// render is one pass of string concatenation with no parsing.
import { clickQuery, ROUTE_SEGMENT } from '../lib/routes.js'
import type { TokenPurpose } from '../tokens/types.js'
import { escapeAttribute } from './escape.js'
import type { Edit, EditKind, Piece, Plan, Removal } from './plan.js'

/** One part (HTML, text or AMP) of one variant, ready to render. */
export interface Variant {
  /** The input this variant rewrites. */
  source: string
  /** Sorted, non-overlapping edits into `source`. */
  edits: Edit[]
  /** `source` with the edits applied, adjacent literals merged. */
  pieces: Piece[]
  removed: Removal[]
  warnings: string[]
  /** Per click target: the `?u=…&h=…` tail (attribute-escaped in HTML). */
  clickTails: string[]
  /** Personal URLs the pieces may use. */
  purposes: TokenPurpose[]
  /** UTF-8 bytes beyond the string length, over the literal pieces (an upper bound). */
  extraBytes: number
  placed: Plan['placed']
}

/** Personal URLs of one render: `click` is the prefix `{base}/c/{token}`. */
export type RenderUrls = Partial<Record<TokenPurpose, string>>

const REMOVALS: ReadonlySet<EditKind> = new Set(['pixel-remove', 'beacon-remove', 'marker-remove'])

/**
 * Orders the plan's edits and checks they do not overlap. Edits inside a
 * removed element go with it; any other overlap is a bug and throws (the
 * caller then fails closed).
 */
export function resolveEdits(plan: Plan, sourceLength: number): Edit[] {
  const indexed = plan.edits.map((e, i) => ({ e, i }))
  indexed.sort((a, b) => a.e.start - b.e.start || a.e.end - b.e.end || a.i - b.i)
  const out: Edit[] = []
  let lastEnd = 0
  let lastRemoval: Edit | undefined
  for (const { e } of indexed) {
    if (e.start < 0 || e.end > sourceLength || e.end < e.start) throw new Error(`edit out of range: ${e.kind} ${e.start}-${e.end}`)
    if (e.start === e.end && e.pieces.length === 0) continue
    if (e.start < lastEnd) {
      if (lastRemoval && e.start >= lastRemoval.start && e.end <= lastRemoval.end) continue
      throw new Error(`overlapping edits: ${e.kind} at ${e.start}`)
    }
    out.push(e)
    if (e.end > lastEnd) lastEnd = e.end
    lastRemoval = REMOVALS.has(e.kind) ? e : undefined
  }
  return out
}

/** Applies a plan: the variant's pieces, click tails and the purposes it needs. */
export function buildVariant(
  source: string,
  plan: Plan,
  options: { html: boolean; linkMac: (url: string) => string },
): Variant {
  const edits = resolveEdits(plan, source.length)
  const pieces: Piece[] = []
  const push = (p: Piece) => {
    const last = pieces.length - 1
    if (typeof p === 'string') {
      if (p === '') return
      if (last >= 0 && typeof pieces[last] === 'string') pieces[last] += p
      else pieces.push(p)
    } else pieces.push(p)
  }
  let pos = 0
  for (const e of edits) {
    push(source.slice(pos, e.start))
    for (const p of e.pieces) push(p)
    pos = e.end
  }
  push(source.slice(pos))
  const purposes = new Set<TokenPurpose>()
  let extraBytes = 0
  const scan = (list: Piece[]) => {
    for (const p of list) {
      if (typeof p === 'string') extraBytes += utf8Extra(p)
      else if ('slot' in p) purposes.add(p.slot)
      else {
        purposes.add(p.when)
        scan(p.then)
        extraBytes += utf8Extra(p.otherwise)
      }
    }
  }
  scan(pieces)
  const clickTails = plan.clicks.map((url) => {
    const tail = clickQuery(url, options.linkMac(url))
    return options.html ? escapeAttribute(tail) : tail
  })
  // Shared by every render of the template: frozen so one caller cannot alter another's result.
  const removed = plan.removed.map((r) => Object.freeze({ ...r }))
  return { source, edits, pieces, removed, warnings: plan.warnings, clickTails, purposes: [...purposes], extraBytes, placed: plan.placed }
}

/** The untouched source as a variant (used when rewriting failed and nothing better is safe). */
export function identityVariant(source: string): Variant {
  return {
    source,
    edits: [],
    pieces: source === '' ? [] : [source],
    removed: [],
    warnings: [],
    clickTails: [],
    purposes: [],
    extraBytes: utf8Extra(source),
    placed: { withdraw: 0, consent: 0, pixel: false },
  }
}

/** Concatenates the pieces with this render's personal URLs. */
export function renderVariant(variant: Variant, urls: RenderUrls): string {
  return renderPieces(variant.pieces, variant.clickTails, urls)
}

function renderPieces(pieces: Piece[], tails: string[], urls: RenderUrls): string {
  let out = ''
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!
    if (typeof p === 'string') out += p
    else if ('slot' in p) {
      const url = urls[p.slot]
      if (url === undefined) throw new Error(`no ${p.slot} URL for this render`)
      out += p.click >= 0 ? url + tails[p.click]! : url
    } else out += urls[p.when] !== undefined ? renderPieces(p.then, tails, urls) : p.otherwise
  }
  return out
}

/** Personal URLs from a base (already escaped for the context) and tokens. */
export function personalUrls(base: string, tokens: Partial<Record<TokenPurpose, string>>, escape: boolean): RenderUrls {
  const urls: RenderUrls = {}
  for (const purpose of Object.keys(tokens) as TokenPurpose[]) {
    const token = tokens[purpose]!
    const t = escape ? escapeAttribute(token) : token
    urls[purpose] = `${base}/${ROUTE_SEGMENT[purpose]}/${t}`
  }
  return urls
}

/** Each edit of a render with the text it wrote: what tests compare against the input. */
export interface AppliedEdit {
  start: number
  end: number
  kind: EditKind
  output: string
}

/** The edits of one render, with their output text. */
export function appliedEdits(variant: Variant, urls: RenderUrls): AppliedEdit[] {
  return variant.edits.map((e) => ({ start: e.start, end: e.end, kind: e.kind, output: renderPieces(e.pieces, variant.clickTails, urls) }))
}

function utf8Extra(s: string): number {
  let extra = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) extra += 1
    else if (c >= 0xd800 && c <= 0xdbff) {
      extra += 2 // a surrogate pair: 4 bytes for 2 code units
      i++
    } else extra += 2
  }
  return extra
}
