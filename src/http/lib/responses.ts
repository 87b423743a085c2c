import type { Locale } from '../types.js'

/** A transparent 1×1 GIF (42 bytes). */
export const PIXEL_GIF = Uint8Array.of(
  71, 73, 70, 56, 57, 97, 1, 0, 1, 0, 128, 0, 0, 0, 0, 0, 255, 255, 255, 33, 249, 4, 1, 0, 0, 0, 0, 44, 0, 0, 0, 0, 1, 0, 1, 0, 0,
  2, 1, 68, 0, 59,
)

const encoder = new TextEncoder()

// Tokens are in our URLs: never cache, never index, never leak them as a Referer.
const PRIVATE_HEADERS: ReadonlyArray<[string, string]> = [
  ['cache-control', 'no-store'],
  ['referrer-policy', 'no-referrer'],
  ['x-robots-tag', 'noindex, nofollow'],
  ['x-content-type-options', 'nosniff'],
]

/** The pixel: always this, whatever the token. `HEAD` gets the headers only. */
export function pixelResponse(head: boolean): Response {
  const headers = new Headers(PRIVATE_HEADERS as [string, string][])
  headers.set('content-type', 'image/gif')
  headers.set('content-length', String(PIXEL_GIF.length))
  return new Response(head ? null : PIXEL_GIF, { status: 200, headers })
}

/** A 302 to a bound click target. */
export function redirectResponse(location: string): Response {
  const headers = new Headers(PRIVATE_HEADERS as [string, string][])
  headers.set('location', location)
  return new Response(null, { status: 302, headers })
}

/** What a page response needs besides its HTML. */
export interface PageResponseInit {
  status?: number
  locale: Locale
  csp: string
  head: boolean
  /** `true` when the language came from `Accept-Language`. */
  negotiated: boolean
  extraHeaders?: Record<string, string>
}

/** An HTML page with the security headers every page carries. */
export function pageResponse(html: string, init: PageResponseInit): Response {
  const body = encoder.encode(html)
  const headers = new Headers(PRIVATE_HEADERS as [string, string][])
  headers.set('content-type', 'text/html; charset=utf-8')
  headers.set('content-length', String(body.length))
  headers.set('content-security-policy', init.csp)
  headers.set('x-frame-options', 'DENY')
  headers.set('content-language', init.locale)
  if (init.negotiated) headers.set('vary', 'Accept-Language')
  for (const [name, value] of Object.entries(init.extraHeaders ?? {})) headers.set(name, value)
  return new Response(init.head ? null : body, { status: init.status ?? 200, headers })
}
