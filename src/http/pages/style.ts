import { sha256 } from '../../lib/sha256.js'
import { HttpError } from '../errors.js'
import type { BrandColors } from '../types.js'

const DEFAULT_COLORS: Required<BrandColors> = {
  background: '#ffffff',
  text: '#1f2937',
  primary: '#1d4ed8',
  primaryText: '#ffffff',
}

const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The page style sheet and the CSP source that allows exactly it. */
export interface PageStyle {
  css: string
  /** `'sha256-…'` for `style-src`. */
  cspSource: string
  /** Color pairs below the WCAG AA ratio of 4.5:1, for a warning. */
  lowContrast: string[]
}

/** Builds the style sheet for a brand's colors; colors must be hex (they are written into CSS). */
export function pageStyle(colors: BrandColors | undefined): PageStyle {
  const c = { ...DEFAULT_COLORS }
  for (const [name, value] of Object.entries(colors ?? {}) as [keyof BrandColors, unknown][]) {
    if (value === undefined) continue
    if (!(name in DEFAULT_COLORS)) throw new HttpError('invalid-option', `pages.brand.colors.${String(name)} is not a known color`)
    if (typeof value !== 'string' || !HEX_COLOR.test(value))
      throw new HttpError('invalid-option', `pages.brand.colors.${name} must be a hex color (#rgb or #rrggbb)`)
    c[name] = value
  }
  const lowContrast: string[] = []
  const pairs: [string, string, string][] = [
    ['text on background', c.text, c.background],
    ['primary (links) on background', c.primary, c.background],
    ['primaryText on primary (buttons)', c.primaryText, c.primary],
  ]
  for (const [label, fg, bg] of pairs) {
    const ratio = contrastRatio(fg, bg)
    if (ratio < 4.5) lowContrast.push(`${label}: ${ratio.toFixed(2)}:1`)
  }
  const css = [
    '*{box-sizing:border-box}',
    `html{background:${c.background};color:${c.text}}`,
    'body{margin:0;font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}',
    '.page{max-width:38rem;margin:0 auto;padding:2rem 1.25rem}',
    '.logo{display:block;max-height:3rem;max-width:12rem;height:auto;width:auto}',
    '.brand{font-weight:700;margin:0}',
    'h1{font-size:1.65rem;line-height:1.25;margin:1.5rem 0 1rem}',
    'p{margin:0 0 1rem}',
    `a{color:${c.primary};text-decoration:underline;text-underline-offset:.15em}`,
    `button{font:inherit;font-weight:600;color:${c.primaryText};background:${c.primary};border:2px solid ${c.primary};border-radius:.4rem;padding:.7rem 1.4rem;cursor:pointer;min-height:2.75rem}`,
    `a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid ${c.text};outline-offset:3px}`,
    `fieldset{border:1px solid ${c.text};border-radius:.4rem;margin:0 0 1.25rem;padding:.75rem 1rem}`,
    'legend{font-weight:600;padding:0 .3rem}',
    '.check{display:flex;gap:.65rem;align-items:flex-start;margin:.35rem 0}',
    `.check input{width:1.25rem;height:1.25rem;margin:.2rem 0 0;flex:none;accent-color:${c.primary}}`,
    `.notice{border-left:4px solid ${c.primary};padding:.4rem .9rem;margin:0 0 1.25rem}`,
    `footer{margin-top:2.5rem;padding-top:1rem;border-top:1px solid ${c.text};font-size:.9375rem}`,
  ].join('\n')
  return { css, cspSource: `'sha256-${base64(sha256(css))}'`, lowContrast }
}

/** Standard (padded) base64, as CSP hash sources require. */
function base64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += BASE64[n >>> 18]! + BASE64[(n >>> 12) & 63]!
    out += i + 1 < bytes.length ? BASE64[(n >>> 6) & 63]! : '='
    out += i + 2 < bytes.length ? BASE64[n & 63]! : '='
  }
  return out
}

/** WCAG 2.1 contrast ratio of two hex colors. */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(a)
  const lb = luminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

function luminance(hex: string): number {
  const h = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d).join('') : hex.slice(1)
  const channel = (i: number) => {
    const v = parseInt(h.slice(i, i + 2), 16) / 255
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}
