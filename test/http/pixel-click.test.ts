import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { cnilPolicy } from '../../src/policy/cnil.js'
import { clickQuery } from '../../src/lib/routes.js'
import { PLAIN_RESPONDER } from '../../src/http/lib/responses.js'
import { READ_NOW } from '../../src/store/read-now.js'
import { createSqliteStore } from '../../src/store/sqlite.js'
import { createMemoryStore } from '../../src/store/index.js'
import { makeFixture } from './setup.js'

const GIF_HEAD = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]

async function expectGif(res: Response, head = false) {
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('image/gif')
  expect(res.headers.get('cache-control')).toBe('no-store')
  const body = new Uint8Array(await res.arrayBuffer())
  if (head) expect(body.length).toBe(0)
  else {
    expect([...body.subarray(0, 6)]).toEqual(GIF_HEAD)
    expect(body.length).toBe(Number(res.headers.get('content-length')))
  }
}

describe('GET /o/:token (pixel)', () => {
  test('reports an open that consent allows, with device and machine class, and records nothing', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const before = (await f.events()).length
    const res = await f.fetch(`/o/${await f.sign('open')}`)
    await expectGif(res)
    expect(f.calls.onOpen).toEqual([
      { mode: 'tracked', contactId: 'c_1', messageId: 'm_1', tokenId: expect.any(String), at: new Date(f.clock.ms), device: 'webmail', machine: false },
    ])
    expect((await f.events()).length).toBe(before)
  })

  test('answers the GIF whatever the token, and reports nothing for a bad one', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const valid = await f.sign('open')
    const [h, p, s, tag] = valid.split('.')
    const bad = [
      'x',
      'not.a.token.at-all',
      `${h}.${p}.${s}A.${tag}`, // forged signature
      `${h}.${p}.${s}.${tag!.slice(1)}A`, // forged purpose tag
      await f.sign('withdraw'), // wrong purpose
      await f.sign('open', { expiresIn: 1 }).then(async (t) => (f.clock.advance(5_000), t)), // expired
      '%E0%A4%A', // undecodable escape
      'a'.repeat(5000),
    ]
    for (const token of bad) await expectGif(await f.fetch(`/o/${token}`))
    expect(f.calls.onOpen).toBeUndefined()
    expect(f.logs).toEqual([])
  })

  test('reports nothing without consent, and nothing after a withdrawal for a mail sent before it', async () => {
    const f = makeFixture()
    const sentBefore = await f.sign('open', { contactId: 'c_2' })
    await expectGif(await f.fetch(`/o/${sentBefore}`)) // unknown contact
    await f.store.record({ contactId: 'c_2', type: 'collect', at: new Date(f.clock.ms - 1000), source: 'form' })
    await expectGif(await f.fetch(`/o/${sentBefore}`)) // collected after 2026-04-14, no opt-in
    expect(f.calls.onOpen).toBeUndefined()

    await f.grant('c_2')
    await expectGif(await f.fetch(`/o/${sentBefore}`))
    expect(f.calls.onOpen).toHaveLength(1)
    await f.store.record({ contactId: 'c_2', type: 'withdraw', at: new Date(f.clock.ms), source: 'withdrawal-link' })
    f.clock.advance(1000)
    await expectGif(await f.fetch(`/o/${sentBefore}`))
    expect(f.calls.onOpen).toHaveLength(1)
  })

  test('HEAD gets the GIF headers and is never an open', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    await expectGif(await f.fetch(`/o/${await f.sign('open')}`, { method: 'HEAD' }), true)
    expect(f.calls.onOpen).toBeUndefined()
  })

  test('POST is 405 with Allow', async () => {
    const f = makeFixture()
    const res = await f.fetch(`/o/${await f.sign('open')}`, { method: 'POST' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  test('a store that is down still gets the GIF, is logged, and reports nothing', async () => {
    const store = createMemoryStore()
    const f = makeFixture({ store })
    await store.close()
    await expectGif(await f.fetch(`/o/${await f.sign('open')}`))
    expect(f.calls.onOpen).toBeUndefined()
    expect(f.logs.map((l) => l.details?.code)).toEqual(['store-unavailable'])
  })

  test('flags machine fetches: Gmail and Yahoo proxies, Apple MPP (agent or network), scanners, Outlook network', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const cases: [string, string | undefined, object][] = [
      ['Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', undefined, { machine: true, machineKind: 'gmail-proxy', device: 'webmail' }],
      ['Mozilla/5.0 (compatible; YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html)', undefined, { machine: true, machineKind: 'yahoo-proxy', device: 'webmail' }],
      ['Mozilla/5.0', '203.0.113.9', { machine: true, machineKind: 'apple-mpp', device: 'unknown' }],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', '17.58.101.4', { machine: true, machineKind: 'apple-mpp' }],
      ['Mozilla/5.0 (compatible; Barracuda Sentinel (EE))', undefined, { machine: true, machineKind: 'scanner' }],
      [HUMAN, '40.107.22.5', { machine: true, machineKind: 'outlook-proxy', device: 'webmail' }],
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', '198.51.100.7', { machine: false, device: 'mobile' }],
      ['Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)', '198.51.100.7', { machine: false, device: 'desktop' }],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.9.0', '2001:db8::1', { machine: false, device: 'desktop' }],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36', undefined, { machine: false, device: 'webmail' }],
      ['SomethingElse/1.0', undefined, { machine: false, device: 'unknown' }],
    ]
    for (const [ua, ip, expected] of cases) {
      f.calls.onOpen = []
      await f.fetch(`/o/${await f.sign('open')}`, { headers: { 'user-agent': ua }, ...(ip ? { ip } : {}) })
      expect(f.calls.onOpen[0], ua).toMatchObject(expected)
      if (!(expected as { machine: boolean }).machine) expect(f.calls.onOpen[0]).not.toHaveProperty('machineKind')
    }
  })

  test('list-hygiene mode reports only the calendar day of the open', async () => {
    const f = makeFixture({ policy: cnilPolicy({ listHygiene: true }) })
    await f.fetch(`/o/${await f.sign('open', { contactId: 'c_new' })}`)
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(f.clock.ms))
    expect(f.calls.onOpen).toEqual([{ mode: 'list-hygiene', contactId: 'c_new', date: day }])
    // Consent given: a full report even in hygiene mode.
    await f.grant('c_1')
    await f.fetch(`/o/${await f.sign('open')}`)
    expect(f.calls.onOpen![1]).toMatchObject({ mode: 'tracked', contactId: 'c_1' })
  })

  test('a hook that throws is logged and contained', async () => {
    const f = makeFixture({ hooks: { onOpen: () => Promise.reject(new Error('analytics down')) } })
    await f.grant('c_1')
    await expectGif(await f.fetch(`/o/${await f.sign('open')}`))
    expect(f.logs).toHaveLength(1)
    expect(f.logs[0]!.message).toMatch(/hook onOpen failed/)
  })

  test('a hook that throws synchronously is contained too, and an async hook is awaited before the answer', async () => {
    const thrower = makeFixture({
      hooks: {
        onOpen: () => {
          throw new Error('analytics down')
        },
      },
    })
    await thrower.grant('c_1')
    await expectGif(await thrower.fetch(`/o/${await thrower.sign('open')}`))
    expect(thrower.logs.map((l) => l.message)).toEqual([expect.stringMatching(/hook onOpen failed/)])
    let done = false
    const slow = makeFixture({ hooks: { onOpen: () => new Promise<void>((resolve) => setTimeout(() => resolve(void (done = true)), 20)) } })
    await slow.grant('c_1')
    await expectGif(await slow.fetch(`/o/${await slow.sign('open')}`))
    expect(done).toBe(true)
  })

  test('a replaced tokens.verify is the one the routes call', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const original = f.tokens.verify
    const seen: string[] = []
    f.tokens.verify = (token, options) => {
      seen.push(options.purpose)
      return original(token, options)
    }
    await expectGif(await f.fetch(`/o/${await f.sign('open')}`))
    const mt = await f.tokens.signMessage({ contactId: 'c_1', messageId: 'm_1', purposes: ['click'] })
    const url = 'https://shop.example.com/'
    expect((await f.fetch(`/c/${mt.token('click')}${clickQuery(url, f.tokens.linkMac(mt.linkScope, url))}`)).status).toBe(302)
    expect(seen).toEqual(['open', 'click'])
    expect(f.calls.onOpen).toHaveLength(1)
  })
})

describe('pixel answered without waiting', () => {
  type Plain = (request: Request, context: { remoteAddress?: string }) => { status: number } | Promise<{ status: number }>
  const plainOf = (f: ReturnType<typeof makeFixture>) => (f.handler as unknown as Record<symbol, Plain>)[PLAIN_RESPONDER]!

  test('with a store that reads synchronously, a hit is answered and reported within the call', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const answer = plainOf(f)(...f.request(`/o/${await f.sign('open')}`))
    expect(answer).not.toBeInstanceOf(Promise)
    expect((answer as { status: number }).status).toBe(200)
    expect(f.calls.onOpen).toHaveLength(1)
    // A refused token too, and a contact without consent.
    expect(plainOf(f)(...f.request('/o/not-a-token'))).not.toBeInstanceOf(Promise)
    expect(plainOf(f)(...f.request(`/o/${await f.sign('open', { contactId: 'c_2' })}`))).not.toBeInstanceOf(Promise)
    expect(f.calls.onOpen).toHaveLength(1)
  })

  test('with the SQLite store (a real file) too, once it has opened; before that through a promise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etc-pixel-sqlite-'))
    const store = createSqliteStore({ database: join(dir, 'consent.db') })
    try {
      const f = makeFixture({ store })
      const token = await f.sign('open')
      const first = plainOf(f)(...f.request(`/o/${token}`))
      expect(first).toBeInstanceOf(Promise)
      expect((await first).status).toBe(200)
      expect(f.calls.onOpen).toBeUndefined()
      await f.grant('c_1')
      const answer = plainOf(f)(...f.request(`/o/${token}`))
      expect(answer).not.toBeInstanceOf(Promise)
      expect(f.calls.onOpen).toHaveLength(1)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a replaced store.get is the one the pixel calls, through a promise', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const original = f.store.get
    const asked: string[] = []
    f.store.get = (contactId) => {
      asked.push(contactId)
      return original.call(f.store, contactId)
    }
    const answer = plainOf(f)(...f.request(`/o/${await f.sign('open')}`))
    expect(answer).toBeInstanceOf(Promise)
    expect((await answer).status).toBe(200)
    expect(asked).toEqual(['c_1'])
    expect(f.calls.onOpen).toHaveLength(1)
  })

  test('a store whose synchronous read breaks still gets the GIF, logged as store-unavailable, with nothing reported', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const readNow = (f.store as unknown as Record<symbol, { now: (id: string) => unknown }>)[READ_NOW]!
    const saved = readNow.now
    readNow.now = () => {
      throw new Error('disk I/O error')
    }
    try {
      await expectGif(await f.fetch(`/o/${await f.sign('open')}`))
    } finally {
      readNow.now = saved
    }
    expect(f.calls.onOpen).toBeUndefined()
    expect(f.logs.map((l) => l.details?.code)).toEqual(['store-unavailable'])
  })

  test('a record the synchronous read returns is checked like any other: a corrupt one is store-unavailable', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const readNow = (f.store as unknown as Record<symbol, { now: (id: string) => unknown }>)[READ_NOW]!
    readNow.now = () => ({ contactId: 'c_1', opens: { status: 'granted?' }, clicks: { status: 'unknown' } })
    await expectGif(await f.fetch(`/o/${await f.sign('open')}`))
    expect(f.calls.onOpen).toBeUndefined()
    expect(f.logs.map((l) => l.details?.code)).toEqual(['store-unavailable'])
  })
})

const HUMAN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

describe('GET /c/:token (click)', () => {
  const target = 'https://shop.example.com/autumn?ref=news&x=<1>'

  async function clickPath(f: ReturnType<typeof makeFixture>, url: string, contactId = 'c_1') {
    const mt = await f.tokens.signMessage({ contactId, messageId: 'm_1', purposes: ['click'] })
    return { mt, path: `/c/${mt.token('click')}${clickQuery(url, f.tokens.linkMac(mt.linkScope, url))}` }
  }

  test('302 to the bound target, and the click reported when consent allows it', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const { path } = await clickPath(f, target)
    const res = await f.fetch(path)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(new URL(target).href)
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(f.calls.onClick).toEqual([
      { contactId: 'c_1', messageId: 'm_1', tokenId: expect.any(String), url: new URL(target).href, at: new Date(f.clock.ms), device: 'webmail', machine: false },
    ])
  })

  test('a target with a lone surrogate goes out as U+FFFD, still bound, and redirects where a browser would go', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const odd = 'https://shop.example.com/caf\uD800?x=\uDC00'
    const { path } = await clickPath(f, odd)
    expect(path).toContain(`?u=${encodeURIComponent('https://shop.example.com/caf\uFFFD?x=\uFFFD')}&h=`)
    const res = await f.fetch(path)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(new URL('https://shop.example.com/caf\uFFFD?x=\uFFFD').href)
  })

  test('a token signed for one url redirects there', async () => {
    const f = makeFixture()
    const token = await f.sign('click', { url: target })
    const res = await f.fetch(`/c/${token}?u=${encodeURIComponent(target)}`)
    expect(res.status).toBe(302)
    const other = await f.fetch(`/c/${token}?u=${encodeURIComponent('https://evil.example/')}`)
    expect(other.status).toBe(400)
  })

  test('redirects without reporting when consent does not allow clicks, or the store is down', async () => {
    const f = makeFixture()
    await f.grant('c_1', ['opens'])
    expect((await f.fetch((await clickPath(f, target)).path)).status).toBe(302)
    expect(f.calls.onClick).toBeUndefined()
    await f.store.close()
    expect((await f.fetch((await clickPath(f, target)).path)).status).toBe(302)
    expect(f.calls.onClick).toBeUndefined()
    expect(f.logs).toHaveLength(1)
  })

  test('never an open redirect: unbound, forged, missing or non-http targets get a 400 page and no Location', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const { mt, path } = await clickPath(f, target)
    const token = mt.token('click')
    const js = 'javascript:alert(1)'
    const attempts = [
      `/c/${token}?u=${encodeURIComponent('https://evil.example/')}&h=${path.split('&h=')[1]}`,
      `/c/${token}?u=${encodeURIComponent(target)}&h=AAAAAAAAAAAAAAAAAAAAAA`,
      `/c/${token}?u=${encodeURIComponent(target)}`,
      `/c/${token}`,
      `/c/${token}?u=not%20a%20url&h=${f.tokens.linkMac(mt.linkScope, 'not a url')}`,
      `/c/${token}${clickQuery(js, f.tokens.linkMac(mt.linkScope, js))}`,
      `/c/${token}${clickQuery('data:text/html,hi', f.tokens.linkMac(mt.linkScope, 'data:text/html,hi'))}`,
      `/c/${await f.sign('open')}${clickQuery(target, f.tokens.linkMac(mt.linkScope, target))}`,
    ]
    for (const attempt of attempts) {
      const res = await f.fetch(attempt)
      expect(res.status, attempt).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    }
    expect(f.calls.onClick).toBeUndefined()
  })

  test('HEAD redirects and reports nothing; POST is 405', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const { path } = await clickPath(f, target)
    expect((await f.fetch(path, { method: 'HEAD' })).status).toBe(302)
    expect(f.calls.onClick).toBeUndefined()
    const res = await f.fetch(path, { method: 'POST' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })
})
