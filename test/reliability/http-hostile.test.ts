// Every route under hostile input, on a real SQLite store: random paths,
// tokens, methods, headers, bodies and content types never get a 5xx and
// never change the store (read back afterwards) without a valid nonce-backed
// POST; reflected-XSS payloads in everything that reaches a page come back
// escaped; /c/ is never an open redirect; `u` and the locale never inject a
// response header (checked on the raw bytes of a real server too).
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { toNodeListener } from '../../src/http/node.js'
import type { TokenPurpose } from '../../src/tokens/types.js'
import {
  BOUND,
  describeRouteFuzz,
  expectInertPage,
  expectSafeHeaders,
  fuzzNonces,
  fuzzSetup,
  HUMAN_UA,
  httpFixture,
  LINK_SCOPE,
  PURPOSES,
  REDIRECT_ATTACKS,
  REFLECTABLE_HEADERS,
  runRouteFuzz,
  SEGMENT,
  XSS_PAYLOADS,
  type HttpFixture,
} from './http-hostile.js'

const RUNS = 3000

let f: HttpFixture
let pool: Record<TokenPurpose, string[]>

beforeAll(async () => {
  ;({ f, pool } = await fuzzSetup())
})
afterAll(async () => {
  await f.close()
})

describe('random requests to every route', () => {
  test(`${RUNS} requests: no 5xx, safe headers, and no state change but RFC 8058 one-click`, async () => {
    const figures = await runRouteFuzz({ f, pool, nonces: await fuzzNonces(f, pool) }, RUNS)
    console.log(describeRouteFuzz(figures))
    expect(figures.requests).toBe(RUNS)
  }, 600_000)

  test('control: the same harness sees a real change when a person confirms after the delay', async () => {
    const before = (await f.events()).length
    const token = pool.withdraw[5]!
    const page = await (await f.request(`/w/${token}`)).text()
    const nonce = /name="nonce" value="([^"]+)"/.exec(page)![1]!
    f.clock.ms += 3000
    const res = await f.request(`/w/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `nonce=${encodeURIComponent(nonce)}` })
    expect(res.status).toBe(200)
    const added = (await f.events()).slice(before)
    expect(added.map((e) => [e.type, e.contactId])).toEqual([['withdraw', 'c_fuzz_5']])
  })
})

describe('reflected XSS', () => {
  test('payloads in the path, the query, every reflectable header and every form field come back escaped', async () => {
    const tokens = Object.fromEntries(await Promise.all(PURPOSES.map(async (p) => [p, await f.tokenFor(p, 7)] as const))) as Record<TokenPurpose, string>
    let pages = 0
    for (const payload of XSS_PAYLOADS) {
      const q = encodeURIComponent(payload)
      const attempts: { label: string; path: string; init?: RequestInit }[] = []
      for (const p of PURPOSES) {
        const seg = SEGMENT[p]
        attempts.push({ label: `${seg} path`, path: `/${seg}/${q}` })
        attempts.push({ label: `${seg} query`, path: `/${seg}/${tokens[p]}?u=${q}&h=${q}&nonce=${q}&lang=${q}&${q}=${q}` })
        for (const name of REFLECTABLE_HEADERS) {
          const headers = new Headers({ 'user-agent': name === 'user-agent' ? payload : HUMAN_UA })
          headers.set(name, payload)
          attempts.push({ label: `${seg} header ${name}`, path: `/${seg}/${tokens[p]}`, init: { headers } })
        }
        const fields = new URLSearchParams([['nonce', payload], ['opens', payload], ['List-Unsubscribe', payload], [payload, payload]])
        attempts.push({ label: `${seg} form`, path: `/${seg}/${tokens[p]}`, init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() } })
        attempts.push({
          label: `${seg} multipart`,
          path: `/${seg}/${tokens[p]}`,
          init: { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zz' }, body: `--zz\r\nContent-Disposition: form-data; name="nonce"\r\n\r\n${payload}\r\n--zz--\r\n` },
        })
      }
      for (const a of attempts) {
        const res = await f.request(a.path, a.init)
        expectSafeHeaders(res, `${a.label} ${payload}`)
        if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
          expectInertPage(await res.text(), [payload], `${a.label} ${payload}`)
          pages++
        } else await res.arrayBuffer()
      }
    }
    expect(pages).toBeGreaterThan(XSS_PAYLOADS.length * 50)
  })

  test('payloads signed into a token (notice version) or set as brand and texts are escaped on every page', async () => {
    for (const payload of XSS_PAYLOADS) {
      const branded = await httpFixture({ pages: { brand: { name: payload }, texts: { en: { footer: payload, withdrawTitle: payload } } }, noticeVersion: payload })
      try {
        for (const p of ['withdraw', 'preferences', 'consent', 'unsubscribe'] as const) {
          const token = await branded.tokens.sign({ purpose: p, contactId: 'c_x', noticeVersion: payload })
          const res = await branded.request(`/${SEGMENT[p]}/${token}`)
          expect(res.status).toBe(200)
          const html = await res.text()
          expectInertPage(html, [payload], `${p} ${payload}`)
          if (p === 'consent' && /[<>"']/.test(payload)) expect(html).toContain(payload.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'))
        }
        const error = await branded.request('/w/garbage')
        expectInertPage(await error.text(), [payload], `error page ${payload}`)
      } finally {
        await branded.close()
      }
    }
  })
})

describe('open redirect on /c/', () => {
  const clickUrl = (token: string, u: string | undefined, h: string | undefined) => {
    const q = new URLSearchParams()
    if (u !== undefined) q.set('u', u)
    if (h !== undefined) q.set('h', h)
    return `/c/${token}?${q.toString()}`
  }

  test('each bound target redirects to itself; every attack URL, MAC and token mix is refused with no Location', async () => {
    const token = pool.click[3]!
    for (const target of BOUND) {
      const res = await f.request(clickUrl(token, target, f.tokens.linkMac(LINK_SCOPE, target)))
      expect(res.status).toBe(302)
      expect(res.headers.get('location')).toBe(new URL(target).href)
    }
    const foreign = await f.tokens.sign({ purpose: 'click', contactId: 'c_fuzz_3', linkScope: 'another-campaign' })
    const single = await f.tokens.sign({ purpose: 'click', contactId: 'c_fuzz_3', url: BOUND[0] })
    let refused = 0
    for (const attack of REDIRECT_ATTACKS) {
      const macs = [undefined, '', 'AAAAAAAAAAAAAAAAAAAAAA', f.tokens.linkMac(LINK_SCOPE, BOUND[0]!), f.tokens.linkMac('another-campaign', attack), f.tokens.linkMac(LINK_SCOPE, attack.trim())]
      const scopes = new Map([[token, LINK_SCOPE], [foreign, 'another-campaign']])
      for (const tok of [token, foreign, single, pool.open[3]!, pool.withdraw[3]!]) {
        for (const h of macs) {
          // The MAC of this very string under the token's own scope is the sender's signature (keyed by its secret): skip it.
          const scope = scopes.get(tok)
          if (scope !== undefined && h !== undefined && h === f.tokens.linkMac(scope, attack)) continue
          const res = await f.request(clickUrl(tok, attack, h))
          expectSafeHeaders(res, `${attack} ${h}`)
          expect(res.status, `${attack} h=${h}`).toBeGreaterThanOrEqual(400)
          expect(res.headers.get('location')).toBeNull()
          refused++
        }
      }
    }
    // A token bound to one url (no scope) follows only that url.
    const ok = await f.request(clickUrl(single, BOUND[0], undefined))
    expect([ok.status, ok.headers.get('location')]).toEqual([302, new URL(BOUND[0]!).href])
    expect(refused).toBeGreaterThan(REDIRECT_ATTACKS.length * 20)
  })

  test('property: a redirect only ever goes to a bound target with its own MAC', async () => {
    const token = pool.click[4]!
    const macs = BOUND.map((u) => f.tokens.linkMac(LINK_SCOPE, u))
    const target = fc.oneof(fc.constantFrom(...BOUND, ...REDIRECT_ATTACKS), fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.string(), fc.tuple(fc.constantFrom(...BOUND), fc.string({ maxLength: 4 })).map(([b, s]) => b + s))
    const mac = fc.oneof(fc.constantFrom(...macs), fc.string({ maxLength: 30 }), fc.constant(undefined))
    await fc.assert(
      fc.asyncProperty(target, mac, async (u, h) => {
        const res = await f.request(clickUrl(token, u, h))
        expectSafeHeaders(res, `${u} ${h}`)
        if (res.status >= 300 && res.status < 400) {
          const i = BOUND.indexOf(u)
          expect(i, `redirected for an unbound ${u}`).toBeGreaterThanOrEqual(0)
          expect(h).toBe(macs[i])
          expect(res.headers.get('location')).toBe(new URL(u).href)
        } else expect(res.headers.get('location')).toBeNull()
      }),
      { numRuns: Math.max(500, RUNS / 3) },
    )
  })
})

describe('header injection', () => {
  let server: Server
  let port = 0
  let h: HttpFixture
  // Targets a sender could have in a template, with control characters (a bound target is followed even so).
  const TRICKY = ['https://shop.example.com/a\r\nSet-Cookie: owned=1', 'https://shop.example.com/b%0d%0aSet-Cookie:%20owned=1', 'https://shop.example.com/c\u0000x', 'https://shop.example.com/d\tx', 'https://shop.example.com/é?q=ü']

  beforeAll(async () => {
    h = await httpFixture()
    server = createServer(toNodeListener(h.handler))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as { port: number }).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await h.close()
  })

  /** Sends raw bytes and returns the raw response head (status line and header lines). */
  const raw = (request: string): Promise<{ status: number; headers: string[] }> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      let data = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => (data += chunk))
      socket.on('error', reject)
      socket.on('end', () => {
        const head = data.slice(0, data.indexOf('\r\n\r\n'))
        const [statusLine, ...headers] = head.split('\r\n')
        resolve({ status: Number(statusLine!.split(' ')[1]), headers })
      })
      socket.write(request, 'latin1')
    })

  test('`u` with CR, LF, NUL or tab (bound or not) never adds a header: the Location is one clean line', async () => {
    const token = await h.tokens.sign({ purpose: 'click', contactId: 'c_h', linkScope: LINK_SCOPE })
    for (const target of TRICKY) {
      for (const bound of [true, false]) {
        const q = `u=${encodeURIComponent(target)}${bound ? `&h=${h.tokens.linkMac(LINK_SCOPE, target)}` : ''}`
        const res = await raw(`GET /t/c/${token}?${q} HTTP/1.1\r\nHost: mail.example.com\r\nUser-Agent: ${HUMAN_UA}\r\nConnection: close\r\n\r\n`)
        expect(res.status, target).toBe(bound ? 302 : 400)
        expect(res.headers.filter((l) => /^set-cookie:/i.test(l))).toEqual([])
        const locations = res.headers.filter((l) => /^location:/i.test(l))
        if (bound) {
          expect(locations).toHaveLength(1)
          expect(locations[0]!.slice('location: '.length)).toBe(new URL(target).href)
          expect(locations[0]).not.toMatch(/[\0-\x1f\x7f]/)
        } else expect(locations).toEqual([])
      }
    }
  })

  test('Accept-Language payloads only ever give Content-Language en or fr, and never a new header', async () => {
    const token = await h.tokens.sign({ purpose: 'withdraw', contactId: 'c_h' })
    const values = ['fr', 'fr-FR;q=0.9', 'de, fr;q=0.1', `fr${'\u00e9'}`, 'fr\u0000', 'fr\u0001X-Injected: 1', 'fr;q=2', '*', 'x'.repeat(2000), ...XSS_PAYLOADS]
    for (const value of values) {
      const res = await raw(`GET /t/w/${token} HTTP/1.1\r\nHost: mail.example.com\r\nUser-Agent: ${HUMAN_UA}\r\nAccept-Language: ${value}\r\nConnection: close\r\n\r\n`)
      expect(res.status, JSON.stringify(value)).toBeLessThan(500)
      if (res.status === 200) {
        const language = res.headers.filter((l) => /^content-language:/i.test(l))
        expect(language.length).toBe(1)
        expect(['content-language: en', 'content-language: fr']).toContain(language[0]!.toLowerCase())
      }
      expect(res.headers.some((l) => /^x-injected/i.test(l))).toBe(false)
    }
    // A value the Fetch API refuses (a raw CR/LF) cannot even be built into a Request: the handler never sees one.
    expect(() => new Headers({ 'accept-language': 'fr\r\nSet-Cookie: owned=1' })).toThrow()
  })

  test('the transform locale reaches only the inserted text, never a header', async () => {
    const { transform } = await import('../../src/transform.js')
    for (const locale of ['fr\r\nX-Injected: 1', 'en"><script>alert(1)</script>', 'fr', '\u0000']) {
      const r = await transform({ html: '<p>x</p>', text: 'x' }, { contactId: 'c_1', opens: { status: 'granted', at: new Date('2026-05-01') }, clicks: { status: 'granted', at: new Date('2026-05-01') }, collectedAt: new Date('2026-05-01') }, 'marketing', { tokens: h.tokens, baseUrl: 'https://t.example.com/m', now: new Date('2026-09-01'), locale })
      for (const [k, v] of Object.entries(r.headers)) {
        expect(k).not.toMatch(/[\r\n]/)
        expect(v).not.toMatch(/[\r\n\0]/)
        expect(v).not.toContain('X-Injected')
      }
      expect(r.html).not.toContain('<script>')
    }
  })
})
