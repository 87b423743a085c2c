import type { Locale } from '../types.js'

const SUPPORTED: readonly Locale[] = ['en', 'fr']

/** The page language: the fixed one if configured, else the best `Accept-Language` match, else `en`. */
export function negotiateLocale(acceptLanguage: string | null, fixed: Locale | undefined): Locale {
  if (fixed) return fixed
  if (!acceptLanguage) return 'en'
  let best: Locale = 'en'
  let bestQ = 0
  // Ranges are short and few; a header longer than this is noise.
  for (const part of acceptLanguage.slice(0, 512).split(',')) {
    const [range, ...params] = part.trim().split(';')
    const primary = range?.trim().toLowerCase().split('-')[0]
    let q = 1
    for (const p of params) {
      const m = /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)
      if (m) q = Number(m[1])
    }
    const locale = SUPPORTED.find((l) => l === primary)
    // The first of equal q-values wins, as listed by the client.
    if (locale && q > bestQ) {
      best = locale
      bestQ = q
    }
  }
  return best
}

/** Checks the `locale` option. */
export function isLocale(value: unknown): value is Locale {
  return SUPPORTED.includes(value as Locale)
}
