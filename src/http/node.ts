// `email-tracking-consent/http/node`: the thin bridge from node:http (and Express) to the Web-standard handler.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext } from './types.js'

/** A Web-standard handler, such as the one `createHandler()` returns. */
export type WebHandler = ((request: Request, context?: RequestContext) => Promise<Response>) & {
  /** When present, requests whose path it does not handle go to Express's `next()`. */
  handles?: (pathname: string) => boolean
  /** When present, the default body limit. */
  maxBodyBytes?: number
}

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /** Largest request body passed on, in bytes. Default: the handler's `maxBodyBytes`, else 1 MiB. */
  maxBodyBytes?: number
}

/** A `node:http` request listener that is also Express middleware. */
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
    serve(handler, req, res, target, limit).catch((err: unknown) => {
      if (next) return next(err)
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        res.end('Internal Server Error\n')
      } else res.destroy(err instanceof Error ? err : undefined)
    })
  }
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

async function serve(handler: WebHandler, req: IncomingMessage, res: ServerResponse, target: string, limit: number): Promise<void> {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableFinished) controller.abort()
  })
  const method = req.method ?? 'GET'
  const protocol = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'
  const url = safeUrl(target, `${protocol}://${req.headers.host ?? 'localhost'}`) ?? safeUrl(target, `${protocol}://localhost`)
  if (!url) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
    res.end('Bad Request\n')
    return
  }
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!
    // HTTP/2 pseudo-headers (:path, :authority) are not header fields.
    if (name.charCodeAt(0) !== 58) headers.append(name, raw[i + 1]!)
  }
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: controller.signal }
  if (!NO_BODY.has(method)) {
    init.body = requestBody(req, res, limit)
    init.duplex = 'half'
  }
  const context: RequestContext = {}
  if (req.socket.remoteAddress !== undefined) context.remoteAddress = req.socket.remoteAddress
  const response = await handler(new Request(url, init), context)
  await writeResponse(response, req, res, controller.signal)
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

async function writeResponse(response: Response, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  // A body the handler did not read to the end cannot leave the connection reusable.
  if (!req.complete && req.method !== 'GET' && req.method !== 'HEAD') res.shouldKeepAlive = false
  res.writeHead(response.status, response.statusText || undefined, headers)
  const body = response.body
  if (body === null || req.method === 'HEAD' || signal.aborted) {
    if (body) await body.cancel().catch(() => {})
    res.end()
    return
  }
  const reader = body.getReader()
  const onAbort = () => void reader.cancel().catch(() => {})
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done || signal.aborted) break
      if (!res.write(value)) await drained(res, signal)
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  if (signal.aborted) return
  res.end()
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      signal.removeEventListener('abort', done)
      resolve()
    }
    res.on('drain', done)
    signal.addEventListener('abort', done, { once: true })
  })
}
