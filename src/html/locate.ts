// Locate: parse once with parse5 positions (through hast) and record every
// spot the rewriter may touch, as offsets into the original string.
import type { Element, ElementContent, Root, RootContent } from 'hast'
import { fromHtml } from 'hast-util-from-html'
import { visit } from 'unist-util-visit'
import type { BudgetCheck } from './budget.js'

/** Kinds of `data-tracking` markers a template can carry. */
export type MarkerKind = 'withdraw' | 'preferences' | 'consent' | 'unsubscribe'

const MARKER_KINDS: ReadonlySet<string> = new Set<MarkerKind>(['withdraw', 'preferences', 'consent', 'unsubscribe'])

/** Where an attribute value sits: the raw characters between its quotes (or the unquoted run). */
export interface ValueRange {
  start: number
  end: number
  quoted: boolean
}

/** An element carrying `href`: `<a>`, `<area>`, or a VML shape in an Outlook conditional comment. */
export interface LocatedLink {
  tag: string
  /** `href` with entities decoded; `undefined` for a marker without one. */
  href: string | undefined
  /** Raw value of `href`, or where a missing value goes. */
  value: ValueRange | undefined
  /** Offset where new attributes go (before `>` or `/>` of the start tag). */
  attributesAt: number
  marker: MarkerKind | undefined
  /** `data-no-track` is set. */
  noTrack: boolean
  /** ESP no-track attribute names already present (lowercase). */
  espAttributes: string[]
  /** Inside an Outlook conditional comment (parsed from the comment text). */
  inComment: boolean
  /** It or an ancestor is hidden inline (`display:none`, `hidden`, `mso-hide:all`…). */
  hidden: boolean
  start: number
  end: number
  /** The element has an explicit end tag, so `start..end` is all of it. */
  closed: boolean
  /** Text content, trimmed and cut to 200 characters. */
  label: string
}

/** An image (`<img>`, `<amp-img>`). */
export interface LocatedImage {
  tag: string
  src: string
  start: number
  end: number
  closed: boolean
  width: number | undefined
  height: number | undefined
  hidden: boolean
  inComment: boolean
}

/** A non-link element carrying `data-tracking`: the link goes inside it. */
export interface LocatedBox {
  kind: MarkerKind
  tag: string
  /** Offset right after the start tag. */
  contentAt: number
  start: number
  end: number
  closed: boolean
  hidden: boolean
  inComment: boolean
}

/** A line this library inserted earlier (`data-tracking="withdraw-line"` or `"consent-line"`). */
export interface LocatedLine {
  kind: 'withdraw' | 'consent'
  start: number
  end: number
  closed: boolean
  inComment: boolean
}

/** An element whose only job is tracking (`<amp-pixel>`, `<amp-analytics>`). */
export interface LocatedBeacon {
  tag: string
  url: string
  start: number
  end: number
  closed: boolean
}

/** Where something is inserted, and which rule chose the spot. */
export interface Anchor {
  offset: number
  how: 'after-preheader' | 'body-start' | 'before-body-end' | 'before-html-end' | 'document-end'
}

/** Everything the planner needs, as offsets into {@link TemplateMap.source}. */
export interface TemplateMap {
  source: string
  links: LocatedLink[]
  images: LocatedImage[]
  boxes: LocatedBox[]
  lines: LocatedLine[]
  beacons: LocatedBeacon[]
  /** Top of the body, after any preheader: the pixel's place. */
  top: Anchor
  /** End of the body: the footer line's place. */
  bottom: Anchor
}

const ESP_ATTRIBUTES = ['clicktracking', 'data-pm-no-track', 'ses:no-track', 'mc:disable-tracking', 'data-msys-clicktrack'] as const
// hast property names of the ESP attributes above.
const ESP_PROPERTIES: Record<string, string> = {
  clicktracking: 'clicktracking',
  dataPmNoTrack: 'data-pm-no-track',
  'ses:no-track': 'ses:no-track',
  'mc:disable-tracking': 'mc:disable-tracking',
  dataMsysClicktrack: 'data-msys-clicktrack',
}

/**
 * Parses `source` once and records every rewritable spot. Never re-serializes
 * anything. `budget` is called before each parse and every 1,024 nodes, and
 * throws to abandon the work.
 */
export function locate(source: string, budget: BudgetCheck = () => {}): TemplateMap {
  budget()
  const tree = fromHtml(source, { verbose: true })
  const map: TemplateMap = {
    source,
    links: [],
    images: [],
    boxes: [],
    lines: [],
    beacons: [],
    top: { offset: source.length, how: 'document-end' },
    bottom: { offset: source.length, how: 'document-end' },
  }
  collect(tree, source, 0, false, map, budget)
  anchor(tree, source, map)
  return map
}

/** Parses `source` as-is (for tests and verification): the hast tree with positions. */
export function parseWithPositions(source: string): Root {
  return fromHtml(source, { verbose: true })
}

function collect(tree: Root, source: string, offset: number, inComment: boolean, map: TemplateMap, budget: BudgetCheck): void {
  const hidden = new WeakSet<object>()
  const linked = new WeakSet<object>()
  const starts = new Set<number>()
  let nodes = 0
  visit(tree, (node, _index, parent) => {
    if ((++nodes & 1023) === 0) budget()
    if (node.type === 'comment') {
      if (node.position) collectComment(node.value, node.position.start.offset! + offset, node.position.end.offset! + offset, source, map, budget)
      return
    }
    if (node.type !== 'element') return
    const el = node as Element
    if ((parent && hidden.has(parent)) || isHidden(el)) hidden.add(el)
    // Inside a link, a marker box cannot take a link of ours: a link in a link ends the outer one, so the rest would parse differently.
    const inLink = parent ? linked.has(parent) : false
    if (inLink || el.tagName === 'a') linked.add(el)
    const pos = el.position
    if (!pos || pos.start.offset === undefined || pos.end.offset === undefined) return
    const start = pos.start.offset + offset
    // The parser reopens a formatting element left open (<a>, <b>…) as a clone sharing its start tag: one tag, one record.
    if (starts.has(start)) return
    starts.add(start)
    const end = pos.end.offset + offset
    const closed = el.data?.position?.closing !== undefined || VOID.has(el.tagName)
    const isHiddenHere = hidden.has(el)
    const props = el.properties
    const tracking = typeof props.dataTracking === 'string' ? props.dataTracking.trim().toLowerCase() : undefined
    const marker = tracking !== undefined && MARKER_KINDS.has(tracking) ? (tracking as MarkerKind) : undefined
    const tag = el.tagName

    // Only clickable things: <a>, <area> and VML shapes (v:roundrect…); never <link> or <base>.
    const clickable = tag === 'a' || tag === 'area' || tag.startsWith('v:')
    if (clickable && ('href' in props || marker)) {
      const href = typeof props.href === 'string' ? props.href : undefined
      const attrPos = el.data?.position?.properties?.href
      const value =
        attrPos?.start.offset !== undefined && attrPos.end.offset !== undefined
          ? valueRange(source, attrPos.start.offset + offset, attrPos.end.offset + offset)
          : undefined
      map.links.push({
        tag,
        href,
        value,
        attributesAt: attributesAt(el, source, offset),
        marker,
        noTrack: 'dataNoTrack' in props,
        espAttributes: Object.keys(props).flatMap((k) => (k in ESP_PROPERTIES ? [ESP_PROPERTIES[k]!] : [])),
        inComment,
        hidden: isHiddenHere,
        start,
        end,
        closed,
        label: textOf(el, 200),
      })
      return
    }
    if (tracking === 'withdraw-line' || tracking === 'consent-line') {
      map.lines.push({ kind: tracking === 'withdraw-line' ? 'withdraw' : 'consent', start, end, closed, inComment })
    } else if (marker) {
      const opening = el.data?.position?.opening?.end?.offset
      if (opening !== undefined && !VOID.has(tag) && !NO_LINK_INSIDE.has(tag) && !inLink)
        map.boxes.push({ kind: marker, tag, contentAt: opening + offset, start, end, closed, hidden: isHiddenHere, inComment })
    }
    if ((tag === 'img' || tag === 'amp-img') && typeof props.src === 'string') {
      const style = typeof props.style === 'string' ? props.style : ''
      map.images.push({
        tag,
        src: props.src,
        start,
        end,
        closed,
        width: dimension(props.width) ?? styleDimension(style, 'width'),
        height: dimension(props.height) ?? styleDimension(style, 'height'),
        hidden: isHiddenHere,
        inComment,
      })
    } else if (tag === 'amp-pixel' || tag === 'amp-analytics') {
      map.beacons.push({ tag, url: typeof props.src === 'string' ? props.src : '', start, end, closed })
    }
  })
}

// Outlook conditional comments (`<!--[if mso]>…<![endif]-->`) hold markup the parser sees as text: parse it in place.
function collectComment(value: string, start: number, end: number, source: string, map: TemplateMap, budget: BudgetCheck): void {
  if (!/^\s*\[if\b/i.test(value) || !value.includes('<')) return
  if (!source.startsWith('<!--', start)) return
  const contentStart = start + 4
  const contentEnd = source.startsWith('-->', end - 3) ? end - 3 : source.startsWith('--!>', end - 4) ? end - 4 : end
  if (contentEnd <= contentStart) return
  // Comments left open nest one parse of the rest of the document per level: the budget bounds that.
  budget()
  const inner = fromHtml(source.slice(contentStart, contentEnd), { fragment: true, verbose: true })
  collect(inner, source, contentStart, true, map, budget)
}

// Elements the preheader search may step into on its way down from <body>.
const WRAPPERS = new Set(['div', 'center', 'table', 'tbody', 'thead', 'tr', 'td', 'th', 'span', 'section', 'main', 'article', 'font', 'p'])
const SKIPPED = new Set(['style', 'script', 'meta', 'link', 'title', 'base'])
const TABLE_PARTS = new Set(['table', 'tbody', 'thead', 'tfoot', 'tr', 'colgroup'])
// Elements whose content is raw text, inert, or foster-parented: a link put inside would not be a link there.
const NO_LINK_INSIDE = new Set(['textarea', 'title', 'style', 'script', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript', 'plaintext', 'template', 'select', 'option', 'optgroup', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'colgroup', 'a'])
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr'])

function anchor(tree: Root, source: string, map: TemplateMap): void {
  const html = tree.children.find((n): n is Element => n.type === 'element' && n.tagName === 'html')
  const body = html?.children.find((n): n is Element => n.type === 'element' && n.tagName === 'body')
  const bodyClose = body?.data?.position?.closing?.start?.offset
  const htmlClose = html?.data?.position?.closing?.start?.offset
  map.bottom =
    bodyClose !== undefined
      ? { offset: bodyClose, how: 'before-body-end' }
      : htmlClose !== undefined
        ? { offset: htmlClose, how: 'before-html-end' }
        : { offset: parsedEnd(tree, source), how: 'document-end' }
  const bodyOpen = body?.position ? body.data?.position?.opening?.end?.offset : undefined
  if (body === undefined || bodyOpen === undefined) {
    map.top = map.bottom
    return
  }
  let preheader = findPreheader(body)
  if (preheader !== undefined) preheader = outsideRevealedBlock(tree, source, preheader)
  map.top =
    preheader !== undefined
      ? { offset: preheader, how: 'after-preheader' }
      : { offset: outsideRevealedBlock(tree, source, bodyOpen) ?? bodyOpen, how: 'body-start' }
}

const REVEALED_OPEN = /^\s*\[if[^\]]*\]>\s*<!/i
const REVEALED_CLOSE = /^\s*<!\[endif\]/i

/**
 * Downlevel-revealed blocks (`<!--[if !mso]><!-->…<!--<![endif]-->`) are
 * hidden from Outlook: the pixel must not land inside one. Steps past a
 * closing comment that directly follows, or gives up (`undefined`).
 */
function outsideRevealedBlock(tree: Root, source: string, at: number): number | undefined {
  const comments: { start: number; end: number; value: string }[] = []
  visit(tree, 'comment', (c) => {
    if (c.position?.start.offset !== undefined && c.position.end.offset !== undefined)
      comments.push({ start: c.position.start.offset, end: c.position.end.offset, value: c.value })
  })
  comments.sort((a, b) => a.start - b.start)
  let open = 0
  for (const c of comments) {
    if (c.end > at) continue
    if (REVEALED_OPEN.test(c.value)) open++
    else if (REVEALED_CLOSE.test(c.value) && open > 0) open--
  }
  let offset = at
  for (const c of comments) {
    if (open === 0) break
    if (c.start < offset) continue
    if (!/^\s*$/.test(source.slice(offset, c.start)) || !REVEALED_CLOSE.test(c.value)) return undefined
    offset = c.end
    open--
  }
  return open === 0 ? offset : undefined
}

/**
 * Where the parsed content really ends. A document that ends inside a tag
 * (`<a href="…` with no `>`) leaves a tail the parser drops; text appended
 * after it would close that tag and bring it to life, so we insert before it.
 */
function parsedEnd(tree: Root, source: string): number {
  let end = 0
  visit(tree, (node) => {
    // An element left open "ends" where the parser stopped, dropped tail included: count only the tags it read.
    const e =
      node.type === 'element'
        ? (node.data?.position?.closing?.end?.offset ?? node.data?.position?.opening?.end?.offset)
        : node.position?.end.offset
    if (node.type !== 'root' && e !== undefined && e > end) end = e
  })
  return /^\s*$/.test(source.slice(end)) ? source.length : end
}

/** End offset of the hidden preview-text block(s) that open the body, if they are where the pixel may follow them. */
function findPreheader(body: Element): number | undefined {
  let container: Element = body
  let found: number | undefined
  for (let depth = 0; depth < 10; depth++) {
    let next: Element | undefined
    for (const child of container.children as (ElementContent | RootContent)[]) {
      if (child.type === 'comment' || child.type === 'doctype') continue
      if (child.type === 'text') {
        if (/^\s*$/.test(child.value)) continue
        return found
      }
      if (child.type !== 'element' || SKIPPED.has(child.tagName)) continue
      if (isHidden(child) || isPreheaderClass(child)) {
        const closing = child.data?.position?.closing?.end?.offset
        // An unclosed hidden block would swallow the pixel; a table part cannot hold it.
        if (closing === undefined || TABLE_PARTS.has(container.tagName)) return found
        found = closing
        continue
      }
      if (found !== undefined) return found
      if (WRAPPERS.has(child.tagName)) next = child
      break
    }
    if (!next) return found
    container = next
  }
  return found
}

function isPreheaderClass(el: Element): boolean {
  const cls = el.properties.className
  return Array.isArray(cls) && cls.some((c) => /preheader|preview/i.test(String(c)))
}

const HIDING_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|opacity\s*:\s*0(?:\.0*)?\s*(?:!important\s*)?(?:;|$)|max-height\s*:\s*0(?:px)?\s*(?:!important\s*)?(?:;|$))/i

/** Hidden by its own inline style or `hidden` attribute. */
export function isHidden(el: Element): boolean {
  if (el.properties.hidden === true || el.properties.hidden === '') return true
  const style = el.properties.style
  return typeof style === 'string' && HIDING_STYLE.test(style)
}

function dimension(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return undefined
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$/i.exec(value)
  return m ? Number(m[1]) : undefined
}

function styleDimension(style: string, name: 'width' | 'height'): number | undefined {
  const m = new RegExp(`(?:^|;)\\s*${name}\\s*:\\s*(\\d+(?:\\.\\d+)?)\\s*px`, 'i').exec(style)
  return m ? Number(m[1]) : undefined
}

/** Splits the raw `name=value` text of one attribute into its value range. */
function valueRange(source: string, start: number, end: number): ValueRange {
  let i = start
  while (i < end && source.charCodeAt(i) !== 61 /* = */) i++
  if (i >= end) return { start: end, end, quoted: false }
  i++
  while (i < end && /\s/.test(source[i]!)) i++
  const q = source[i]
  if (q === '"' || q === "'") return { start: i + 1, end: source[end - 1] === q && end - 1 > i ? end - 1 : end, quoted: true }
  return { start: i, end, quoted: false }
}

/** Where new attributes can be added to an element's start tag. */
function attributesAt(el: Element, source: string, offset: number): number {
  const openEnd = el.data?.position?.opening?.end?.offset
  if (openEnd === undefined) return -1
  let at = openEnd + offset - 1 // the '>'
  // `<a … />`: put attributes before the slash, unless the slash ends an unquoted value.
  if (source[at - 1] === '/' && /[\s"']/.test(source[at - 2] ?? '')) at--
  return at
}

function textOf(el: Element, max: number): string {
  let out = ''
  const walk = (nodes: ElementContent[]) => {
    for (const n of nodes) {
      if (out.length >= max) return
      if (n.type === 'text') out += n.value
      else if (n.type === 'element') {
        // Script, style and template text is never shown as the link's words.
        if (n.tagName === 'script' || n.tagName === 'style' || n.tagName === 'template') continue
        if (n.tagName === 'img' && typeof n.properties.alt === 'string') out += ` ${n.properties.alt} `
        walk(n.children)
      }
    }
  }
  walk(el.children)
  return out.replace(/\s+/g, ' ').trim().slice(0, max)
}

export { ESP_ATTRIBUTES }
