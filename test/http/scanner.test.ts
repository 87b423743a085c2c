// Link scanners fetch every link of a message (GET and HEAD), run its
// JavaScript, and some press buttons at once. None of that may change consent.
import { describe, expect, test } from 'vitest'
import { formPost, makeFixture, nonceOf } from './setup.js'

const SCANNERS = [
  // Safe Links-like detonation: a Microsoft network address and a plain browser agent, or Office's discovery agents.
  { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', ip: '40.94.31.8' },
  { 'user-agent': 'Microsoft Office Existence Discovery', ip: '52.101.4.2' },
  { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36' },
  { 'user-agent': 'Mozilla/5.0 (compatible; Barracuda Sentinel (EE))' },
  { 'user-agent': 'Proofpoint URL Defense' },
  { 'user-agent': 'python-requests/2.32.3' },
  { 'user-agent': 'curl/8.5.0' },
  { 'user-agent': '' },
]
const PAGES = [
  ['w', 'withdraw'],
  ['p', 'preferences'],
  ['consent', 'consent'],
  ['u', 'unsubscribe'],
] as const

describe('scanner simulation', () => {
  test('GET and HEAD from scanners, then an immediate POST without a nonce, record nothing', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    const before = await f.events()
    for (const [segment, purpose] of PAGES) {
      const path = `/${segment}/${await f.sign(purpose)}`
      for (const { ip, ...headers } of SCANNERS) {
        const init = { headers, ...(ip ? { ip } : {}) }
        expect((await f.fetch(path, { ...init, method: 'GET' })).status).toBe(200)
        expect((await f.fetch(path, { ...init, method: 'HEAD' })).status).toBe(200)
        const post = await f.fetch(path, formPost({ opens: 'on' }, init))
        expect(post.status).toBeGreaterThanOrEqual(400)
        expect(post.status).toBeLessThan(500)
      }
    }
    expect(await f.events()).toEqual(before)
    expect(f.calls).toEqual({})
  })

  test('a scanner that presses the button at once, even with the nonce, records nothing', async () => {
    const f = makeFixture()
    for (const [segment, purpose] of PAGES) {
      const path = `/${segment}/${await f.sign(purpose)}`
      const html = await (await f.fetch(path)).text()
      f.clock.advance(150)
      const res = await f.fetch(path, formPost({ nonce: nonceOf(html) }))
      expect(res.status).toBe(429)
    }
    expect(await f.events()).toEqual([])
  })

  test('a known scanner agent is refused even after the delay, with the nonce (403)', async () => {
    const f = makeFixture()
    for (const { ip, ...headers } of SCANNERS.filter((s) => !s.ip)) {
      const path = `/w/${await f.sign('withdraw')}`
      const html = await (await f.fetch(path, { headers })).text()
      f.clock.advance(5_000)
      const res = await f.fetch(path, formPost({ nonce: nonceOf(html) }, { headers, ...(ip ? { ip } : {}) }))
      expect(res.status, headers['user-agent']).toBe(403)
      expect(await res.text()).toContain('Automated request refused')
    }
    expect(await f.events()).toEqual([])
  })

  test('the pixel and click routes report scanner fetches as machine ones', async () => {
    const f = makeFixture()
    await f.grant('c_1')
    await f.fetch(`/o/${await f.sign('open')}`, { headers: { 'user-agent': SCANNERS[1]!['user-agent'] }, ip: SCANNERS[1]!.ip })
    expect(f.calls.onOpen).toEqual([expect.objectContaining({ machine: true, machineKind: 'scanner' })])
  })

  test('extra machine signatures are tried first', async () => {
    const f = makeFixture({ machineSignatures: [{ kind: 'scanner', userAgent: /AcmeGateway/ }, { kind: 'scanner', ipRanges: ['192.0.2.0/24'] }] })
    const path = `/w/${await f.sign('withdraw')}`
    const nonce = nonceOf(await (await f.fetch(path)).text())
    f.clock.advance(3_000)
    expect((await f.fetch(path, formPost({ nonce }, { headers: { 'user-agent': 'AcmeGateway/2' } }))).status).toBe(403)
    expect((await f.fetch(path, formPost({ nonce }, { ip: '192.0.2.77' }))).status).toBe(403)
    expect((await f.fetch(path, formPost({ nonce }, { ip: '198.51.100.1' }))).status).toBe(200)
  })
})
