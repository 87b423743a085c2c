// Part of `npm run demo`: a sample campaign sent through Nodemailer with the
// consent plugin into a loopback SMTP server, then each message as it arrived.
import { randomBytes } from 'node:crypto'
import { simpleParser } from 'mailparser'
import nodemailer from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { compile, createTokens } from 'email-tracking-consent'
import { consentTracking, sendCampaign, sendWithConsent } from 'email-tracking-consent/nodemailer'
import { createMemoryStore } from 'email-tracking-consent/store'

const at = (d) => new Date(`${d}T10:00:00Z`)
const now = at('2026-11-29')
const BASE = 'https://t.example.com/mail'

// The accountability file: each contact's consent events.
const store = createMemoryStore({ clock: () => now })
const events = {
  c_optin: [['collect', '2026-05-02'], ['grant', '2026-05-02']],
  c_legacy: [['collect', '2024-03-10'], ['inform', '2026-05-20']],
  c_objected: [['collect', '2024-03-10'], ['inform', '2026-05-20'], ['deny', '2026-06-01', ['opens']]],
  c_withdrawn: [['collect', '2026-05-02'], ['grant', '2026-05-02'], ['withdraw', '2026-10-03']],
  c_new: [['collect', '2026-09-14']],
  c_asked: [['collect', '2026-09-14'], ['request', '2026-10-01']],
}
for (const [contactId, list] of Object.entries(events))
  for (const [type, day, purposes] of list) await store.record({ contactId, type, at: at(day), source: 'form', ...(purposes ? { purposes } : {}) })

// A loopback SMTP server that keeps what it receives.
const received = []
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, done) {
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => (received.push({ to: session.envelope.rcptTo[0].address, raw: Buffer.concat(chunks) }), done()))
  },
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))

const tokens = createTokens({ keys: [{ kid: 'demo', secret: randomBytes(32) }] })
const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: server.server.address().port, ignoreTLS: true })
transporter.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now: () => now, unsubscribe: true, lookupTimeoutMs: 500 }))

const html = `<!doctype html><html><body>
<div style="display:none">Our autumn collection is here</div>
<h1>Autumn collection</h1>
<p><a href="https://shop.example.com/autumn">See the collection</a> or <a href="https://shop.example.com/coats?utm_source=news">the coats</a>.</p>
<img src="https://u1234.ct.sendgrid.net/wf/open?upn=abc" width="1" height="1" alt="">
</body></html>`
const text = 'Autumn collection\n\nSee the collection: https://shop.example.com/autumn\n'
const contacts = ['c_optin', 'c_legacy', 'c_objected', 'c_withdrawn', 'c_nobody', 'c_new', 'c_asked']
const address = (id) => `${id.slice(2)}@example.org`

function whatArrived(mail) {
  const h = mail.html || ''
  const count = (re) => (h.match(re) || []).length
  const head = (name) => mail.headerLines.find((l) => l.key === name.toLowerCase())?.line.split(':')[1]?.trim()
  return {
    pixel: count(new RegExp(`${BASE}/o/`, 'g')),
    'wrapped links': count(new RegExp(`${BASE}/c/`, 'g')),
    'withdraw link': count(new RegExp(`${BASE}/w/`, 'g')) > 0 ? 'yes' : 'no',
    'ESP pixel': h.includes('sendgrid.net') ? 'kept' : 'removed',
    'List-Unsubscribe': head('List-Unsubscribe') ? 'yes' : 'no',
    'X-PM-TrackOpens': head('X-PM-TrackOpens') ?? '-',
  }
}

// 1. One sendMail() per contact, with the plugin deciding.
const rows = []
for (const contactId of [...contacts, 'c_asked (consent request)', 'c_optin (transactional)']) {
  const [id, kind] = contactId.split(' ')
  const category = kind === '(consent' ? 'consent-request' : kind === '(transactional)' ? 'transactional' : 'marketing'
  const before = received.length
  try {
    const info = await sendWithConsent(transporter, { from: 'news@shop.example.com', to: address(id), subject: 'Autumn collection', html, text, consent: { contactId: id, category } })
    while (received.length === before) await new Promise((r) => setTimeout(r, 5))
    const o = info.consentTracking
    rows.push({ contact: contactId, category, sent: 'yes', status: o.status, basis: o.decision?.basis, reasons: o.decision?.reasons.join(' '), ...whatArrived(await simpleParser(received.at(-1).raw)) })
  } catch (err) {
    rows.push({ contact: contactId, category, sent: `no (${err.code})`, status: err.outcome?.status, basis: err.outcome?.decision?.basis, reasons: err.outcome?.decision?.reasons.join(' ') })
  }
}
console.log(`\nNodemailer with the consent plugin, into a loopback SMTP server (port ${server.server.address().port}):\n`)
console.table(rows)

// 2. The same list as a campaign: compiled once, consent fetched in batches.
const compiled = compile({ html, text }, { tokens, baseUrl: BASE, unsubscribe: true })
const summary = await sendCampaign(transporter, compiled, contacts.map((id) => ({ contactId: id, to: address(id) })), {
  store,
  category: 'marketing',
  mail: { from: 'news@shop.example.com', subject: 'Autumn collection' },
  now: () => now,
})
const { failures, ...counts } = summary
console.log('\nsendCampaign summary:', { ...counts, durationMs: Math.round(counts.durationMs) }, failures.length ? failures : '')

transporter.close()
await new Promise((resolve) => server.close(resolve))
