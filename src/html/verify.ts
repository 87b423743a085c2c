// Verify: parse a rewritten document once (at compile time, with stand-in
// tokens) and check the parser really sees our pixel and links where a mail
// client would show them. Anything else fails closed.
import type { Element } from 'hast'
import { fromHtml } from 'hast-util-from-html'
import { visit } from 'unist-util-visit'
import { isHidden } from './locate.js'

/** What to look for. */
export interface Expected {
  /** `src` of our pixel. */
  pixel?: string
  /** `href` of the withdrawal / consent link. */
  links?: string[]
}

/** Which of the expected pieces a parser finds in usable places. */
export interface Found {
  /** Exactly one pixel, visible to the renderer, not a direct child of a table part. */
  pixel: boolean
  /** Every expected link appears at least once, outside hidden elements. */
  links: boolean
}

const TABLE_PARTS = new Set(['table', 'tbody', 'thead', 'tfoot', 'tr', 'colgroup', 'select', 'template', 'noscript'])

/** Parses `html` and checks that the expected pixel and links survive parsing in usable places. */
export function verifyPlacement(html: string, expected: Expected): Found {
  const tree = fromHtml(html)
  const hidden = new WeakSet<object>()
  const blocked = new WeakSet<object>()
  let pixels = 0
  let pixelOk = true
  const seen = new Set<string>()
  visit(tree, 'element', (el: Element, _i, parent) => {
    const parentEl = parent && parent.type === 'element' ? parent : undefined
    if ((parentEl && hidden.has(parentEl)) || isHidden(el)) hidden.add(el)
    if ((parentEl && blocked.has(parentEl)) || el.tagName === 'template' || el.tagName === 'noscript' || el.tagName === 'select')
      blocked.add(el)
    const bad = hidden.has(el) || blocked.has(el)
    if (expected.pixel !== undefined && el.tagName === 'img' && el.properties.src === expected.pixel) {
      pixels++
      if (bad || (parentEl && TABLE_PARTS.has(parentEl.tagName))) pixelOk = false
    }
    if (expected.links && el.tagName === 'a' && typeof el.properties.href === 'string' && !bad) {
      if (expected.links.includes(el.properties.href)) seen.add(el.properties.href)
    }
  })
  return {
    pixel: expected.pixel === undefined || (pixels === 1 && pixelOk),
    links: (expected.links ?? []).every((l) => seen.has(l)),
  }
}
