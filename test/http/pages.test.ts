import { describe, expect, test } from 'vitest'
import { createMemoryStore } from '../../src/store/index.js'
import { formPost, HUMAN_UA, makeFixture, nonceOf, type Fixture } from './setup.js'

const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'content-type': 'text/html; charset=utf-8',
}

function expectPageHeaders(res: Response) {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(res.headers.get(name), name).toBe(value)
  const csp = res.headers.get('content-security-policy')!
  expect(csp).toContain("default-src 'none'")
  expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval/)
  expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/]+=*'/)
}

/** GET the page, wait past the anti-scanner delay, POST its form with `fields`. */
async function submit(f: Fixture, path: string, fields: Record<string, string> = {}, waitMs = 2_500) {
  const page = await f.fetch(path)
  expect(page.status).toBe(200)
  f.clock.advance(waitMs)
  return f.fetch(path, formPost({ nonce: nonceOf(await page.text()), ...fields }))
}

describe('/w/:token (withdraw tracking)', () => {
  test('GET and HEAD show the confirmation page and change nothing', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const token = await f.sign('withdraw')
    const get = await f.fetch(`/w/${token}`)
    expect(get.status).toBe(200)
    expectPageHeaders(get)
    const html = await get.text()
    expect(html).toContain('<html lang="en">')
    expect(html).toMatch(/<form method="post">[\s\S]*<button type="submit">Stop tracking<\/button>/)
    const head = await f.fetch(`/w/${token}`, { method: 'HEAD' })
    expect(head.status).toBe(200)
    expectPageHeaders(head)
    expect(await head.text()).toBe('')
    expect(await f.events('c_1')).toHaveLength(1)
    expect((await f.store.get('c_1'))!.opens.status).toBe('granted')
  })

  test('POST records withdraw for opens and clicks with evidence, shows the done page, calls onWithdraw', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const token = await f.sign('withdraw')
    const claims = await f.tokens.verify(token, { purpose: 'withdraw' })
    const res = await submit(f, `/w/${token}`)
    expect(res.status).toBe(200)
    expectPageHeaders(res)
    const html = await res.text()
    expect(html).toContain('Tracking stopped')
    const link = /<a href="(\/t\/p\/[^"]+)">/.exec(html)![1]!
    expect((await f.fetch(link.slice(2))).status).toBe(200) // the preference center it links to opens

    const events = await f.events('c_1')
    expect(events).toHaveLength(2)
    expect(events[1]).toMatchObject({
      type: 'withdraw',
      purposes: ['opens', 'clicks'],
      source: 'withdrawal-link',
      at: new Date(f.clock.ms),
      evidence: { tokenId: claims.tokenId, messageId: 'm_1', userAgent: HUMAN_UA, formServedAt: new Date(f.clock.ms - 2_500).toISOString() },
    })
    const record = (await f.store.get('c_1'))!
    expect([record.opens.status, record.clicks.status]).toEqual(['withdrawn', 'withdrawn'])
    expect(f.calls.onWithdraw).toEqual([{ contactId: 'c_1', messageId: 'm_1', tokenId: claims.tokenId, at: new Date(f.clock.ms), events: [events[1]] }])
  })

  test('the client IP from the server context is kept as evidence', async () => {
    const f = makeFixture()
    const token = await f.sign('withdraw')
    const page = await f.fetch(`/w/${token}`)
    f.clock.advance(3_000)
    await f.fetch(`/w/${token}`, formPost({ nonce: nonceOf(await page.text()) }, { ip: '198.51.100.23' }))
    expect((await f.events('c_1'))[0]!.evidence.ip).toBe('198.51.100.23')
  })

  test('repeating the POST (double submit, link opened again) is harmless: one event', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const token = await f.sign('withdraw')
    const page = await f.fetch(`/w/${token}`)
    const nonce = nonceOf(await page.text())
    f.clock.advance(2_500)
    const first = await f.fetch(`/w/${token}`, formPost({ nonce }))
    f.clock.advance(200)
    const second = await f.fetch(`/w/${token}`, formPost({ nonce }))
    const third = await submit(f, `/w/${token}`)
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200])
    expect((await f.events('c_1')).filter((e) => e.type === 'withdraw')).toHaveLength(1)
  })

  test('concurrent double submit of one form stores one event (the idempotency id is the token and the page view)', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const token = await f.sign('withdraw')
    const nonce = nonceOf(await (await f.fetch(`/w/${token}`)).text())
    f.clock.advance(2_500)
    const responses = await Promise.all([1, 2, 3].map(() => f.fetch(`/w/${token}`, formPost({ nonce }))))
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect((await f.events('c_1')).filter((e) => e.type === 'withdraw')).toHaveLength(1)
  })

  test('a hook that throws is logged; the event stays recorded and the visitor gets the done page', async () => {
    const f = makeFixture({ hooks: { onWithdraw: () => { throw new Error('crm down') } } })
    const res = await submit(f, `/w/${await f.sign('withdraw')}`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Tracking stopped')
    expect((await f.events('c_1')).map((e) => e.type)).toEqual(['withdraw'])
    expect(f.logs.map((l) => l.message)).toEqual([expect.stringMatching(/hook onWithdraw failed/)])
  })

  test('a store that is down gives a 503 page and records nothing', async () => {
    const store = createMemoryStore()
    const f = makeFixture({ store })
    const token = await f.sign('withdraw')
    const page = await f.fetch(`/w/${token}`)
    await store.close()
    f.clock.advance(2_500)
    const res = await f.fetch(`/w/${token}`, formPost({ nonce: nonceOf(await page.text()) }))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('60')
    expectPageHeaders(res)
    expect(await res.text()).toContain('Temporarily unavailable')
    expect(f.calls.onWithdraw).toBeUndefined()
  })

  test('a done page without a preference link when the instance only verifies', async () => {
    const f = makeFixture()
    const verifyOnly = { ...f.tokens, sign: () => Promise.reject(new Error('no signing key')) }
    const g = makeFixture({ tokens: verifyOnly as typeof f.tokens, store: f.store })
    const token = await f.sign('withdraw')
    const page = await g.fetch(`/w/${token}`)
    g.clock.advance(2_500)
    const res = await g.fetch(`/w/${token}`, formPost({ nonce: nonceOf(await page.text()) }))
    expect(res.status).toBe(200)
    expect(await res.text()).not.toContain('/t/p/')
    expect(g.logs.map((l) => l.level)).toEqual(['warn'])
  })
})

describe('/p/:token (preference center)', () => {
  function checked(html: string) {
    return Object.fromEntries(['opens', 'clicks', 'subscribed'].map((n) => [n, new RegExp(`name="${n}" value="on" checked`).test(html)]))
  }

  test('GET shows opens, clicks and subscription as they are now', async () => {
    const f = makeFixture()
    await f.grant('c_1', ['clicks'])
    const html = await (await f.fetch(`/p/${await f.sign('preferences')}`)).text()
    expect(checked(html)).toEqual({ opens: false, clicks: true, subscribed: true })
    expect(html).toMatch(/<fieldset>\s*<legend>Tracking<\/legend>/)
    expect(html).toMatch(/<label for="opens">/)

    // A legacy contact who never objected is tracked: the page says so.
    await f.store.record({ contactId: 'c_legacy', type: 'collect', at: new Date('2024-03-01'), source: 'import' })
    await f.store.record({ contactId: 'c_legacy', type: 'inform', at: new Date('2026-03-01'), source: 'import' })
    await f.store.record({ contactId: 'c_legacy', type: 'unsubscribe', at: new Date(f.clock.ms - 1000), source: 'api' })
    const legacy = await (await f.fetch(`/p/${await f.sign('preferences', { contactId: 'c_legacy' })}`)).text()
    expect(checked(legacy)).toEqual({ opens: true, clicks: true, subscribed: false })
    expect(await f.events('c_1')).toHaveLength(1)
  })

  test('POST records each change as its own event, and shows the saved state', async () => {
    const f = makeFixture({ noticeVersion: 'notice-2026-05' })
    await f.grant('c_1', ['opens'])
    const token = await f.sign('preferences')
    const res = await submit(f, `/p/${token}`, { clicks: 'on' })
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).toContain('role="status"')
    expect(checked(html)).toEqual({ opens: false, clicks: true, subscribed: false })
    const events = (await f.events('c_1')).slice(1)
    expect(events.map((e) => [e.type, e.purposes, e.source])).toEqual([
      ['withdraw', ['opens'], 'preference-center'],
      ['grant', ['clicks'], 'preference-center'],
      ['unsubscribe', ['opens', 'clicks'], 'preference-center'],
    ])
    expect(events[1]!.noticeVersion).toBe('notice-2026-05')
    expect(new Set(events.map((e) => e.id)).size).toBe(3)
    const record = (await f.store.get('c_1'))!
    expect([record.opens.status, record.clicks.status, record.subscribed]).toEqual(['withdrawn', 'granted', false])
    expect(f.calls.onPreferences).toEqual([expect.objectContaining({ contactId: 'c_1', events })])

    // Saving the same choices again changes nothing and records nothing.
    const again = await submit(f, `/p/${token}`, { clicks: 'on' })
    expect(again.status).toBe(200)
    expect(await f.events('c_1')).toHaveLength(4)
    // Resubscribing is one event.
    await submit(f, `/p/${token}`, { clicks: 'on', subscribed: 'on' })
    expect((await f.events('c_1')).at(-1)!.type).toBe('resubscribe')
  })

  test('a store that is down: GET and POST get the 503 page', async () => {
    const store = createMemoryStore()
    const f = makeFixture({ store })
    const token = await f.sign('preferences')
    const page = await f.fetch(`/p/${token}`)
    await store.close()
    expect((await f.fetch(`/p/${token}`)).status).toBe(503)
    f.clock.advance(2_500)
    expect((await f.fetch(`/p/${token}`, formPost({ nonce: nonceOf(await page.text()) }))).status).toBe(503)
  })
})

describe('/consent/:token (consent acceptance)', () => {
  test('GET explains with the notice version from the token; POST records grant from consent-email with it', async () => {
    const f = makeFixture({ noticeVersion: 'fallback' })
    const token = await f.sign('consent', { noticeVersion: 'notice-2026-04' })
    const page = await f.fetch(`/consent/${token}`)
    expectPageHeaders(page)
    const html = await page.text()
    expect(html).toContain('version notice-2026-04')
    f.clock.advance(2_500)
    const res = await f.fetch(`/consent/${token}`, formPost({ nonce: nonceOf(html) }))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('Thank you')
    const [event] = await f.events('c_1')
    expect(event).toMatchObject({ type: 'grant', purposes: ['opens', 'clicks'], source: 'consent-email', noticeVersion: 'notice-2026-04' })
    expect(f.calls.onConsent).toHaveLength(1)
    const record = (await f.store.get('c_1'))!
    expect([record.opens.status, record.clicks.status]).toEqual(['granted', 'granted'])
  })

  test('falls back to the handler notice version, and links the full notice', async () => {
    const f = makeFixture({ noticeVersion: 'notice-2026-09', pages: { noticeUrl: 'https://example.com/privacy#tracking' } })
    const token = await f.sign('consent')
    const html = await (await f.fetch(`/consent/${token}`)).text()
    expect(html).toContain('version notice-2026-09')
    expect(html).toContain('<a href="https://example.com/privacy#tracking">')
    f.clock.advance(2_500)
    await f.fetch(`/consent/${token}`, formPost({ nonce: nonceOf(html) }))
    expect((await f.events('c_1'))[0]!.noticeVersion).toBe('notice-2026-09')
  })
})

describe('/u/:token (unsubscribe, RFC 8058)', () => {
  test('one-click POST (urlencoded): 200, no redirect, no cookie, records unsubscribe, calls onUnsubscribe', async () => {
    const f = makeFixture()
    const token = await f.sign('unsubscribe')
    // As a mailbox provider sends it: no prior GET, no nonce, no cookie, a server user agent.
    const res = await f.fetch(`/u/${token}`, formPost({ 'List-Unsubscribe': 'One-Click' }, { headers: { 'user-agent': 'Google-List-Unsubscribe' } }))
    expect(res.status).toBe(200)
    expect(res.headers.get('location')).toBeNull()
    expect(res.headers.get('set-cookie')).toBeNull()
    const [event] = await f.events('c_1')
    expect(event).toMatchObject({ type: 'unsubscribe', source: 'withdrawal-link', evidence: { method: 'rfc8058-one-click', messageId: 'm_1' } })
    expect((await f.store.get('c_1'))!.subscribed).toBe(false)
    expect(f.calls.onUnsubscribe).toHaveLength(1)
    // A retry is harmless.
    expect((await f.fetch(`/u/${token}`, formPost({ 'List-Unsubscribe': 'One-Click' }))).status).toBe(200)
    expect(await f.events('c_1')).toHaveLength(1)
  })

  test('one-click POST as multipart/form-data', async () => {
    const f = makeFixture()
    const body = new FormData()
    body.set('List-Unsubscribe', 'One-Click')
    const res = await f.fetch(`/u/${await f.sign('unsubscribe')}`, { method: 'POST', body })
    expect(res.status).toBe(200)
    expect((await f.events('c_1')).map((e) => e.type)).toEqual(['unsubscribe'])
  })

  test('GET shows a confirmation page; its form goes through the anti-scanner gate', async () => {
    const f = makeFixture()
    const token = await f.sign('unsubscribe')
    const page = await f.fetch(`/u/${token}`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Unsubscribe?')
    expect(await f.events()).toHaveLength(0)
    expect((await f.fetch(`/u/${token}`, formPost({}))).status).toBe(400)
    expect((await f.fetch(`/u/${token}`, formPost({ 'List-Unsubscribe': 'Yes' }))).status).toBe(400)
    f.clock.advance(2_500)
    const res = await f.fetch(`/u/${token}`, formPost({ nonce: nonceOf(html) }))
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('You are unsubscribed')
    expect((await f.events('c_1')).map((e) => [e.type, e.evidence.method])).toEqual([['unsubscribe', 'page']])
  })
})
