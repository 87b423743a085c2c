import type { Locale } from '../types.js'

/** A transparent 1×1 GIF (42 bytes). */
export const PIXEL_GIF = Uint8Array.of(
  71, 73, 70, 56, 57, 97, 1, 0, 1, 0, 128, 0, 0, 0, 0, 0, 255, 255, 255, 33, 249, 4, 1, 0, 0, 0, 0, 44, 0, 0, 0, 0, 1, 0, 1, 0, 0,
  2, 1, 68, 0, 59,
)

/**
 * The bytes of a response body this package built, so the Node bridge can
 * write them without reading the body stream. A registry symbol, so it holds
 * across the ESM and CJS builds.
 */
export const KNOWN_BODY: unique symbol = Symbol.for('email-tracking-consent.known-body') as never

const encoder = new TextEncoder()

// Tokens are in our URLs: never cache, never index, never leak them as a Referer.
const PRIVATE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
} as const

const PIXEL_HEADERS = { ...PRIVATE_HEADERS, 'content-type': 'image/gif', 'content-length': String(PIXEL_GIF.length) }

function withKnownBody(response: Response, body: Uint8Array | null): Response {
  if (body) Object.defineProperty(response, KNOWN_BODY, { value: body })
  return response
}

/** The pixel: always this, whatever the token. `HEAD` gets the headers only. */
export function pixelResponse(head: boolean): Response {
  const body = head ? null : PIXEL_GIF
  return withKnownBody(new Response(body, { status: 200, headers: PIXEL_HEADERS }), body)
}

/** A 302 to a bound click target. */
export function redirectResponse(location: string): Response {
  return new Response(null, { status: 302, headers: { ...PRIVATE_HEADERS, location } })
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
  const bytes = encoder.encode(html)
  const headers: Record<string, string> = {
    ...PRIVATE_HEADERS,
    'content-type': 'text/html; charset=utf-8',
    'content-length': String(bytes.length),
    'content-security-policy': init.csp,
    'x-frame-options': 'DENY',
    'content-language': init.locale,
    ...(init.negotiated ? { vary: 'Accept-Language' } : {}),
    ...init.extraHeaders,
  }
  const body = init.head ? null : bytes
  return withKnownBody(new Response(body, { status: init.status ?? 200, headers }), body)
}
