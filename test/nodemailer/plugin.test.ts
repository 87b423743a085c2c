// The compile plugin end to end: a real Nodemailer SMTP transport with the
// plugin, a real SMTP server on loopback, and mailparser on what arrived.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import nodemailer, { type Transporter } from 'nodemailer'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { consentOutcome, consentTracking, ConsentPluginError, SendSkippedError, sendWithConsent, type ConsentOutcome } from '../../src/nodemailer/index.js'
import type { ConsentStore } from '../../src/store/types.js'
import { TokenError } from '../../src/tokens/index.js'
import {
  BASE,
  ESP_OFF,
  espTracking,
  expectNoTracker,
  header,
  hrefs,
  now,
  ourTokens,
  parse,
  PROMO_HTML,
  PROMO_TEXT,
  RECEIPT_HTML,
  seededStore,
  tokens,
} from './helpers.js'
import { startCaptureServer, type CaptureServer } from './smtp.js'

let smtp: CaptureServer
let store: ConsentStore

beforeAll(async () => {
  smtp = await startCaptureServer()
  store = await seededStore()
})
afterAll(async () => {
  await smtp.close()
})

function transporter(options: Partial<Parameters<typeof consentTracking>[0]> = {}) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true })
  const plugin = consentTracking({ store, tokens, baseUrl: BASE, now, ...options })
  t.use('compile', plugin)
  return { t, plugin }
}

/** Sends and returns what the SMTP server received for it. */
async function sendAndReceive(t: Transporter, mail: Record<string, unknown>) {
  const before = smtp.messages.length
  const info = await sendWithConsent(t, { from: 'news@shop.example.com', to: 'ada@example.org', subject: 'Autumn sale', ...mail })
  const [received] = (await smtp.waitFor(before + 1)).slice(before)
  return { info, received: received!, parsed: await parse(received!.raw) }
}

const promo = { html: PROMO_HTML, text: PROMO_TEXT }
const shopLinks = hrefs(PROMO_HTML).filter((h) => h.startsWith('https://shop.example.com/') && !h.endsWith('/preferences'))

describe('a consented contact', () => {
  test('gets the pixel, wrapped links and a withdrawal link whose token verifies, in html and text', async () => {
    const { t } = transporter()
    const { info, parsed } = await sendAndReceive(t, { ...promo, consent: { contactId: 'c_optin', category: 'marketing', messageId: 'm_autumn' } })
    expect(info.consentTracking).toMatchObject({ status: 'tracked', contactId: 'c_optin', messageId: 'm_autumn', recipients: 1 })
    expect(info.consentTracking?.decision).toMatchObject({ send: true, opens: true, clicks: true, basis: 'consent' })
    const html = parsed.html as string

    const [pixel, ...morePixels] = ourTokens(html, 'o')
    expect(morePixels).toEqual([])
    await expect(tokens.verify(pixel!, { purpose: 'open' })).resolves.toMatchObject({ contactId: 'c_optin', messageId: 'm_autumn' })
    // The ESP's own pixel is gone.
    expect(html).not.toContain('ct.sendgrid.net')
    expect(info.consentTracking?.removed.map((r) => r.kind)).toContain('pixel')

    // Every shop link now goes through our click route, bound to its original target.
    const links = hrefs(html)
    for (const target of shopLinks) {
      const wrapped = links.find((h) => h.startsWith(`${BASE}/c/`) && new URL(h).searchParams.get('u') === target)
      expect(wrapped, target).toBeDefined()
      const url = new URL(wrapped!)
      const claims = await tokens.verify(url.pathname.split('/').pop()!, { purpose: 'click' })
      expect(claims.contactId).toBe('c_optin')
      expect(tokens.isBoundTarget(claims, target, url.searchParams.get('h') ?? undefined)).toBe(true)
    }
    expect(links).toContain('mailto:help@shop.example.com')

    const [withdraw] = ourTokens(html, 'w')
    await expect(tokens.verify(withdraw!, { purpose: 'withdraw' })).resolves.toMatchObject({ contactId: 'c_optin', messageId: 'm_autumn' })
    await expect(tokens.verify(withdraw!, { purpose: 'open' })).rejects.toBeInstanceOf(TokenError)

    // Text part: its links stay plain, and it carries the withdrawal URL too.
    const text = parsed.text as string
    expect(text).not.toContain(`${BASE}/c/`)
    for (const target of ['https://shop.example.com/sale?utm_source=newsletter', 'https://shop.example.com/products/coat']) expect(text).toContain(target)
    const [textWithdraw] = ourTokens(text, 'w')
    await expect(tokens.verify(textWithdraw!, { purpose: 'withdraw' })).resolves.toMatchObject({ contactId: 'c_optin' })

    // We track ourselves, so the ESPs are told not to.
    expect(espTracking(parsed)).toEqual(ESP_OFF)
  })

  test('a legacy contact informed before the end of the transition is tracked on that basis', async () => {
    const { t } = transporter()
    const { info, parsed } = await sendAndReceive(t, { ...promo, consent: { contactId: 'c_legacy', category: 'marketing' } })
    expect(info.consentTracking).toMatchObject({ status: 'tracked', decision: { basis: 'legacy-no-objection' } })
    expect(ourTokens(parsed.html as string, 'o')).toHaveLength(1)
  })
})

describe('contacts without consent', () => {
  for (const [label, contactId, reason] of [
    ['withdrawn', 'c_withdrawn', 'opens:withdrawn'],
    ['never answered (collected under opt-in)', 'c_new', 'opens:opt-in-required'],
    ['unknown to the store', 'c_nobody', 'unknown-contact'],
  ] as const) {
    test(`${label}: no tracker at all, ESP tracking off, text part unchanged`, async () => {
      const { t } = transporter()
      const { info, parsed } = await sendAndReceive(t, { ...promo, consent: { contactId, category: 'marketing' } })
      expect(info.consentTracking).toMatchObject({ status: 'untracked', contactId })
      expect(info.consentTracking?.fallback).toBeUndefined()
      expect(info.consentTracking?.decision?.reasons).toContain(reason)
      const html = parsed.html as string
      expectNoTracker(html)
      expect(hrefs(html).filter((h) => h.startsWith('https://shop.example.com/'))).toEqual(hrefs(PROMO_HTML).filter((h) => h.startsWith('https://shop.example.com/')))
      expect(espTracking(parsed)).toEqual(ESP_OFF)
      expect(parsed.text).toBe(PROMO_TEXT)
    })
  }
})

describe('transactional mail', () => {
  test('arrives with its HTML byte-identical to the same send without the plugin, and its text untouched', async () => {
    const plain = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true })
    const mail = { from: 'billing@shop.example.com', to: 'ada@example.org', subject: 'Your invoice', html: RECEIPT_HTML, text: 'Invoice attached.\n' }
    const before = smtp.messages.length
    await plain.sendMail(mail)
    const { info, parsed } = await sendAndReceive(transporter().t, { ...mail, consent: { contactId: 'c_optin', category: 'transactional' } })
    const reference = await parse(smtp.messages[before]!.raw)
    expect(info.consentTracking).toMatchObject({ status: 'untracked', decision: { basis: 'exempt', reasons: ['transactional-exempt'] } })
    expect(parsed.html).toBe(reference.html)
    expect(parsed.html).toBe(RECEIPT_HTML)
    expect(parsed.text).toBe('Invoice attached.\n')
    // Exempt mail carries no tracking switches either: it is left alone.
    expect(header(parsed, 'X-PM-TrackOpens')).toBeUndefined()
  })

  test('is sent untouched even when the store is down', async () => {
    const broken = await seededStore()
    await broken.close()
    const { t } = transporter({ store: broken })
    const { info, parsed } = await sendAndReceive(t, { html: RECEIPT_HTML, consent: { contactId: 'c_optin', category: 'transactional' } })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', decision: { basis: 'exempt' } })
    expect(info.consentTracking?.fallback).toBeUndefined()
    expect(parsed.html).toBe(RECEIPT_HTML)
  })
})

describe('what is never wrapped or lost', () => {
  test('attachments (Buffer, path, stream, inline cid), alternatives and custom headers survive a tracked rewrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etc-nm-'))
    const pdf = Buffer.from('%PDF-1.4\n% not really a pdf, but bytes that must arrive intact \x00\x01\x02\xff\n')
    const csvPath = join(dir, 'orders.csv')
    writeFileSync(csvPath, 'id,total\n1,42.00\n')
    const logo = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex')
    const html = PROMO_HTML.replace('</h1>', '</h1><img src="cid:logo@shop" alt="Shop" width="120" height="40">')
    const { info, parsed } = await sendAndReceive(transporter().t, {
      html,
      text: PROMO_TEXT,
      consent: { contactId: 'c_optin', category: 'marketing' },
      headers: { 'X-Campaign': 'autumn-2026', 'X-Entity-Ref-ID': 'ref-123' },
      attachments: [
        { filename: 'invoice.pdf', content: pdf },
        { path: csvPath },
        { filename: 'notes.txt', content: Readable.from([Buffer.from('streamed '), Buffer.from('attachment')]) },
        { filename: 'logo.png', content: logo, cid: 'logo@shop' },
      ],
      alternatives: [{ contentType: 'text/x-web-markdown', content: '# Autumn sale\n' }],
    })
    expect(info.consentTracking?.status).toBe('tracked')
    const byName = new Map(parsed.attachments.map((a) => [a.filename, a]))
    expect(byName.get('invoice.pdf')?.content.equals(pdf)).toBe(true)
    expect(byName.get('orders.csv')?.content.toString()).toBe('id,total\n1,42.00\n')
    expect(byName.get('notes.txt')?.content.toString()).toBe('streamed attachment')
    expect(byName.get('logo.png')?.content.equals(logo)).toBe(true)
    expect(byName.get('logo.png')?.cid).toBe('logo@shop')
    // The inline image reference is left as it was (cid:, not wrapped, not stripped).
    expect(parsed.html).toContain('src="cid:logo@shop"')
    const markdown = parsed.attachments.find((a) => a.contentType === 'text/x-web-markdown')
    // MIME text goes out with CRLF line ends, with or without the plugin.
    expect(markdown?.content.toString()).toBe('# Autumn sale\r\n')
    expect(header(parsed, 'X-Campaign')).toBe('autumn-2026')
    expect(header(parsed, 'X-Entity-Ref-ID')).toBe('ref-123')
  })

  test('a headers object reused across sends is never modified, and no links leak from one message to the next', async () => {
    const { t } = transporter({ unsubscribe: true })
    const headers = Object.freeze({ 'X-Campaign': 'autumn-2026' })
    const first = await sendAndReceive(t, { ...promo, headers, consent: { contactId: 'c_optin', category: 'marketing' } })
    const second = await sendAndReceive(t, { ...promo, headers, consent: { contactId: 'c_withdrawn', category: 'marketing' } })
    expect(headers).toEqual({ 'X-Campaign': 'autumn-2026' })
    const unsubscribe = (m: typeof first) => ourTokens(header(m.parsed, 'List-Unsubscribe')!, 'u')[0]!
    await expect(tokens.verify(unsubscribe(first), { purpose: 'unsubscribe' })).resolves.toMatchObject({ contactId: 'c_optin' })
    await expect(tokens.verify(unsubscribe(second), { purpose: 'unsubscribe' })).resolves.toMatchObject({ contactId: 'c_withdrawn' })
    expect(header(second.parsed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
    expect(header(second.parsed, 'X-Campaign')).toBe('autumn-2026')
  })

  test('the JSON tracking switches go out as plain JSON, not as RFC 2047 encoded words', async () => {
    const { received, parsed } = await sendAndReceive(transporter().t, {
      ...promo,
      headers: { 'X-SMTPAPI': JSON.stringify({ category: ['autumn'] }) },
      consent: { contactId: 'c_withdrawn', category: 'marketing' },
    })
    const raw = received.raw.toString('latin1')
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'))
    expect(head).toMatch(/^X-SMTPAPI:/im)
    expect(head).not.toContain('=?')
    // The caller's own settings are kept beside the switches.
    expect(JSON.parse(header(parsed, 'X-SMTPAPI')!)).toEqual({
      category: ['autumn'],
      filters: { clicktrack: { settings: { enable: 0, enable_text: 0 } }, opentrack: { settings: { enable: 0 } } },
    })
  })

  test("Nodemailer's own list.unsubscribe is replaced by ours, with a warning, so only one List-Unsubscribe goes out", async () => {
    const { info, received } = await sendAndReceive(transporter({ unsubscribe: true }).t, {
      ...promo,
      list: { unsubscribe: 'https://shop.example.com/unsubscribe', id: 'news.shop.example.com' },
      consent: { contactId: 'c_optin', category: 'marketing' },
    })
    const raw = received.raw.toString('latin1')
    expect(raw.match(/^List-Unsubscribe:/gim)).toHaveLength(1)
    expect(raw).toMatch(/^List-ID:/im)
    expect(info.consentTracking?.warnings).toContain('list-unsubscribe-replaced')
  })
})

describe('content in every form Nodemailer accepts', () => {
  test('html from a stream, text from a file path, both rewritten', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'etc-nm-'))
    const textPath = join(dir, 'promo.txt')
    writeFileSync(textPath, PROMO_TEXT)
    const { info, parsed } = await sendAndReceive(transporter().t, {
      html: Readable.from([Buffer.from(PROMO_HTML.slice(0, 500)), Buffer.from(PROMO_HTML.slice(500))]),
      text: { path: textPath },
      consent: { contactId: 'c_optin', category: 'marketing' },
    })
    expect(info.consentTracking?.status).toBe('tracked')
    expect(ourTokens(parsed.html as string, 'o')).toHaveLength(1)
    expect(ourTokens(parsed.text as string, 'w')).toHaveLength(1)
  })

  test('html as a Buffer and text as base64 content', async () => {
    const { parsed } = await sendAndReceive(transporter().t, {
      html: Buffer.from(PROMO_HTML),
      text: { content: Buffer.from(PROMO_TEXT).toString('base64'), encoding: 'base64' },
      consent: { contactId: 'c_withdrawn', category: 'marketing' },
    })
    expectNoTracker(parsed.html as string)
    expect(parsed.text).toBe(PROMO_TEXT)
  })

  test("a file the transporter may not read fails the send as it would without the plugin", async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, disableFileAccess: true })
    t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now }))
    await expect(
      t.sendMail({ from: 'a@shop.example.com', to: 'ada@example.org', html: { path: '/etc/hostname' }, consent: { contactId: 'c_optin' } } as never),
    ).rejects.toMatchObject({ code: 'EFILEACCESS' })
  })

  test('an Apple Watch part gets the untracked rewrite; an AMP part of an untracked message carries no tracker', async () => {
    const amp = `<!doctype html><html ⚡4email data-css-strict><head><meta charset="utf-8"><script async src="https://cdn.ampproject.org/v0.js"></script><style amp4email-boilerplate>body{visibility:hidden}</style></head><body><p>Sale: <a href="https://shop.example.com/sale">now</a></p><amp-img src="https://u1234.ct.sendgrid.net/wf/open?upn=abc" width="1" height="1"></amp-img></body></html>`
    const { parsed, received } = await sendAndReceive(transporter().t, {
      ...promo,
      amp,
      watchHtml: PROMO_HTML,
      consent: { contactId: 'c_withdrawn', category: 'marketing' },
    })
    expectNoTracker(parsed.html as string)
    const raw = received.raw.toString('latin1')
    expect(raw).not.toContain('ct.sendgrid.net')
    expect(raw).not.toContain(`${BASE}/o/`)
  })
})

describe('fail closed', () => {
  test('a message to more than one recipient is sent untracked to all of them', async () => {
    const before = smtp.messages.length
    const info = await sendWithConsent(transporter().t, {
      from: 'news@shop.example.com',
      to: 'ada@example.org, "Doe, John" <john@example.org>',
      cc: [{ name: 'Eve', address: 'eve@example.org' }],
      subject: 'Autumn sale',
      ...promo,
      consent: { contactId: 'c_optin', category: 'marketing' },
    })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'multiple-recipients', recipients: 3 })
    const [received] = (await smtp.waitFor(before + 1)).slice(before)
    expect(received!.rcptTo.sort()).toEqual(['ada@example.org', 'eve@example.org', 'john@example.org'])
    const parsed = await parse(received!.raw)
    expectNoTracker(parsed.html as string)
    expect(espTracking(parsed)).toEqual(ESP_OFF)
  })

  test('a hidden bcc recipient counts too', async () => {
    const { info, parsed } = await sendAndReceive(transporter().t, { ...promo, bcc: 'audit@shop.example.com', consent: { contactId: 'c_optin', category: 'marketing' } })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'multiple-recipients', recipients: 2 })
    expectNoTracker(parsed.html as string)
  })

  test('a message without a consent field is sent untracked as the default category', async () => {
    const { info, parsed } = await sendAndReceive(transporter().t, { ...promo })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'missing-consent', category: 'marketing' })
    expectNoTracker(parsed.html as string)
    expect(espTracking(parsed)).toEqual(ESP_OFF)
  })

  test('with defaultCategory transactional, a message without consent passes untouched', async () => {
    const { info, parsed } = await sendAndReceive(transporter({ defaultCategory: 'transactional' }).t, { html: RECEIPT_HTML })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'missing-consent', category: 'transactional' })
    expect(parsed.html).toBe(RECEIPT_HTML)
  })

  test('an invalid consent field (an email address for contactId, an unknown category, a Message-ID header for messageId) is sent untracked', async () => {
    const { t } = transporter()
    for (const consent of [
      { contactId: 'ada@example.org', category: 'marketing' },
      { contactId: 'c_optin', category: 'newsletter' },
      { contactId: 'c_optin', messageId: 'not an id' },
      { contactId: 'c_optin', messageId: '<abc@mail.example.com>' },
      'c_optin',
    ]) {
      const { info, parsed } = await sendAndReceive(t, { ...promo, consent })
      expect(info.consentTracking?.status).toBe('untracked')
      expect(info.consentTracking?.fallback).toBe('invalid-consent')
      expectNoTracker(parsed.html as string)
    }
  })

  test('a store that throws lets the mail through untracked, with the error in the outcome', async () => {
    const closed = await seededStore()
    await closed.close()
    const { info, parsed } = await sendAndReceive(transporter({ store: closed }).t, { ...promo, consent: { contactId: 'c_optin', category: 'marketing' } })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'store-error', error: { code: 'closed' } })
    expectNoTracker(parsed.html as string)
    expect(espTracking(parsed)).toEqual(ESP_OFF)
  })

  test('a store that never answers lets the mail through untracked within the timeout', async () => {
    const hanging: Pick<ConsentStore, 'get'> = { get: () => new Promise(() => {}) }
    const started = performance.now()
    const { info, parsed } = await sendAndReceive(transporter({ store: hanging, lookupTimeoutMs: 250 }).t, {
      ...promo,
      consent: { contactId: 'c_optin', category: 'marketing' },
    })
    const elapsed = performance.now() - started
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'store-timeout' })
    expect(elapsed).toBeGreaterThanOrEqual(240)
    expect(elapsed).toBeLessThan(3000)
    expectNoTracker(parsed.html as string)
  })

  test('a consent record the caller holds is used without asking the store', async () => {
    const closed = await seededStore()
    const record = await closed.get('c_optin')
    await closed.close()
    const { info, parsed } = await sendAndReceive(transporter({ store: closed }).t, { ...promo, consent: { record, category: 'marketing' } })
    expect(info.consentTracking).toMatchObject({ status: 'tracked', contactId: 'c_optin' })
    expect(ourTokens(parsed.html as string, 'w')).toHaveLength(1)
  })

  test('a malformed record the caller holds is sent untracked', async () => {
    const { info, parsed } = await sendAndReceive(transporter().t, {
      ...promo,
      consent: { record: { contactId: 'c_optin', opens: { status: 'yes please' }, clicks: { status: 'granted' } }, category: 'marketing' },
    })
    expect(info.consentTracking?.status).toBe('untracked')
    expectNoTracker(parsed.html as string)
  })
})

describe('a message the policy says must not go out', () => {
  test('a consent request inside its cooldown fails with SendSkippedError, and nothing is sent', async () => {
    const decisions: ConsentOutcome[] = []
    const { t, plugin } = transporter({ onDecision: (o) => decisions.push(o) })
    const events: ConsentOutcome[] = []
    plugin.on('decision', (o) => events.push(o))
    const before = smtp.messages.length
    const consent = { contactId: 'c_asked', category: 'consent-request' as const }
    const error = await t.sendMail({ from: 'news@shop.example.com', to: 'ada@example.org', subject: 'May we?', html: PROMO_HTML, consent } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SendSkippedError)
    expect(error).toMatchObject({ code: 'send-skipped', outcome: { status: 'skipped', contactId: 'c_asked', decision: { send: false, reasons: ['request-cooldown'] } } })
    expect(decisions.map((d) => d.status)).toEqual(['skipped'])
    expect(events).toEqual(decisions)
    expect(consentOutcome(consent)?.status).toBe('skipped')
    // Give a wrongly sent message time to arrive, then check none did.
    await new Promise((r) => setTimeout(r, 200))
    expect(smtp.messages.length).toBe(before)
  })

  test('an unsubscribed contact gets no marketing mail (send-skipped)', async () => {
    await expect(
      sendWithConsent(transporter().t, { from: 'a@shop.example.com', to: 'ada@example.org', ...promo, consent: { contactId: 'c_unsubscribed', category: 'marketing' } }),
    ).rejects.toMatchObject({ code: 'send-skipped', outcome: { decision: { reasons: ['unsubscribed'] } } })
  })

  test('a consent request outside any cooldown is sent with its consent link and no pixel', async () => {
    const html = PROMO_HTML.replace('</h1>', '</h1><p><a href="#" data-tracking="consent">Yes, you may measure opens and clicks</a></p>')
    const { info, parsed } = await sendAndReceive(transporter().t, { html, consent: { contactId: 'c_new', category: 'consent-request' } })
    expect(info.consentTracking?.status).toBe('untracked')
    expect(ourTokens(parsed.html as string, 'o')).toEqual([])
    const [consentToken] = ourTokens(parsed.html as string, 'consent')
    await expect(tokens.verify(consentToken!, { purpose: 'consent' })).resolves.toMatchObject({ contactId: 'c_new' })
  })
})

describe('reporting', () => {
  test('onDecision and the decision event see every message; a throwing listener never breaks a send', async () => {
    const seen: string[] = []
    const { t, plugin } = transporter({
      onDecision: () => {
        throw new Error('listener bug')
      },
    })
    plugin.on('decision', (o) => seen.push(`${o.contactId}:${o.status}`))
    const warnings: string[] = []
    const onWarning = (w: Error) => warnings.push(w.message)
    process.on('warning', onWarning)
    try {
      await sendAndReceive(t, { ...promo, consent: { contactId: 'c_optin' } })
      await sendAndReceive(t, { ...promo, consent: { contactId: 'c_withdrawn' } })
      await new Promise((r) => setImmediate(r))
    } finally {
      process.off('warning', onWarning)
    }
    expect(seen).toEqual(['c_optin:tracked', 'c_withdrawn:untracked'])
    expect(warnings.filter((w) => w.includes('listener bug'))).toHaveLength(2)
  })

  test('sendWithConsent keeps the transport’s info type and refuses unknown options at compile time', async () => {
    const { t } = transporter()
    const info = await sendWithConsent(t, { from: 'a@shop.example.com', to: 'ada@example.org', ...promo, consent: { contactId: 'c_optin' } })
    const accepted: (string | object)[] | undefined = info.accepted
    expect(accepted).toEqual(['ada@example.org'])
    expect(info.consentTracking?.status).toBe('tracked')
    // @ts-expect-error a misspelt Nodemailer option is caught by the type
    await sendWithConsent(t, { from: 'a@shop.example.com', to: 'ada@example.org', txet: 'x', consent: { contactId: 'c_withdrawn' } })
  })

  test('the plain transporter.sendMail path: the outcome is found from the consent object', async () => {
    const consent = { contactId: 'c_optin', category: 'marketing' as const }
    const { t } = transporter()
    const info = (await t.sendMail({ from: 'a@shop.example.com', to: 'ada@example.org', ...promo, consent } as never)) as { accepted: string[] }
    expect(info.accepted).toEqual(['ada@example.org'])
    expect(consentOutcome(consent)).toMatchObject({ status: 'tracked', contactId: 'c_optin' })
  })
})

describe('options', () => {
  test('bad options fail at setup with a typed error', () => {
    const bad = [
      {},
      { store, tokens, baseUrl: 'not a url' },
      { store, tokens, baseUrl: 'ftp://t.example.com' },
      { store: {}, tokens, baseUrl: BASE },
      { store, tokens: {}, baseUrl: BASE },
      { store, tokens, baseUrl: BASE, lookupTimeoutMs: 0 },
      { store, tokens, baseUrl: BASE, defaultCategory: 'newsletter' },
      { store, tokens, baseUrl: BASE, templateCache: -1 },
      { store, tokens, baseUrl: BASE, policy: { id: 'x' } },
      { store, tokens, baseUrl: BASE, providers: ['hotmail'] },
    ]
    for (const options of bad) {
      expect(() => consentTracking(options as never), JSON.stringify(options)).toThrow(ConsentPluginError)
      try {
        consentTracking(options as never)
      } catch (err) {
        expect((err as ConsentPluginError).code).toBe('invalid-options')
      }
    }
  })
})
