import { ROUTE_SEGMENT } from '../lib/routes.js'
import { cnilPolicy } from '../policy/cnil.js'
import { validatePolicy } from '../policy/validate.js'
import { HttpError } from './errors.js'
import { Deadlines } from './lib/deadlines.js'
import { createClassifier } from './lib/classify.js'
import { sendPage, type HandlerEnv, type Visit } from './lib/env.js'
import { isLocale, negotiateLocale } from './lib/locale.js'
import { headerOf, pathAndQuery, PLAIN_RESPONDER, pixelResponse, toResponse, type PlainResponse } from './lib/responses.js'
import { createPageRenderer, type FormAlert } from './pages/render.js'
import { clickRoute } from './routes/click.js'
import { consentRoute } from './routes/consent.js'
import { openRoute } from './routes/open.js'
import { preferencesRoute } from './routes/preferences.js'
import type { Route } from './routes/route.js'
import { unsubscribeRoute } from './routes/unsubscribe.js'
import { withdrawRoute } from './routes/withdraw.js'
import type { Handler, HandlerOptions, Logger, RequestContext } from './types.js'

// A Map, not an object: a path segment such as `constructor` must not find a route on a prototype.
const ROUTES = new Map<string, Route>(
  [openRoute, clickRoute, withdrawRoute, preferencesRoute, consentRoute, unsubscribeRoute].map((r) => [ROUTE_SEGMENT[r.purpose], r]),
)
const DEFAULT_MAX_BODY_BYTES = 16_384
const DEFAULT_MIN_DELAY_MS = 2_000
const DEFAULT_MAX_AGE_MS = 86_400_000
const DEFAULT_STORE_TIMEOUT_MS = 5_000

/**
 * Creates the Web-standard handler of the personal links: the pixel
 * (`/o/:token`), click redirects (`/c/:token`), the withdrawal confirmation
 * (`/w/:token`), the preference center (`/p/:token`), consent acceptance
 * (`/consent/:token`) and unsubscribe with RFC 8058 one-click (`/u/:token`),
 * under `basePath`. It uses Web APIs only (`Request`, `Response`, Web Crypto),
 * so it runs on Node (see `email-tracking-consent/http/node`), Deno, Bun and
 * workers. It never rejects: every failure is a response.
 *
 * Exported from `email-tracking-consent/http`.
 *
 * @throws {HttpError} `invalid-option` for an unusable option (bad base path, colors, URLs, limits).
 * @example
 * ```ts
 * import { createTokens } from 'email-tracking-consent'
 * import { createHandler } from 'email-tracking-consent/http'
 * import { createSqliteStore } from 'email-tracking-consent/store/sqlite'
 *
 * const handler = createHandler({
 *   tokens: createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] }),
 *   store: createSqliteStore({ database: 'consent.db' }),
 *   basePath: '/t',
 *   pages: { brand: { name: 'Acme' } },
 *   hooks: { onOpen: (report) => analytics.open(report) },
 * })
 * const response = await handler(new Request('https://mail.example.com/t/w/eyJ…'))
 * ```
 */
export function createHandler(options: HandlerOptions): Handler {
  if (typeof options !== 'object' || options === null) throw new HttpError('invalid-option', 'createHandler needs { tokens, store }')
  const { tokens, store } = options
  if (!tokens || typeof tokens.verify !== 'function' || typeof tokens.checkFormNonce !== 'function')
    throw new HttpError('invalid-option', 'tokens must come from createTokens()')
  if (!store || typeof store.get !== 'function' || typeof store.record !== 'function')
    throw new HttpError('invalid-option', 'store must be a ConsentStore')
  if (options.locale !== undefined && !isLocale(options.locale)) throw new HttpError('invalid-option', 'locale must be "en" or "fr"')
  // The store keeps notice versions of at most 128 characters.
  if (options.noticeVersion !== undefined && (typeof options.noticeVersion !== 'string' || options.noticeVersion === '' || options.noticeVersion.length > 128))
    throw new HttpError('invalid-option', 'noticeVersion must be a non-empty string of at most 128 characters')
  const basePath = normalizeBasePath(options.basePath)
  const logger: Logger = options.logger ?? console
  const pages = createPageRenderer(options.pages)
  if (pages.lowContrast.length > 0)
    logger.warn('email-tracking-consent: brand colors below WCAG AA contrast (4.5:1)', { pairs: pages.lowContrast })
  let policy
  try {
    policy = validatePolicy(options.policy ?? cnilPolicy())
  } catch (cause) {
    throw new HttpError('invalid-option', 'policy is invalid', { cause })
  }

  const storeTimeoutMs = count(options.storeTimeoutMs, DEFAULT_STORE_TIMEOUT_MS, 'storeTimeoutMs')
  if (storeTimeoutMs < 1) throw new HttpError('invalid-option', 'storeTimeoutMs must be at least 1')
  const env: HandlerEnv = {
    tokens,
    store,
    policy,
    hooks: options.hooks ?? {},
    pages,
    logger,
    classify: createClassifier(options.machineSignatures),
    basePath,
    ...(options.noticeVersion !== undefined ? { noticeVersion: options.noticeVersion } : {}),
    minDelayMs: count(options.forms?.minDelayMs, DEFAULT_MIN_DELAY_MS, 'forms.minDelayMs'),
    maxAgeMs: count(options.forms?.maxAgeMs, DEFAULT_MAX_AGE_MS, 'forms.maxAgeMs'),
    maxBodyBytes: count(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes'),
    storeTimeoutMs,
    deadlines: new Deadlines(storeTimeoutMs),
    storeTimeoutMessage: `the store did not answer within ${storeTimeoutMs} ms`,
  }
  if (env.maxAgeMs <= env.minDelayMs) throw new HttpError('invalid-option', 'forms.maxAgeMs must be larger than forms.minDelayMs')
  const now = options.now ?? (() => new Date())
  const clientIp = options.clientIp ?? ((_request: Request, context: RequestContext) => context.remoteAddress)

  const routesStart = basePath.length + 1
  const handles = (pathname: string) => basePath === '' || pathname === basePath || (pathname.startsWith(basePath) && pathname.charCodeAt(basePath.length) === 47)

  /** The plain response; without a promise when the route answered at once (see `Route.handle`). */
  function respond(request: Request, context: RequestContext = {}): PlainResponse | Promise<PlainResponse> {
    const fixed = options.locale
    // Every field from the start (one object shape for every visit); filled in as the request is read.
    const visit: Partial<Visit> & { locale: Visit['locale']; negotiated: boolean; head: boolean } = {
      request,
      pathname: undefined,
      search: undefined,
      locale: fixed ?? 'en',
      negotiated: false,
      head: request?.method === 'HEAD',
      at: undefined,
      token: undefined,
      userAgent: undefined,
      ip: undefined,
      claims: undefined,
    }
    let route: Route | undefined
    try {
      visit.locale = negotiateLocale(headerOf(request, 'accept-language'), fixed)
      visit.negotiated = fixed === undefined
      const { pathname, search } = pathAndQuery(request)
      visit.pathname = pathname
      visit.search = search
      visit.at = now()
      visit.userAgent = headerOf(request, 'user-agent') ?? ''
      visit.ip = clientIp(request, context)
      const match = matchRoute(pathname)
      if (!match) throw new HttpError('not-found', `No route at ${pathname}`)
      route = match.route
      visit.token = match.token
      if (!route.methods.includes(request.method)) throw new HttpError('method-not-allowed', `${request.method} is not allowed here`)
      const answer = route.handle(env, visit as Visit)
      if (!(answer instanceof Promise)) return answer
      const routed = route
      return answer.catch((err: unknown) => failed(err, visit, routed))
    } catch (err) {
      return failed(err, visit, route)
    }
  }

  async function failed(err: unknown, visit: Partial<Visit> & Pick<Visit, 'locale' | 'negotiated' | 'head'>, route: Route | undefined): Promise<PlainResponse> {
    try {
      return await errorResponse(err, visit, route)
    } catch (failure) {
      // Rendering the error page failed too: a bare answer, so the handler still never rejects.
      logger.error('email-tracking-consent: the error page failed', { error: failure })
      return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: null }
    }
  }

  function matchRoute(pathname: string): { route: Route; token: string } | undefined {
    if (!handles(pathname)) return undefined
    // `/segment/token` after the base path, and nothing more.
    const slash = pathname.indexOf('/', routesStart)
    if (slash < 0 || slash === pathname.length - 1 || pathname.includes('/', slash + 1)) return undefined
    const route = ROUTES.get(pathname.slice(routesStart, slash))
    if (!route) return undefined
    const token = pathname.slice(slash + 1)
    let decoded = token
    if (token.includes('%')) {
      try {
        decoded = decodeURIComponent(token)
      } catch {
        // Left as is: it cannot verify, and the route answers that.
      }
    }
    return { route, token: decoded }
  }

  /** The one place where failures become responses. */
  async function errorResponse(err: unknown, visit: Partial<Visit> & Pick<Visit, 'locale' | 'negotiated' | 'head'>, route: Route | undefined): Promise<PlainResponse> {
    const error = err instanceof HttpError ? err : new HttpError('internal', 'Unexpected failure', { cause: err })
    if (error.code === 'internal' || error.code === 'store-unavailable')
      logger.error(`email-tracking-consent: ${error.message}`, { code: error.code, route: route?.purpose, error: error.cause ?? error })
    // The pixel answers the GIF whatever happened.
    if (route === openRoute && error.code !== 'method-not-allowed') return pixelResponse(visit.head)
    const pageVisit = visit as Visit
    try {
      if ((error.code === 'form-too-fast' || error.code === 'invalid-form') && route?.formAgain && visit.claims) {
        const alert: FormAlert = error.code === 'form-too-fast' ? 'too-fast' : 'expired'
        const extra: Record<string, string> | undefined = error.code === 'form-too-fast' ? { 'retry-after': String(Math.ceil(env.minDelayMs / 1000)) } : undefined
        return sendPage(env, pageVisit, await route.formAgain(env, pageVisit, alert), error.status, extra)
      }
    } catch (again) {
      return errorResponse(again, visit, undefined)
    }
    const extra: Record<string, string> = {}
    if (error.code === 'method-not-allowed') extra.allow = (route?.methods ?? ['GET', 'HEAD']).join(', ')
    if (error.code === 'store-unavailable') extra['retry-after'] = '60'
    return sendPage(env, pageVisit, pages.error(visit.locale, error.code), error.status, extra)
  }

  const handler = async (request: Request, context?: RequestContext): Promise<Response> => toResponse(await respond(request, context))
  return Object.assign(handler, { basePath, maxBodyBytes: env.maxBodyBytes, handles, [PLAIN_RESPONDER]: respond })
}

function normalizeBasePath(value: string | undefined): string {
  if (value === undefined || value === '' || value === '/') return ''
  if (typeof value !== 'string') throw new HttpError('invalid-option', 'basePath must be a string')
  let path = value
  if (/^https?:\/\//i.test(value)) {
    try {
      path = new URL(value).pathname
    } catch (cause) {
      throw new HttpError('invalid-option', 'basePath is not a valid URL', { cause })
    }
  }
  if (!path.startsWith('/') || /[?#\s]/.test(path)) throw new HttpError('invalid-option', 'basePath must be a path starting with "/" (or a full http(s) URL)')
  return path.replace(/\/+$/, '')
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) throw new HttpError('invalid-option', `${name} must be a non-negative integer`)
  return value
}
