// The Node bridge against real servers on loopback: node:http and Express.
import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterEach, describe, expect, test } from 'vitest'
import { toNodeListener } from '../../src/http/node.js'
import { formPost, HUMAN_UA, makeFixture, nonceOf } from './setup.js'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

async function listen(server: Server): Promise<string> {
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A raw request, to send what fetch() will not (a lying Content-Length, a body cut short). */
function raw(url: string, options: { method: string; headers: Record<string, string | number>; chunks: string[]; endAfter?: boolean }) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: options.method, headers: options.headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    for (const c of options.chunks) req.write(c)
    if (options.endAfter !== false) req.end()
  })
}

describe('toNodeListener with http.createServer', () => {
  test('serves the pixel and a full withdrawal through a real server, with the peer address as evidence', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const base = await listen(createServer(toNodeListener(f.handler)))
    const pixel = await fetch(`${base}/t/o/${await f.sign('open')}`, { headers: { 'user-agent': HUMAN_UA } })
    expect(pixel.status).toBe(200)
    expect(pixel.headers.get('content-type')).toBe('image/gif')
    expect((await pixel.arrayBuffer()).byteLength).toBe(42)
    expect(f.calls.onOpen).toHaveLength(1)

    const path = `${base}/t/w/${await f.sign('withdraw')}`
    const page = await fetch(path, { headers: { 'user-agent': HUMAN_UA, 'accept-language': 'fr' } })
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    const nonce = nonceOf(await page.text())
    f.clock.advance(2_500)
    const done = await fetch(path, { ...formPost({ nonce }, { headers: { 'user-agent': HUMAN_UA } }), redirect: 'manual' })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('Tracking stopped')
    const withdraw = (await f.events('c_1')).find((e) => e.type === 'withdraw')!
    expect(withdraw.evidence.ip).toBe('127.0.0.1')
  })

  test('HEAD gets headers only; the query string reaches the handler', async () => {
    const f = makeFixture()
    const base = await listen(createServer(toNodeListener(f.handler)))
    const head = await raw(`${base}/t/w/${await f.sign('withdraw')}`, { method: 'HEAD', headers: { 'user-agent': HUMAN_UA }, chunks: [] })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    const url = 'https://shop.example.com/a?b=c'
    const click = await fetch(`${base}/t/c/${await f.sign('click', { url })}?u=${encodeURIComponent(url)}`, { redirect: 'manual' })
    expect(click.status).toBe(302)
    expect(click.headers.get('location')).toBe(url)
  })

  test('limits the body: a declared or streamed oversize is 413 and the connection is closed', async () => {
    const f = makeFixture({ maxBodyBytes: 512 })
    const base = await listen(createServer(toNodeListener(f.handler)))
    const path = `${base}/t/u/${await f.sign('unsubscribe')}`
    const body = `List-Unsubscribe=One-Click&pad=${'x'.repeat(2048)}`
    const declared = await raw(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
      chunks: [body],
    })
    expect(declared.status).toBe(413)
    const chunked = await raw(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      chunks: [body.slice(0, 400), body.slice(400, 900), body.slice(900)],
    })
    expect(chunked.status).toBe(413)
    expect(chunked.headers.connection).toBe('close')
    expect(await f.events()).toEqual([])
    // The server is still healthy.
    const ok = await fetch(path, formPost({ 'List-Unsubscribe': 'One-Click' }))
    expect(ok.status).toBe(200)
  })

  test('the bridge limit also guards a handler that reads without limits', async () => {
    let error: unknown
    const greedy = async (request: Request) => {
      try {
        await request.arrayBuffer()
        return new Response('read')
      } catch (err) {
        error = err
        return new Response('refused', { status: 413 })
      }
    }
    const base = await listen(createServer(toNodeListener(greedy, { maxBodyBytes: 100 })))
    const res = await raw(`${base}/`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, chunks: ['a'.repeat(80), 'b'.repeat(80)] })
    expect(res.status).toBe(413)
    expect(String(error)).toMatch(/larger than 100 bytes/)
  })

  test('streams request and response bodies in chunks', async () => {
    const seen: number[] = []
    const streaming = async (request: Request) => {
      const reader = request.body!.getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        seen.push(value.byteLength)
      }
      let n = 0
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          if (n++ < 50) c.enqueue(new Uint8Array(64 * 1024).fill(65))
          else c.close()
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/plain' } })
    }
    const base = await listen(createServer(toNodeListener(streaming)))
    const sender = httpRequest(`${base}/`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } })
    const response = new Promise<number>((resolve) =>
      sender.on('response', (res) => {
        let total = 0
        res.on('data', (c: Buffer) => (total += c.length))
        res.on('end', () => resolve(total))
      }),
    )
    for (let i = 0; i < 3; i++) {
      sender.write('x'.repeat(1000))
      await new Promise((r) => setTimeout(r, 20))
    }
    sender.end()
    expect(await response).toBe(50 * 64 * 1024)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen.reduce((a, b) => a + b, 0)).toBe(3000)
  })

  /** Sends a request to `base` and closes the connection `ms` later, before the answer. */
  async function requestThenLeave(base: string, ms: number): Promise<void> {
    const controller = new AbortController()
    const pending = fetch(`${base}/`, { signal: controller.signal }).catch((e: unknown) => e)
    await new Promise((r) => setTimeout(r, ms))
    controller.abort()
    await pending
  }

  test('a client that goes away aborts request.signal', async () => {
    let aborted: () => void
    const abortSeen = new Promise<void>((r) => (aborted = r))
    const slow = (request: Request) =>
      new Promise<Response>((resolve) => {
        request.signal.addEventListener('abort', () => {
          aborted()
          resolve(new Response('late'))
        })
      })
    await requestThenLeave(await listen(createServer(toNodeListener(slow))), 100)
    await expect(Promise.race([abortSeen.then(() => 'aborted'), new Promise((r) => setTimeout(() => r('timeout'), 2000))])).resolves.toBe('aborted')
  })

  test('a signal first asked for after the client went away is already aborted, and a signal of a finished response never aborts', async () => {
    let report: (state: boolean) => void
    const seen = new Promise<boolean>((r) => (report = r))
    const late = async (request: Request) => {
      await new Promise((r) => setTimeout(r, 300))
      report(request.signal.aborted)
      return new Response('late')
    }
    await requestThenLeave(await listen(createServer(toNodeListener(late))), 50)
    expect(await seen).toBe(true)

    let signal: AbortSignal | undefined
    const quick = async (request: Request) => {
      signal = request.signal
      return new Response('ok')
    }
    const quickBase = await listen(createServer(toNodeListener(quick)))
    expect(await (await fetch(`${quickBase}/`)).text()).toBe('ok')
    await new Promise((r) => setTimeout(r, 50))
    expect(signal!.aborted).toBe(false)
  })

  test('a body cut short by the client records nothing', async () => {
    const f = makeFixture()
    const base = await listen(createServer(toNodeListener(f.handler)))
    const path = `${base}/t/u/${await f.sign('unsubscribe')}`
    const req = httpRequest(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': 400 } })
    req.on('error', () => {})
    req.write('List-Unsubscribe=One-Click&pad=')
    await new Promise((r) => setTimeout(r, 100))
    req.destroy()
    await new Promise((r) => setTimeout(r, 200))
    expect(await f.events()).toEqual([])
  })
})

describe('toNodeListener as Express middleware', () => {
  test('handles its base path and calls next() for the rest', async () => {
    const f = makeFixture()
    const app = express()
    app.use(toNodeListener(f.handler))
    app.get('/health', (_req, res) => void res.send('ok'))
    const base = await listen(createServer(app))
    expect(await (await fetch(`${base}/health`)).text()).toBe('ok')
    const page = await fetch(`${base}/t/w/${await f.sign('withdraw')}`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Stop tracking')
    expect((await fetch(`${base}/t/nothing/here`)).status).toBe(404)
  })

  test('mounted under a path (app.use("/t", …)) it sees the original URL', async () => {
    const f = makeFixture()
    const app = express()
    app.use('/t', toNodeListener(f.handler))
    const base = await listen(createServer(app))
    const path = `${base}/t/u/${await f.sign('unsubscribe')}`
    const res = await fetch(path, formPost({ 'List-Unsubscribe': 'One-Click' }))
    expect(res.status).toBe(200)
    expect((await f.events('c_1')).map((e) => e.type)).toEqual(['unsubscribe'])
  })

  test('a handler that rejects goes to Express error handling', async () => {
    const app = express()
    const failing = Object.assign(async () => {
      throw new Error('boom')
    }, { handles: () => true })
    app.use(toNodeListener(failing))
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(502).send(err.message))
    const base = await listen(createServer(app))
    const res = await fetch(`${base}/x`)
    expect(res.status).toBe(502)
    expect(await res.text()).toBe('boom')
  })

  test('a handler that throws before returning a promise, or returns a Response without one, is served like an async one', async () => {
    const throwing = (() => {
      throw new Error('sync boom')
    }) as unknown as Parameters<typeof toNodeListener>[0]
    const plainServer = await listen(createServer(toNodeListener(throwing)))
    expect((await fetch(`${plainServer}/x`)).status).toBe(500)
    const app = express()
    app.use(toNodeListener(Object.assign(throwing, { handles: () => true })))
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(502).send(err.message))
    const viaExpress = await listen(createServer(app))
    expect(await (await fetch(`${viaExpress}/x`)).text()).toBe('sync boom')
    const direct = (() => new Response('direct')) as unknown as Parameters<typeof toNodeListener>[0]
    expect(await (await fetch(`${await listen(createServer(toNodeListener(direct)))}/x`)).text()).toBe('direct')
  })
})

describe('the Request the bridge passes', () => {
  test('is a Request whose body, methods and clone work like undici’s', async () => {
    let seen: Record<string, unknown> = {}
    const probe = async (request: Request) => {
      const copy = request.clone()
      seen = {
        isRequest: request instanceof Request,
        method: request.method,
        url: request.url,
        ua: request.headers.get('user-agent'),
        signal: request.signal instanceof AbortSignal,
        text: await request.text(),
        copy: (await copy.formData()).get('a'),
        used: request.bodyUsed,
      }
      return new Response('ok')
    }
    const base = await listen(createServer(toNodeListener(probe)))
    await fetch(`${base}/p?q=1`, formPost({ a: 'b c' }, { headers: { 'user-agent': 'probe/1' } }))
    expect(seen).toEqual({ isRequest: true, method: 'POST', url: `${base}/p?q=1`, ua: 'probe/1', signal: true, text: 'a=b+c', copy: 'b c', used: true })
  })
})

describe('the plain-data path of the bridge', () => {
  test('answers exactly what the Web handler answers: status, headers and body, for every kind of response', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const base = await listen(createServer(toNodeListener(f.handler)))
    const url = 'https://shop.example.com/x'
    const paths = [
      `/o/${await f.sign('open')}`,
      `/o/garbage`,
      `/c/${await f.sign('click', { url })}?u=${encodeURIComponent(url)}`,
      `/c/${await f.sign('click', { url })}?u=${encodeURIComponent('https://evil.example/')}`,
      `/w/${await f.sign('withdraw')}`,
      `/p/${await f.sign('preferences')}`,
      `/nowhere`,
    ]
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'DELETE']) {
        const headers = { 'user-agent': HUMAN_UA, 'accept-language': 'fr' }
        const web = await f.handler(new Request(`${base}/t${path}`, { method, headers }))
        const node = await fetch(`${base}/t${path}`, { method, headers, redirect: 'manual' })
        expect(node.status, `${method} ${path}`).toBe(web.status)
        for (const [name, value] of web.headers) expect(node.headers.get(name), `${method} ${path} ${name}`).toBe(value)
        const [a, b] = [await web.text(), await node.text()]
        // Pages carry a fresh nonce per request; everything else is byte-identical.
        expect(b.replace(/name="nonce" value="[^"]+"/, '')).toBe(a.replace(/name="nonce" value="[^"]+"/, ''))
      }
    }
  })
})
