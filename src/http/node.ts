// `email-tracking-consent/http/node`: the thin bridge from node:http (and Express) to the Web-standard handler.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { isPlainTarget, PLAIN_RESPONDER, PLAIN_TARGET, RAW_HEADERS, type PlainResponse } from './lib/responses.js'
import type { RequestContext } from './types.js'

/**
 * A Web-standard handler, such as the one `createHandler()` returns.
 *
 * A wrapper around `createHandler()`'s handler, as in the example, answers
 * through a real `Response`, and Node 20 builds a body stream for each one:
 * a pixel hit then costs about 2.5 times as much (see README "Performance").
 * Where that matters, route in Node before the listener instead:
 * `createServer((req, res) => (req.url === '/healthz' ? res.end('ok') : listener(req, res)))`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createHandler } from 'email-tracking-consent/http'
 * import { toNodeListener, type WebHandler } from 'email-tracking-consent/http/node'
 * const handler = createHandler({ tokens, store, basePath: '/t' })
 * // Any (request, context) => Promise<Response> fits, such as the handler plus a health check.
 * const withHealth: WebHandler = async (request, context) =>
 *   new URL(request.url).pathname === '/healthz' ? new Response('ok') : handler(request, context)
 * createServer(toNodeListener(withHealth)).listen(8080)
 * ```
 */
export type WebHandler = ((request: Request, context?: RequestContext) => Promise<Response>) & {
  /** When present, requests whose path it does not handle go to Express's `next()`. */
  handles?: (pathname: string) => boolean
  /** When present, the default body limit. */
  maxBodyBytes?: number
}

/**
 * Options of {@link toNodeListener}.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { toNodeListener, type NodeListenerOptions } from 'email-tracking-consent/http/node'
 * // Cut request bodies at 8 KiB (default: the handler's own maxBodyBytes).
 * const options: NodeListenerOptions = { maxBodyBytes: 8_192 }
 * createServer(toNodeListener(handler, options)).listen(8080)
 * ```
 */
export interface NodeListenerOptions {
  /** Largest request body passed on, in bytes. Default: the handler's `maxBodyBytes`, else 1 MiB. */
  maxBodyBytes?: number
}

/**
 * A `node:http` request listener that is also Express middleware.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { createHandler } from 'email-tracking-consent/http'
 * import { toNodeListener, type NodeListener } from 'email-tracking-consent/http/node'
 * const listener: NodeListener = toNodeListener(createHandler({ tokens, store, basePath: '/t' }))
 * const app = express()
 * app.use(listener) // before any body parser; paths outside /t go on to next()
 * app.use(express.urlencoded())
 * ```
 */
export type NodeListener = (
  req: IncomingMessage & { originalUrl?: string },
  res: ServerResponse,
  next?: (err?: unknown) => void,
) => void

const NO_BODY = new Set(['GET', 'HEAD'])

/**
 * Adapts a Web-standard handler to `http.createServer()` and Express. Request
 * bodies are streamed to the handler with backpressure and cut at
 * `maxBodyBytes`; response bodies are streamed back; a client that goes away
 * aborts `request.signal`. As Express middleware (`app.use(listener)` or
 * `app.use('/t', listener)`), paths outside the handler's base path go to
 * `next()`; mount it before any body parser, which would consume the body.
 *
 * Exported from `email-tracking-consent/http/node`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createHandler } from 'email-tracking-consent/http'
 * import { toNodeListener } from 'email-tracking-consent/http/node'
 *
 * const listener = toNodeListener(createHandler({ tokens, store, basePath: '/t' }))
 * createServer(listener).listen(8080)
 * // or, in Express: app.use(listener)
 * ```
 */
export function toNodeListener(handler: WebHandler, options: NodeListenerOptions = {}): NodeListener {
  if (typeof handler !== 'function') throw new TypeError('toNodeListener needs a (request: Request) => Promise<Response> handler')
  const limit = options.maxBodyBytes ?? handler.maxBodyBytes ?? 1_048_576
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('maxBodyBytes must be a non-negative integer')

  return (req, res, next) => {
    const target = req.originalUrl ?? req.url ?? '/'
    if (next && handler.handles && !handler.handles(pathOf(target))) {
      next()
      return
    }
    let pending: Promise<void> | undefined
    try {
      pending = serve(handler, req, res, target, limit)
    } catch (err) {
      failed(err, res, next)
      return
    }
    pending?.catch((err: unknown) => failed(err, res, next))
  }
}

/** A handler failure: to Express's error handling, else a bare 500 (or a cut connection once the head went out). */
function failed(err: unknown, res: ServerResponse, next: ((err?: unknown) => void) | undefined): void {
  if (next) return next(err)
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end('Internal Server Error\n')
  } else res.destroy(err instanceof Error ? err : undefined)
}

/** The request's absolute URL, from its target and `Host` (`localhost` when that is unusable). */
function urlOf(req: IncomingMessage, target: string): URL | undefined {
  const protocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'
  return safeUrl(target, `${protocol}://${req.headers.host ?? 'localhost'}`) ?? safeUrl(target, `${protocol}://localhost`)
}

function pathOf(target: string): string {
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  return path.startsWith('/') ? path : safeUrl(path)?.pathname ?? path
}

function safeUrl(text: string, base?: string): URL | undefined {
  try {
    return new URL(text, base)
  } catch {
    return undefined
  }
}

/**
 * Whether the client went away, with its `AbortSignal` made only if someone
 * asks for it (most pixel hits never do, and a signal costs more than the
 * route). Node marks the response destroyed when its connection closes, so
 * nothing is listened to until the signal is asked for.
 */
class ClientAbort {
  private controller: AbortController | undefined

  constructor(private readonly res: ServerResponse) {}

  /** The connection closed before the response was finished. */
  get gone(): boolean {
    return this.res.destroyed && !this.res.writableFinished
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController())
      if (this.gone) controller.abort()
      else {
        this.res.once('close', () => {
          if (!this.res.writableFinished) controller.abort()
        })
      }
    }
    return this.controller.signal
  }
}

/**
 * Hands one request to the handler and writes its answer: at once (no
 * promise) when a handler of this package answered without waiting, as it
 * does for a pixel hit on a store that reads synchronously.
 */
function serve(handler: WebHandler, req: IncomingMessage, res: ServerResponse, target: string, limit: number): Promise<void> | undefined {
  const client = new ClientAbort(res)
  const method = req.method ?? 'GET'
  // A plain target needs no URL parsing until someone reads `request.url`; any other is parsed now.
  const plainTarget = isPlainTarget(target) ? target : undefined
  const url = plainTarget === undefined ? urlOf(req, target) : undefined
  if (plainTarget === undefined && !url) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end('Bad Request\n')
    return undefined
  }
  const context: RequestContext = {}
  const remoteAddress = req.socket.remoteAddress
  if (remoteAddress !== undefined) context.remoteAddress = remoteAddress
  const body = NO_BODY.has(method) ? null : requestBody(req, res, limit)
  const request = lazyRequest({ req, target, plainTarget, parsed: url, method, raw: req.rawHeaders, body, client })
  // A handler of this package answers as plain data: no Response, no body stream, one write.
  const plain = (handler as { [PLAIN_RESPONDER]?: (request: Request, context: RequestContext) => PlainResponse | Promise<PlainResponse> })[PLAIN_RESPONDER]
  if (!plain) return Promise.resolve(handler(request, context)).then((response) => writeResponse(response, req, res, client))
  const answer = plain(request, context)
  if (answer instanceof Promise) return answer.then((settled) => writePlain(settled, req, res))
  writePlain(answer, req, res)
  return undefined
}

function writePlain(plain: PlainResponse, req: IncomingMessage, res: ServerResponse): void {
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') res.shouldKeepAlive = false
  res.writeHead(plain.status, plain.headers as Record<string, string>)
  if (plain.body && req.method !== 'HEAD') res.end(plain.body)
  else res.end()
}

const STATE = Symbol('lazy-request')

interface LazyState {
  req: IncomingMessage
  target: string
  /** The target, when `isPlainTarget` holds for it. */
  plainTarget: string | undefined
  /** Parsed on first use for a plain target. */
  parsed: URL | undefined
  method: string
  raw: string[]
  body: ReadableStream<Uint8Array> | null
  client: ClientAbort
  headers?: Headers
  request?: Request
}

function hrefOf(state: LazyState): string {
  // A plain origin-form target always parses against a localhost base.
  state.parsed ??= urlOf(state.req, state.target)!
  return state.parsed.href
}

type LazyRequest = Request & { [STATE]: LazyState }

function headersOf(state: LazyState): Headers {
  if (!state.headers) {
    const headers = new Headers()
    const raw = state.raw
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!
      // HTTP/2 pseudo-headers (:path, :authority) are not header fields.
      if (name.charCodeAt(0) !== 58) headers.append(name, raw[i + 1]!)
    }
    state.headers = headers
  }
  return state.headers
}

function realRequest(state: LazyState): Request {
  const init: RequestInit & { duplex?: 'half' } = { method: state.method, headers: headersOf(state), signal: state.client.signal }
  if (state.body) {
    init.body = state.body
    init.duplex = 'half'
  }
  return (state.request ??= new Request(hrefOf(state), init))
}

/**
 * A `Request` (it passes `instanceof Request`) whose method, URL, headers and
 * signal are read straight from Node's message; the full undici `Request` is
 * built only when its body or another member is first used. Building one per
 * pixel hit would cost more than the rest of the route.
 */
const lazyRequestPrototype: object = Object.create(Request.prototype, {
  method: { get(this: LazyRequest) { return this[STATE].method } },
  url: { get(this: LazyRequest) { return hrefOf(this[STATE]) } },
  [PLAIN_TARGET]: { get(this: LazyRequest) { return this[STATE].plainTarget } },
  [RAW_HEADERS]: { get(this: LazyRequest) { return this[STATE].raw } },
  headers: { get(this: LazyRequest) { return headersOf(this[STATE]) } },
  signal: { get(this: LazyRequest) { return this[STATE].client.signal } },
  ...Object.fromEntries(
    ['body', 'bodyUsed', 'cache', 'credentials', 'destination', 'duplex', 'integrity', 'keepalive', 'mode', 'redirect', 'referrer', 'referrerPolicy'].map((name) => [
      name,
      { get(this: LazyRequest) { return (realRequest(this[STATE]) as unknown as Record<string, unknown>)[name] } },
    ]),
  ),
  ...Object.fromEntries(
    ['arrayBuffer', 'blob', 'bytes', 'clone', 'formData', 'json', 'text'].map((name) => [
      name,
      {
        value(this: LazyRequest) {
          const request = realRequest(this[STATE]) as unknown as Record<string, () => unknown>
          return request[name]!.call(request)
        },
      },
    ]),
  ),
})

function lazyRequest(state: LazyState): Request {
  const request = Object.create(lazyRequestPrototype) as LazyRequest
  request[STATE] = state
  return request
}

/**
 * The request body as a Web stream: one chunk in flight (the socket pauses
 * until the handler reads), and an error once more than `limit` bytes came
 * (the chunk that crossed it is delivered first, so a handler counting bytes
 * sees the excess itself).
 */
function requestBody(req: IncomingMessage, res: ServerResponse, limit: number): ReadableStream<Uint8Array> {
  let total = 0
  let overLimit = false
  let finished = false
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer) => {
          if (finished) return
          total += chunk.length
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
          if (total > limit) {
            overLimit = true
            finished = true
            req.pause()
            // The rest of the body is never read: the connection cannot be reused.
            res.shouldKeepAlive = false
          } else if ((controller.desiredSize ?? 1) <= 0) req.pause()
        })
        req.once('end', () => {
          if (finished) return
          finished = true
          controller.close()
        })
        req.once('error', (err) => {
          if (finished) return
          finished = true
          controller.error(err)
        })
        req.once('aborted', () => {
          if (finished) return
          finished = true
          controller.error(new Error('The client aborted the request'))
        })
      },
      pull(controller) {
        if (overLimit) controller.error(new RangeError(`The request body is larger than ${limit} bytes`))
        else req.resume()
      },
      cancel() {
        finished = true
        if (!req.complete) res.shouldKeepAlive = false
        req.pause()
      },
    },
    { highWaterMark: 1 },
  )
}

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse, client: ClientAbort): Promise<void> {
  const head: string[] = []
  for (const [name, value] of response.headers) if (name !== 'set-cookie') head.push(name, value)
  for (const cookie of response.headers.getSetCookie()) head.push('set-cookie', cookie)
  // A body the handler did not read to the end cannot leave the connection reusable.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') res.shouldKeepAlive = false
  if (response.statusText) res.statusMessage = response.statusText
  res.writeHead(response.status, head)
  const body = response.body
  if (body === null || req.method === 'HEAD' || client.gone) {
    if (body) await body.cancel().catch(() => {})
    res.end()
    return
  }
  const reader = body.getReader()
  const onClose = () => void reader.cancel().catch(() => {})
  res.once('close', onClose)
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || client.gone) break
      if (!res.write(value) && !res.destroyed) await drained(res)
    }
  } finally {
    res.off('close', onClose)
  }
  if (!client.gone) res.end()
}

/** Resolves on `drain`, or when the connection closes (then nothing more is written). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}
