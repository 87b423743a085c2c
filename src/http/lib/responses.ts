import type { Locale } from '../types.js'

/** A transparent 1×1 GIF (42 bytes). */
export const PIXEL_GIF = Uint8Array.of(
  71, 73, 70, 56, 57, 97, 1, 0, 1, 0, 128, 0, 0, 0, 0, 0, 255, 255, 255, 33, 249, 4, 1, 0, 0, 0, 0, 44, 0, 0, 0, 0, 1, 0, 1, 0, 0,
  2, 1, 68, 0, 59,
)

/**
 * A response as plain data. Routes build these; the handler turns one into a
 * Web `Response`, and the Node bridge writes it directly (a `Response` with a
 * body costs a stream, more than the whole pixel route).
 */
export interface PlainResponse {
  status: number
  /** Lowercase names. */
  headers: Readonly<Record<string, string>>
  /** `null` for no body (HEAD, redirects). */
  body: Uint8Array | null
}

/**
 * The key under which a handler made by this package offers its plain-data
 * form, `(request, context) => Promise<PlainResponse>`, to the Node bridge. A
 * registry symbol, so it holds across the ESM and CJS builds.
 */
export const PLAIN_RESPONDER: unique symbol = Symbol.for('email-tracking-consent.plain-responder') as never

/**
 * The key under which the Node bridge's requests carry their request target
 * (`/path?query`) when it is plain enough that `new URL()` would keep its
 * path and query as they are (see `isPlainTarget`): the handler then routes
 * without parsing a URL, which costs more than the rest of a pixel hit.
 */
export const PLAIN_TARGET: unique symbol = Symbol.for('email-tracking-consent.plain-target') as never

// Characters a URL path keeps as they are; no `%` (decoding), no `\\` (read as `/`).
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/
// A query without `#` (which would start a fragment), spaces or controls.
const PLAIN_QUERY = /^\?[!"$-~]*$/

/**
 * Whether `target` is an origin-form request target whose path and query
 * `new URL(target, base)` returns unchanged: only characters a URL path keeps,
 * no dot segments, no `//` start (that names a host).
 */
export function isPlainTarget(target: string): boolean {
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  return PLAIN_PATH.test(path) && !path.includes('/.') && (q < 0 || PLAIN_QUERY.test(target.slice(q)))
}

/**
 * The key under which the Node bridge's requests carry Node's `rawHeaders`
 * (name, value, name, value…), so a header can be read without building a
 * `Headers` object.
 */
export const RAW_HEADERS: unique symbol = Symbol.for('email-tracking-consent.raw-headers') as never

/**
 * `request.headers.get(name)` for a lowercase `name`, read from the bridge's
 * raw headers when the request has them: several fields of that name are
 * joined with `, ` as `Headers` joins them.
 */
export function headerOf(request: Request, name: string): string | null {
  const raw = (request as { [RAW_HEADERS]?: readonly string[] })[RAW_HEADERS]
  if (raw === undefined) return request.headers.get(name)
  let value: string | null = null
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (isNamed(raw[i]!, name)) value = value === null ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`
  }
  return value
}

/** Whether a header field name is `lower` (lowercase) in any case, without building a lowercase copy. */
function isNamed(field: string, lower: string): boolean {
  if (field.length !== lower.length) return false
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i)
    if ((c >= 65 && c <= 90 ? c | 32 : c) !== lower.charCodeAt(i)) return false
  }
  return true
}

/** The path and query of a request: from the bridge's plain target when it has one, else parsed from its URL. */
export function pathAndQuery(request: Request): { pathname: string; search: string } {
  const target = (request as { [PLAIN_TARGET]?: string })[PLAIN_TARGET]
  if (typeof target === 'string') {
    const q = target.indexOf('?')
    // `new URL()` drops a bare `?` from `search`.
    return q < 0 ? { pathname: target, search: '' } : { pathname: target.slice(0, q), search: q === target.length - 1 ? '' : target.slice(q) }
  }
  const url = new URL(request.url)
  return { pathname: url.pathname, search: url.search }
}

/** The Web `Response` of a plain one. */
export function toResponse(plain: PlainResponse): Response {
  return new Response(plain.body, { status: plain.status, headers: plain.headers })
}

const encoder = new TextEncoder()

// Tokens are in our URLs: never cache, never index, never leak them as a Referer.
const PRIVATE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
} as const

const PIXEL: PlainResponse = {
  status: 200,
  headers: { ...PRIVATE_HEADERS, 'content-type': 'image/gif', 'content-length': String(PIXEL_GIF.length) },
  body: PIXEL_GIF,
}
const PIXEL_HEAD: PlainResponse = { ...PIXEL, body: null }

/** The pixel: always this, whatever the token. `HEAD` gets the headers only. */
export function pixelResponse(head: boolean): PlainResponse {
  return head ? PIXEL_HEAD : PIXEL
}

/** A 302 to a bound click target. */
export function redirectResponse(location: string): PlainResponse {
  return { status: 302, headers: { ...PRIVATE_HEADERS, location }, body: null }
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
export function pageResponse(html: string, init: PageResponseInit): PlainResponse {
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
  return { status: init.status ?? 200, headers, body: init.head ? null : bytes }
}
