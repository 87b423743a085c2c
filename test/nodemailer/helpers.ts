// Shared pieces of the Nodemailer tests: keys, a seeded memory store with one
// contact per consent situation, sample emails, and checks on what arrived.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { simpleParser, type ParsedMail } from 'mailparser'
import { expect } from 'vitest'
import { createTokens } from '../../src/tokens/index.js'
import { createMemoryStore } from '../../src/store/index.js'
import type { ConsentEventInput, ConsentStore } from '../../src/store/types.js'

export const BASE = 'https://t.example.com/mail'
/** Decisions are made on this day: after the CNIL transition, before anyone's cooldown ends. */
export const NOW = new Date('2026-11-20T10:00:00Z')
export const now = () => NOW
export const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })

const at = (day: string) => new Date(`${day}T09:00:00Z`)

/** One contact per consent situation, as events in the accountability file. */
export const CONTACT_EVENTS: Record<string, Omit<ConsentEventInput, 'contactId' | 'source'>[]> = {
  c_optin: [
    { type: 'collect', at: at('2026-05-02') },
    { type: 'grant', purposes: ['opens', 'clicks'], at: at('2026-05-02') },
  ],
  c_withdrawn: [
    { type: 'collect', at: at('2026-05-02') },
    { type: 'grant', purposes: ['opens', 'clicks'], at: at('2026-05-02') },
    { type: 'withdraw', purposes: ['opens', 'clicks'], at: at('2026-10-03') },
  ],
  c_legacy: [
    { type: 'collect', at: at('2024-03-10') },
    { type: 'inform', at: at('2026-05-20') },
  ],
  c_new: [{ type: 'collect', at: at('2026-09-14') }],
  c_asked: [
    { type: 'collect', at: at('2026-09-14') },
    { type: 'request', at: at('2026-10-01') },
  ],
  c_unsubscribed: [
    { type: 'collect', at: at('2026-05-02') },
    { type: 'grant', purposes: ['opens', 'clicks'], at: at('2026-05-02') },
    { type: 'unsubscribe', at: at('2026-08-01') },
  ],
}

export async function seededStore(): Promise<ConsentStore> {
  const store = createMemoryStore()
  for (const [contactId, events] of Object.entries(CONTACT_EVENTS))
    for (const e of events) await store.record({ ...e, contactId, source: 'form' })
  return store
}

const corpus = (path: string) => readFileSync(new URL(`../fixtures/corpus/${path}`, import.meta.url), 'utf8')

/** A marketing email from the corpus (3 links, VML button in a conditional comment). */
export const NEWSLETTER_HTML = corpus('emailmonday__Cerberus/cerberus-hybrid.html')
/** A transactional email from the corpus. */
export const RECEIPT_HTML = corpus('mailgun__transactional-email-templates/billing.html')

/** A small marketing email with an ESP's open pixel and tracked link already in it. */
export const PROMO_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Autumn sale</title></head>
<body>
<div style="display:none">Up to 40% off this week</div>
<table role="presentation"><tr><td>
<h1>Autumn sale</h1>
<p>Dear reader, our <a href="https://shop.example.com/sale?utm_source=newsletter">autumn sale</a> starts today.</p>
<p><a href="https://shop.example.com/products/coat">See the coat</a> — <a href="mailto:help@shop.example.com">write to us</a></p>
<img src="https://shop.example.com/img/banner.png" width="600" height="200" alt="Banner">
<img src="https://u1234.ct.sendgrid.net/wf/open?upn=abcdef123" width="1" height="1" alt="" style="display:none">
</td></tr></table>
<p>Manage your <a href="https://shop.example.com/preferences">subscription</a>.</p>
</body></html>
`
export const PROMO_TEXT = `Autumn sale

Our autumn sale starts today: https://shop.example.com/sale?utm_source=newsletter
See the coat: https://shop.example.com/products/coat
`

export function parse(raw: Buffer | string): Promise<ParsedMail> {
  return simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true })
}

export function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())
  return line ? line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n(?=[ \t])/g, '').trim() : undefined
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Tokens of our personal URLs of one purpose segment in a text (html attributes are decoded for `&amp;`). */
export function ourTokens(text: string, segment: 'o' | 'c' | 'w' | 'p' | 'u' | 'consent'): string[] {
  const re = new RegExp(`${escapeRe(BASE)}/${segment}/([A-Za-z0-9_.-]+)`, 'g')
  return [...text.matchAll(re)].map((m) => m[1]!)
}

/** The href values of every <a> in an HTML string. */
export function hrefs(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*?\shref\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]!.replace(/&amp;/g, '&'))
}

/** Everything that shows some tracker of ours or of the ESP in the message. */
export function expectNoTracker(html: string): void {
  expect(html).not.toContain(`${BASE}/o/`)
  expect(html).not.toContain(`${BASE}/c/`)
  expect(html).not.toContain(`${BASE}/w/`)
  expect(html).not.toMatch(/ct\.sendgrid\.net\/wf\/open/)
}

/** The ESP tracking switches of a message, read back from the headers that arrived. */
export function espTracking(mail: ParsedMail): Record<string, unknown> {
  const smtpapi = header(mail, 'X-SMTPAPI')
  return {
    postmarkOpens: header(mail, 'X-PM-TrackOpens'),
    postmarkLinks: header(mail, 'X-PM-TrackLinks'),
    mailgun: header(mail, 'X-Mailgun-Track'),
    mailjetOpen: header(mail, 'X-Mailjet-TrackOpen'),
    sendgrid: smtpapi ? JSON.parse(smtpapi).filters : undefined,
  }
}

export const ESP_OFF = {
  postmarkOpens: 'false',
  postmarkLinks: 'None',
  mailgun: 'no',
  mailjetOpen: '0',
  sendgrid: { clicktrack: { settings: { enable: 0, enable_text: 0 } }, opentrack: { settings: { enable: 0 } } },
}
