import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createHandler, HttpError } from '../../src/http/index.js'
import { createMemoryStore } from '../../src/store/index.js'
import { formPost, makeFixture, nonceOf } from './setup.js'

describe('bad input never gets a 500', () => {
  test('unknown routes are 404 pages; paths outside the base path too', async () => {
    const f = makeFixture()
    const token = await f.sign('withdraw')
    // Names an object has from its prototype are no routes either.
    const inherited = ['constructor', '__proto__', 'toString', 'hasOwnProperty'].map((name) => `/${name}/${token}`)
    for (const path of ['/x/abc', `/w/`, `/w/${token}/extra`, '/', '', '/w', `/W/${token}`, ...inherited]) {
      const res = await f.fetch(path)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(res.headers.get('cache-control')).toBe('no-store')
    }
    const outside = await f.handler(new Request(`https://mail.example.com/other/w/${token}`))
    expect(outside.status).toBe(404)
    expect(f.handler.handles('/other/w/x')).toBe(false)
    expect(f.handler.handles('/t/w/x')).toBe(true)
    expect(f.handler.handles('/tx/w/x')).toBe(false)
  })

  test('wrong methods are 405 with Allow', async () => {
    const f = makeFixture()
    for (const [segment, purpose] of [['w', 'withdraw'], ['p', 'preferences'], ['consent', 'consent'], ['u', 'unsubscribe']] as const) {
      for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const res = await f.fetch(`/${segment}/${await f.sign(purpose)}`, { method })
        expect(res.status).toBe(405)
        expect(res.headers.get('allow')).toBe('GET, HEAD, POST')
      }
    }
    expect(await f.events()).toEqual([])
  })

  test('malformed, forged, wrong-purpose and expired tokens get a localized 4xx page', async () => {
    const f = makeFixture()
    const good = await f.sign('withdraw')
    const [h, p, s, tag] = good.split('.')
    const expired = await f.sign('withdraw', { expiresIn: 1 })
    f.clock.advance(5_000)
    const cases: [string, number][] = [
      ['garbage', 400],
      [`${h}.${p}.${s}`, 400],
      [`${h}.${p}.${s!.slice(0, -2)}AA.${tag}`, 400],
      [await f.sign('preferences'), 400],
      [await f.sign('open'), 400],
      [expired, 410],
    ]
    for (const [token, status] of cases) {
      for (const method of ['GET', 'POST']) {
        const res = await f.fetch(`/w/${token}`, method === 'POST' ? formPost({ nonce: 'x' }) : {})
        expect(res.status, `${method} ${token.slice(0, 20)}`).toBe(status)
      }
    }
    const fr = await f.fetch('/w/garbage', { headers: { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' } })
    const html = await fr.text()
    expect(html).toContain('<html lang="fr">')
    expect(html).toContain('Ce lien ne fonctionne pas')
    expect(fr.headers.get('content-language')).toBe('fr')
    const expiredFr = await (await f.fetch(`/w/${expired}`, { headers: { 'accept-language': 'fr' } })).text()
    expect(expiredFr).toContain('Ce lien a expiré')
    expect(await f.events()).toEqual([])
  })

  test('oversized bodies are 413 (declared or streamed) and record nothing', async () => {
    const f = makeFixture({ maxBodyBytes: 1024 })
    const token = await f.sign('unsubscribe')
    const big = `List-Unsubscribe=One-Click&pad=${'x'.repeat(4096)}`
    const declared = await f.fetch(`/u/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big })
    expect(declared.status).toBe(413)
    const chunks = [big.slice(0, 1000), big.slice(1000)]
    const stream = new ReadableStream({
      pull(c) {
        const next = chunks.shift()
        if (next === undefined) c.close()
        else c.enqueue(new TextEncoder().encode(next))
      },
    })
    const streamed = await f.fetch(`/u/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(streamed.status).toBe(413)
    expect(await f.events()).toEqual([])
  })

  test('a non-form body is 415; a malformed multipart body is 400', async () => {
    const f = makeFixture()
    const token = await f.sign('unsubscribe')
    const json = await f.fetch(`/u/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"List-Unsubscribe":"One-Click"}' })
    expect(json.status).toBe(415)
    const none = await f.fetch(`/u/${token}`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': '' } })
    expect(none.status).toBe(415)
    const broken = await f.fetch(`/u/${token}`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zz' }, body: '--zz\r\nnonsense' })
    expect(broken.status).toBe(400)
    expect(await f.events()).toEqual([])
  })

  test('property: any path, method and body under the base path gets a non-5xx answer and records nothing', async () => {
    const f = makeFixture()
    const tokens = await Promise.all((['open', 'click', 'withdraw', 'preferences', 'consent', 'unsubscribe'] as const).map((p) => f.sign(p)))
    const segment = fc.constantFrom('o', 'c', 'w', 'p', 'consent', 'u', 'x', '', '..')
    const token = fc.oneof(fc.constantFrom(...tokens), fc.string(), fc.constantFrom(...tokens).map((t) => t.slice(0, -3)))
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS')
    const body = fc.oneof(fc.constant(''), fc.string(), fc.constant('nonce=abc.def&opens=on'), fc.constant('List-Unsubscribe=One-Clik'))
    const contentType = fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain', 'multipart/form-data; boundary=x')
    await fc.assert(
      fc.asyncProperty(segment, token, method, body, contentType, fc.string({ maxLength: 30 }), async (seg, tok, m, b, ct, query) => {
        const path = `/${seg}/${encodeURIComponent(tok)}?${encodeURIComponent(query)}`
        const init: RequestInit = { method: m, headers: { 'content-type': ct } }
        if (m !== 'GET' && m !== 'HEAD') init.body = b
        const res = await f.fetch(path, init)
        expect(res.status).toBeLessThan(500)
        expect(res.headers.get('cache-control')).toBe('no-store')
      }),
      { numRuns: 300 },
    )
    expect(await f.events()).toEqual([])
    expect(f.logs).toEqual([])
  })

  test('a request the handler cannot even read becomes a response, never a rejection', async () => {
    const f = makeFixture()
    const res = await f.handler({ method: 'GET', url: 'not a url', headers: new Headers() } as unknown as Request)
    expect(res.status).toBe(500)
    expect(f.logs.map((l) => l.details?.code)).toEqual(['internal'])
  })
})

describe('createHandler options', () => {
  const base = () => {
    const f = makeFixture()
    return { tokens: f.tokens, store: createMemoryStore() }
  }
  const invalid = (options: object) => {
    expect(() => createHandler({ ...base(), ...options })).toThrowError(expect.objectContaining({ code: 'invalid-option' }))
  }

  test('refuses unusable options with invalid-option', () => {
    invalid({ basePath: 'no-slash' })
    invalid({ basePath: '/t?x=1' })
    invalid({ locale: 'de' })
    invalid({ maxBodyBytes: -1 })
    invalid({ forms: { minDelayMs: 5000, maxAgeMs: 1000 } })
    invalid({ pages: { brand: { colors: { primary: 'red;}body{display:none' } } } })
    invalid({ pages: { brand: { colors: { primari: '#000' } } } })
    invalid({ pages: { brand: { logoUrl: 'javascript:alert(1)' } } })
    invalid({ pages: { noticeUrl: '/relative' } })
    invalid({ pages: { texts: { en: { nope: 'x' } } } })
    invalid({ machineSignatures: [{ kind: 'scanner', ipRanges: ['10.0.0.0/33'] }] })
    invalid({ policy: { id: 'x' } })
    invalid({ noticeVersion: '' })
    expect(() => createHandler({ ...base(), tokens: {} as never })).toThrowError(HttpError)
  })

  test('basePath may be the full baseUrl given to transform()', () => {
    const handler = createHandler({ ...base(), basePath: 'https://mail.example.com/track/' })
    expect(handler.basePath).toBe('/track')
    expect(createHandler({ ...base(), basePath: '/' }).basePath).toBe('')
  })

  test('warns about brand colors below AA contrast', () => {
    const warnings: string[] = []
    createHandler({
      ...base(),
      pages: { brand: { colors: { primary: '#7dd3fc' } } },
      logger: { error: () => {}, warn: (message) => warnings.push(message) },
    })
    expect(warnings).toEqual([expect.stringMatching(/contrast/)])
  })

  test('a handler mounted at the root handles every path', async () => {
    const f = makeFixture({ basePath: '' })
    const token = await f.sign('withdraw')
    expect(f.handler.handles('/anything')).toBe(true)
    expect((await f.handler(new Request(`https://x.example/w/${token}`))).status).toBe(200)
  })
})

describe('anti-scanner gate details', () => {
  test('a nonce for another token, another purpose or too old is refused with the form served again', async () => {
    const f = makeFixture({ forms: { minDelayMs: 2_000, maxAgeMs: 60_000 } })
    const a = await f.sign('withdraw')
    const b = await f.sign('withdraw')
    const nonceA = nonceOf(await (await f.fetch(`/w/${a}`)).text())
    const prefNonce = nonceOf(await (await f.fetch(`/p/${await f.sign('preferences')}`)).text())
    f.clock.advance(2_500)
    for (const [token, nonce] of [[b, nonceA], [a, prefNonce], [a, 'garbage'], [a, '']]) {
      const res = await f.fetch(`/w/${token}`, formPost({ nonce: nonce! }))
      expect(res.status).toBe(400)
      const html = await res.text()
      expect(html).toContain('role="alert"')
      expect(nonceOf(html)).not.toBe(nonce) // a fresh form to press again
    }
    f.clock.advance(60_000)
    expect((await f.fetch(`/w/${a}`, formPost({ nonce: nonceA }))).status).toBe(400)
    expect(await f.events()).toEqual([])
  })

  test('too fast: 429 with Retry-After and a fresh form; pressing again after the delay works', async () => {
    const f = makeFixture()
    const token = await f.sign('withdraw')
    const nonce = nonceOf(await (await f.fetch(`/w/${token}`)).text())
    f.clock.advance(500)
    const fast = await f.fetch(`/w/${token}`, formPost({ nonce }))
    expect(fast.status).toBe(429)
    expect(fast.headers.get('retry-after')).toBe('2')
    const html = await fast.text()
    expect(html).toContain('please wait a moment')
    expect(await f.events()).toEqual([])
    f.clock.advance(2_000)
    expect((await f.fetch(`/w/${token}`, formPost({ nonce: nonceOf(html) }))).status).toBe(200)
    expect(await f.events()).toHaveLength(1)
  })

  test('the minimum delay is configurable', async () => {
    const f = makeFixture({ forms: { minDelayMs: 0 } })
    const token = await f.sign('consent')
    const nonce = nonceOf(await (await f.fetch(`/consent/${token}`)).text())
    expect((await f.fetch(`/consent/${token}`, formPost({ nonce }))).status).toBe(200)
  })
})
