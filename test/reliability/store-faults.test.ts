// A consent store that fails (throws, rejects, hangs, returns corrupt rows,
// loses an acknowledgement), wrapped around a real SQLite store:
// - mail through the Nodemailer plugin (real SMTP server) and sendCampaign
//   still goes out, untracked, within the configured timeout;
// - the endpoints answer as specified: the GIF, the redirect, or a 503 page;
// - nothing is reported as recorded that the store does not hold.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHandler, type ConsentChangeReport } from '../../src/http/index.js'
import { consentTracking, sendCampaign, sendWithConsent, type ConsentOutcome } from '../../src/nodemailer/index.js'
import { createSqliteStore } from '../../src/store/sqlite.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import { compile } from '../../src/transform.js'
import { expectNoTracker, parse, PROMO_HTML, PROMO_TEXT } from '../nodemailer/helpers.js'
import { startCaptureServer, type CaptureServer } from '../nodemailer/smtp.js'
import { faultyStore, READ_FAULTS, type Fault } from './faulty-store.js'

const BASE_URL = 'https://t.example.com/mail'
const NOW = new Date('2026-11-20T10:00:00Z')
const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
const TIMEOUT_MS = 300
const HUMAN_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'
const GIF = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]

let dir: string
let real: ConsentStore
let smtp: CaptureServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'etc-rel-faults-'))
  real = createSqliteStore({ database: join(dir, 'consent.db') })
  const at = new Date('2026-05-02T09:00:00Z')
  await real.recordMany!(
    Array.from({ length: 40 }, (_, i) => ({ contactId: `c_${i}`, type: 'grant' as const, purposes: ['opens' as const, 'clicks' as const], at, source: 'form' as const })),
  )
  smtp = await startCaptureServer()
})
afterAll(async () => {
  await smtp.close()
  await real.close()
  rmSync(dir, { recursive: true, force: true })
})

const smtpTransport = () => nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true })

describe('the Nodemailer plugin on a failing store', () => {
  test('control: on the healthy store the same message is tracked', async () => {
    const t = smtpTransport()
    t.use('compile', consentTracking({ store: real, tokens, baseUrl: BASE_URL, now: () => NOW, lookupTimeoutMs: TIMEOUT_MS }))
    const info = await sendWithConsent(t, { from: 'news@shop.example.com', to: 'ada@example.org', subject: 'Sale', html: PROMO_HTML, text: PROMO_TEXT, consent: { contactId: 'c_1' } })
    expect(info.consentTracking?.status).toBe('tracked')
  })

  for (const fault of READ_FAULTS) {
    test(`${fault}: the message is sent, untracked, within the timeout`, async () => {
      const store = faultyStore(real, fault)
      const t = smtpTransport()
      t.use('compile', consentTracking({ store, tokens, baseUrl: BASE_URL, now: () => NOW, lookupTimeoutMs: TIMEOUT_MS }))
      const arrived = smtp.messages.length
      const started = performance.now()
      const info = await sendWithConsent(t, { from: 'news@shop.example.com', to: 'ada@example.org', subject: 'Sale', html: PROMO_HTML, text: PROMO_TEXT, consent: { contactId: 'c_2' } })
      const elapsed = performance.now() - started
      expect(store.failures).toBeGreaterThan(0)
      expect(info.consentTracking?.status).toBe('untracked')
      // A hang costs the lookup timeout and no more (plus the SMTP round trip on a loaded machine).
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 3000)
      const [received] = (await smtp.waitFor(arrived + 1)).slice(arrived)
      const mail = await parse(received!.raw)
      expectNoTracker(mail.html as string)
      expect(mail.text).not.toContain(`${BASE_URL}/`)
      expect(mail.headers.get('x-pm-trackopens')).toBe('false')
    })
  }

  test('sendCampaign on each failing store: every recipient is sent untracked, none fails', async () => {
    const compiled = compile({ html: PROMO_HTML, text: PROMO_TEXT }, { tokens, baseUrl: BASE_URL })
    for (const fault of READ_FAULTS) {
      const store = faultyStore(real, fault)
      const outcomes: ConsentOutcome[] = []
      const messages: string[] = []
      const t = nodemailer.createTransport({ streamTransport: true, buffer: true })
      const started = performance.now()
      const summary = await sendCampaign(t, compiled, Array.from({ length: 30 }, (_, i) => ({ contactId: `c_${i}`, to: `r${i}@example.org` })), {
        store,
        category: 'marketing',
        now: () => NOW,
        batchSize: 10,
        lookupTimeoutMs: TIMEOUT_MS,
        mail: { from: 'news@shop.example.com', subject: 'Sale' },
        // Listener errors are swallowed by the campaign: keep what arrived and check it afterwards.
        onMessage: (r) => {
          outcomes.push(r.outcome)
          if (r.info) messages.push(String((r.info as { message: Buffer }).message))
        },
      })
      for (const m of messages) expect(m, fault).not.toContain(`${BASE_URL}/`)
      expect(messages).toHaveLength(30)
      const elapsed = performance.now() - started
      expect(summary, fault).toMatchObject({ sent: 30, failed: 0, tracked: 0, untracked: 30 })
      expect(outcomes.every((o) => o.status === 'untracked'), fault).toBe(true)
      // Three batches: at most three lookup timeouts (batches overlap), plus rendering.
      expect(elapsed, fault).toBeLessThan(3 * TIMEOUT_MS + 5000)
    }
  })
})

describe('the endpoints on a failing store', () => {
  const reports: ConsentChangeReport[] = []
  const opens: unknown[] = []
  const clicks: unknown[] = []
  const make = (store: ConsentStore, clock: { ms: number }) =>
    createHandler({
      tokens,
      store,
      basePath: '/t',
      now: () => new Date(clock.ms),
      storeTimeoutMs: TIMEOUT_MS,
      logger: { error: () => {}, warn: () => {} },
      hooks: {
        onOpen: (r) => void opens.push(r),
        onClick: (r) => void clicks.push(r),
        onWithdraw: (r) => void reports.push(r),
        onPreferences: (r) => void reports.push(r),
        onUnsubscribe: (r) => void reports.push(r),
        onConsent: (r) => void reports.push(r),
      },
    })

  const get = (handler: ReturnType<typeof createHandler>, path: string, init: RequestInit = {}) =>
    handler(new Request(`https://mail.example.com/t${path}`, { ...init, headers: { 'user-agent': HUMAN_UA, ...(init.headers as Record<string, string>) } }))

  for (const fault of [...READ_FAULTS, 'ack-lost'] as Fault[]) {
    test(`${fault}: the GIF, the redirect, or a 503 page, in bounded time; no change claimed that is not stored`, async () => {
      const store = faultyStore(real, fault)
      const clock = { ms: Date.now() }
      const handler = make(store, clock)
      const contact = `c_${READ_FAULTS.indexOf(fault) + 10}`
      const sign = (purpose: 'open' | 'click' | 'withdraw' | 'preferences' | 'unsubscribe' | 'consent') => tokens.sign({ purpose, contactId: contact, messageId: 'm_f', linkScope: 's' })
      const timed = async (work: () => Promise<Response>) => {
        const started = performance.now()
        const res = await work()
        expect(performance.now() - started, fault).toBeLessThan(TIMEOUT_MS + 2000)
        return res
      }
      opens.length = 0
      clicks.length = 0
      reports.length = 0
      const storedBefore = new Set<string>()
      for await (const e of real.export()) storedBefore.add(e.id)

      // The pixel: always the GIF; an open is reported only on a record that really allows it.
      const pixel = await timed(() => get(handler, '/o/not-a-token'))
      expect(pixel.headers.get('content-type')).toBe('image/gif')
      const open = await timed(async () => get(handler, `/o/${await sign('open')}`))
      expect(open.status).toBe(200)
      expect([...new Uint8Array(await open.arrayBuffer()).subarray(0, 6)]).toEqual(GIF)
      if (fault !== 'ack-lost') expect(opens, 'no open reported on a record that cannot be trusted').toEqual([])

      // The click: the visitor still gets the bound target; the click is reported only on a trustworthy record.
      const target = 'https://shop.example.com/sale'
      const click = await timed(async () => get(handler, `/c/${await sign('click')}?u=${encodeURIComponent(target)}&h=${tokens.linkMac('s', target)}`))
      expect([click.status, click.headers.get('location')]).toEqual([302, target])
      if (fault !== 'ack-lost') expect(clicks).toEqual([])

      // Pages that read the store answer 503 with Retry-After; the ones that do not read it still work.
      const prefs = await timed(async () => get(handler, `/p/${await sign('preferences')}`))
      if (fault === 'ack-lost') expect(prefs.status).toBe(200)
      else {
        expect(prefs.status, fault).toBe(503)
        expect(prefs.headers.get('retry-after')).toBe('60')
        expect(prefs.headers.get('content-type')).toBe('text/html; charset=utf-8')
      }

      // A confirmed withdrawal: 503 and nothing claimed, or (acknowledgement lost) 503 although stored, and a retry finds it.
      const withdraw = await sign('withdraw')
      const page = await (await timed(() => get(handler, `/w/${withdraw}`))).text()
      const nonce = /name="nonce" value="([^"]+)"/.exec(page)?.[1]
      expect(nonce).toBeDefined()
      clock.ms += 3000
      const post = () => get(handler, `/w/${withdraw}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `nonce=${encodeURIComponent(nonce!)}` })
      const done = await timed(post)
      expect(done.status, fault).toBe(503)
      expect(await done.text()).not.toMatch(/stopped|withdrawn|arrêt/i)
      expect(reports, 'no change reported as recorded').toEqual([])
      const added: ConsentEvent[] = []
      for await (const e of real.export()) if (!storedBefore.has(e.id)) added.push(e)
      if (fault === 'ack-lost') {
        // The write happened though its acknowledgement was lost: the visitor retries and gets the done page, one event in all.
        expect(added.map((e) => e.type)).toEqual(['withdraw'])
        const recovered = make(real, clock)
        const retry = await recovered(new Request(`https://mail.example.com/t/w/${withdraw}`, { method: 'POST', headers: { 'user-agent': HUMAN_UA, 'content-type': 'application/x-www-form-urlencoded' }, body: `nonce=${encodeURIComponent(nonce!)}` }))
        expect(retry.status).toBe(200)
        const after: ConsentEvent[] = []
        for await (const e of real.export()) if (!storedBefore.has(e.id)) after.push(e)
        expect(after.map((e) => e.type)).toEqual(['withdraw'])
      } else expect(added).toEqual([])
      expect((await real.verify()).ok).toBe(true)
    })
  }
})
