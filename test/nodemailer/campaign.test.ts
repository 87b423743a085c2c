// sendCampaign end to end: a template compiled once, 1,000 recipients with
// mixed consent from a real store, sent through a pooled Nodemailer SMTP
// transport into a real SMTP server; every message that arrived is checked.
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { compile } from '../../src/transform.js'
import { consentTracking, sendCampaign, ConsentPluginError, type CampaignProgress, type CampaignRecipient } from '../../src/nodemailer/index.js'
import { createMemoryStore } from '../../src/store/index.js'
import type { ConsentStore } from '../../src/store/types.js'
import { BASE, CONTACT_EVENTS, ESP_OFF, espTracking, expectNoTracker, header, NEWSLETTER_HTML, now, ourTokens, parse, PROMO_TEXT, tokens } from './helpers.js'
import { startCaptureServer, type CaptureServer } from './smtp.js'

/** Kinds of contact in the campaign, with what the policy must make of each on NOW. */
const KINDS = {
  c_optin: 'tracked',
  c_legacy: 'tracked',
  c_withdrawn: 'untracked',
  c_new: 'untracked',
  c_unknown: 'untracked',
  c_unsubscribed: 'skipped',
} as const
type Kind = keyof typeof KINDS
const KIND_NAMES = Object.keys(KINDS) as Kind[]

const kindOf = (i: number): Kind => KIND_NAMES[(i * 7) % KIND_NAMES.length]!
const contactOf = (i: number) => `c_${i}`
const addressOf = (i: number) => `contact-${i}@example.org`

async function campaignStore(count: number): Promise<ConsentStore> {
  const store = createMemoryStore()
  for (let i = 0; i < count; i++) {
    const kind = kindOf(i)
    if (kind === 'c_unknown') continue
    for (const e of CONTACT_EVENTS[kind]!) await store.record({ ...e, contactId: contactOf(i), source: 'import' })
  }
  return store
}

function recipients(count: number): CampaignRecipient[] {
  return Array.from({ length: count }, (_, i) => ({ contactId: contactOf(i), to: addressOf(i), messageId: `m_${i}` }))
}

const HTML = NEWSLETTER_HTML.replace('</body>', '<img src="https://u1234.ct.sendgrid.net/wf/open?upn=xyz" width="1" height="1" alt=""></body>')
const compiled = compile({ html: HTML, text: PROMO_TEXT }, { tokens, baseUrl: BASE, unsubscribe: true })

let smtp: CaptureServer
beforeAll(async () => {
  smtp = await startCaptureServer()
})
afterAll(() => smtp.close())

const pooled = () => nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, pool: true, maxConnections: 4, maxMessages: Infinity })

describe('sendCampaign', () => {
  test('1,000 recipients with mixed consent: every message checked', { timeout: 180_000 }, async () => {
    const COUNT = 1000
    const store = await campaignStore(COUNT)
    const transporter = pooled()
    // The plugin on the same transporter must leave campaign messages alone.
    transporter.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now }))
    const before = smtp.messages.length
    const progress: CampaignProgress[] = []
    const statuses = new Map<string, string>()
    const warnings = new Map<string, string[]>()
    const summary = await sendCampaign(transporter, compiled, recipients(COUNT), {
      store,
      category: 'marketing',
      mail: { from: 'news@shop.example.com', subject: 'Autumn news', headers: { 'X-Campaign': 'autumn-2026' } },
      batchSize: 128,
      concurrency: 4,
      now,
      onProgress: (p) => progress.push(p),
      onMessage: (r) => {
        statuses.set(r.recipient.contactId, r.outcome.status)
        warnings.set(r.recipient.contactId, r.outcome.warnings)
      },
    })
    transporter.close()

    const expected = { tracked: 0, untracked: 0, skipped: 0 }
    for (let i = 0; i < COUNT; i++) expected[KINDS[kindOf(i)]]++
    expect(summary).toMatchObject({ ...expected, done: COUNT, sent: COUNT - expected.skipped, failed: 0, aborted: false, fallbacks: {} })
    expect(progress).toHaveLength(COUNT)
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: COUNT }, (_, i) => i + 1))
    expect(progress.at(-1)).toEqual({ done: COUNT, tracked: expected.tracked, untracked: expected.untracked, skipped: expected.skipped, failed: 0 })

    const arrived = (await smtp.waitFor(before + summary.sent, 60_000)).slice(before)
    expect(arrived).toHaveLength(summary.sent)
    const byAddress = new Map(arrived.map((m) => [m.rcptTo.join(','), m]))
    expect(byAddress.size).toBe(summary.sent)

    for (let i = 0; i < COUNT; i++) {
      const expectedStatus = KINDS[kindOf(i)]
      expect(statuses.get(contactOf(i)), contactOf(i)).toBe(expectedStatus)
      const received = byAddress.get(addressOf(i))
      if (expectedStatus === 'skipped') {
        expect(received, `${contactOf(i)} must not be mailed`).toBeUndefined()
        continue
      }
      expect(received, `${contactOf(i)} was mailed`).toBeDefined()
      const parsed = await parse(received!.raw)
      const html = parsed.html as string
      expect(header(parsed, 'X-Campaign')).toBe('autumn-2026')
      expect(html).not.toContain('ct.sendgrid.net')
      // Every recipient, including one the store does not know, gets its own one-click unsubscribe link.
      const [unsubscribe] = ourTokens(header(parsed, 'List-Unsubscribe')!, 'u')
      expect((await tokens.verify(unsubscribe!, { purpose: 'unsubscribe' })).contactId).toBe(contactOf(i))
      expect(warnings.get(contactOf(i)) ?? []).not.toContain('list-unsubscribe-skipped:no-token')
      if (expectedStatus === 'tracked') {
        const [pixel, ...extra] = ourTokens(html, 'o')
        expect(extra).toEqual([])
        expect(await tokens.verify(pixel!, { purpose: 'open' })).toMatchObject({ contactId: contactOf(i), messageId: `m_${i}` })
        const [withdraw] = ourTokens(html, 'w')
        expect(await tokens.verify(withdraw!, { purpose: 'withdraw' })).toMatchObject({ contactId: contactOf(i), messageId: `m_${i}` })
        expect(ourTokens(parsed.text as string, 'w')).toEqual([withdraw])
        expect(ourTokens(html, 'c').length).toBeGreaterThan(0)
      } else {
        expectNoTracker(html)
        expect(parsed.text).toBe(PROMO_TEXT)
      }
      expect(espTracking(parsed)).toEqual(ESP_OFF)
    }
  })

  test('a store that fails sends every message untracked, counted under store-error', async () => {
    const store = await campaignStore(30)
    await store.close()
    const transporter = pooled()
    const before = smtp.messages.length
    const summary = await sendCampaign(transporter, compiled, recipients(30), { store, category: 'marketing', mail: { from: 'news@shop.example.com' }, batchSize: 8, now })
    transporter.close()
    expect(summary).toMatchObject({ sent: 30, tracked: 0, untracked: 30, skipped: 0, failed: 0, fallbacks: { 'store-error': 30 } })
    for (const m of (await smtp.waitFor(before + 30)).slice(before)) expectNoTracker((await parse(m.raw)).html as string)
  })

  test('a store that never answers sends untracked after lookupTimeoutMs per batch', async () => {
    const hanging: Pick<ConsentStore, 'getMany'> = { getMany: () => new Promise(() => {}) }
    const transporter = pooled()
    const started = performance.now()
    const summary = await sendCampaign(transporter, compiled, recipients(12), {
      store: hanging,
      category: 'marketing',
      mail: { from: 'news@shop.example.com' },
      batchSize: 5,
      lookupTimeoutMs: 150,
      now,
    })
    transporter.close()
    expect(summary).toMatchObject({ sent: 12, untracked: 12, fallbacks: { 'store-timeout': 12 } })
    // Three batches; the next batch's lookup runs while the current one sends.
    expect(performance.now() - started).toBeLessThan(5000)
  })

  test('a recipient with more than one address is sent untracked', async () => {
    const store = await campaignStore(4)
    const transporter = pooled()
    const list: CampaignRecipient[] = [{ contactId: 'c_0', to: 'contact-0@example.org', mail: { cc: 'boss@example.org' } }]
    const before = smtp.messages.length
    const summary = await sendCampaign(transporter, compiled, list, { store, category: 'marketing', mail: { from: 'news@shop.example.com' }, now })
    transporter.close()
    expect(kindOf(0)).toBe('c_optin')
    expect(summary).toMatchObject({ sent: 1, untracked: 1, fallbacks: { 'multiple-recipients': 1 } })
    const [m] = (await smtp.waitFor(before + 1)).slice(before)
    expect(m!.rcptTo.sort()).toEqual(['boss@example.org', 'contact-0@example.org'])
    expectNoTracker((await parse(m!.raw)).html as string)
  })

  test('a recipient with an address for contactId or a malformed messageId is sent untracked', async () => {
    const store = await campaignStore(4)
    const transporter = pooled()
    const list: CampaignRecipient[] = [
      { contactId: 'contact-0@example.org', to: 'contact-0@example.org' },
      { contactId: 'c_0', to: 'contact-0@example.org', messageId: '<m0@shop.example.com>' },
    ]
    const before = smtp.messages.length
    const summary = await sendCampaign(transporter, compiled, list, { store, category: 'marketing', mail: { from: 'news@shop.example.com' }, now })
    transporter.close()
    expect(summary).toMatchObject({ sent: 2, tracked: 0, untracked: 2, fallbacks: { 'invalid-consent': 2 } })
    for (const m of (await smtp.waitFor(before + 2)).slice(before)) expectNoTracker((await parse(m.raw)).html as string)
  })

  test('an abort signal stops the campaign; what was sent is counted', async () => {
    const store = await campaignStore(200)
    const transporter = pooled()
    const controller = new AbortController()
    const before = smtp.messages.length
    const summary = await sendCampaign(transporter, compiled, recipients(200), {
      store,
      category: 'marketing',
      mail: { from: 'news@shop.example.com' },
      batchSize: 20,
      concurrency: 2,
      now,
      onProgress: (p) => {
        if (p.done === 25) controller.abort()
      },
      signal: controller.signal,
    })
    transporter.close()
    expect(summary.aborted).toBe(true)
    expect(summary.done).toBeGreaterThanOrEqual(25)
    expect(summary.done).toBeLessThan(200)
    await new Promise((r) => setTimeout(r, 200))
    expect(smtp.messages.length - before).toBe(summary.sent)
  })

  test('a failing transport is counted per recipient, and the campaign goes on', async () => {
    const store = await campaignStore(6)
    // Nothing listens on port 9: every send fails to connect.
    const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: 9, secure: false, ignoreTLS: true, connectionTimeout: 2000 })
    const summary = await sendCampaign(transporter, compiled, recipients(6), { store, category: 'marketing', mail: { from: 'news@shop.example.com' }, now })
    const skipped = Array.from({ length: 6 }, (_, i) => kindOf(i)).filter((k) => KINDS[k] === 'skipped').length
    expect(summary).toMatchObject({ done: 6, sent: 0, skipped, failed: 6 - skipped })
    for (const failure of summary.failures) expect((failure.error as { code?: string }).code).toMatch(/^E(CONNECTION|SOCKET)$/)
    expect(summary.failures).toHaveLength(6 - skipped)
  })

  test('bad options fail before anything is sent', async () => {
    const store = createMemoryStore()
    const transporter = pooled()
    const base = { store, category: 'marketing' as const }
    for (const [c, o] of [
      [{}, base],
      [compiled, { ...base, store: {} }],
      [compiled, { ...base, category: 'newsletter' }],
      [compiled, { ...base, batchSize: 0 }],
      [compiled, { ...base, concurrency: 1.5 }],
      [compiled, { ...base, lookupTimeoutMs: -1 }],
    ] as const) {
      await expect(sendCampaign(transporter, c as never, [], o as never)).rejects.toBeInstanceOf(ConsentPluginError)
    }
    transporter.close()
  })
})
