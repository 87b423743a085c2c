// The Nodemailer plugin's cost per message: sendMail() of the 40 KB reference
// email through Nodemailer's streamTransport (compile + MIME stream into a
// buffer, no network) with and without the plugin, in the same run. Two
// baselines: the plain send of the original email, and the plain send of the
// very message the plugin produces (rendered beforehand), which isolates the
// plugin's own work from Nodemailer encoding a longer message (a tracked
// email carries a signed URL per link). Also: one-off emails (no template
// reuse), the cache turned off, exempt mail, and sendCampaign() per recipient.
import { randomBytes } from 'node:crypto'
import nodemailer from 'nodemailer'
import { compile, createTokens } from '../dist/index.js'
import { createMemoryStore } from '../dist/store/index.js'
import { consentTracking, sendCampaign } from '../dist/nodemailer/index.js'
import { referenceEmail } from './fixtures/reference-email.mjs'
import { checkTarget, measure, printTable } from './lib.mjs'

const BASE = 'https://t.example.com/mail'
const NOW = new Date('2026-11-20T10:00:00Z')
const CONTACTS = 1000

/** A text part with the reference email's first links, as a sender would write it. */
function textOf(html) {
  const urls = [...html.matchAll(/href="(https:[^"]+)"/g)].slice(0, 10).map((m) => m[1].replace(/&amp;/g, '&'))
  return `Autumn collection\n\n${urls.map((u, i) => `Link ${i + 1}: ${u}`).join('\n')}\n`
}

async function seededStore() {
  const store = createMemoryStore()
  const at = new Date('2026-05-02T09:00:00Z')
  for (let i = 0; i < CONTACTS; i++) {
    await store.record({ contactId: `c_in_${i}`, type: 'collect', at, source: 'form' })
    await store.record({ contactId: `c_in_${i}`, type: 'grant', purposes: ['opens', 'clicks'], at, source: 'form' })
    await store.record({ contactId: `c_out_${i}`, type: 'collect', at, source: 'form' })
    await store.record({ contactId: `c_out_${i}`, type: 'deny', purposes: ['opens', 'clicks'], at, source: 'form' })
  }
  return store
}

export default async function nodemailerBench() {
  const html = referenceEmail()
  const text = textOf(html)
  const bytes = Buffer.byteLength(html) + Buffer.byteLength(text)
  const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
  const store = await seededStore()
  const now = () => NOW
  const stream = () => nodemailer.createTransport({ streamTransport: true, buffer: true })
  const withPlugin = (options = {}) => {
    const t = stream()
    t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now, unsubscribe: true, ...options }))
    return t
  }
  const plain = stream()
  const plugged = withPlugin()
  const uncached = withPlugin({ templateCache: 0 })
  const base = { from: 'news@shop.example.com', subject: 'Autumn collection', html, text }
  let n = 0
  const contact = (kind) => `c_${kind}_${n++ % CONTACTS}`
  const send = (t, extra) => async () => {
    const info = await t.sendMail({ ...base, to: `contact-${n}@example.org`, ...extra() })
    if (info.message.length < bytes) throw new Error('message shorter than its content')
  }

  const compiled = compile({ html, text }, { tokens, baseUrl: BASE, unsubscribe: true })
  const tracked = await compiled.render(await store.get('c_in_0'), 'marketing', { now: NOW })
  const untracked = await compiled.render(await store.get('c_out_0'), 'marketing', { now: NOW })
  console.log(`\nhtml bytes: original ${Buffer.byteLength(html)}, tracked ${Buffer.byteLength(tracked.html)}, untracked ${Buffer.byteLength(untracked.html)}`)
  const asRendered = (r) => () => ({ html: r.html, text: r.text, headers: r.headers })

  const rows = [
    await measure('nodemailer alone (plain send)', send(plain, () => ({})), { bytesPerOp: bytes }),
    await measure('nodemailer alone, tracked output pre-rendered', send(plain, asRendered(tracked)), { bytesPerOp: bytes }),
    await measure('nodemailer alone, untracked output pre-rendered', send(plain, asRendered(untracked)), { bytesPerOp: bytes }),
    await measure('plugin: consented contact (tracked)', send(plugged, () => ({ consent: { contactId: contact('in'), messageId: `m_${n}` } })), { bytesPerOp: bytes }),
    await measure('plugin: refused contact (untracked)', send(plugged, () => ({ consent: { contactId: contact('out') } })), { bytesPerOp: bytes }),
    await measure('plugin: transactional (exempt)', send(plugged, () => ({ consent: { contactId: contact('in'), category: 'transactional' } })), { bytesPerOp: bytes }),
    await measure('plugin: tracked, one-off email each time', send(plugged, () => ({ html: `${html}<!-- ${n} -->`, consent: { contactId: contact('in') } })), { bytesPerOp: bytes }),
    await measure('plugin: tracked, template cache off', send(uncached, () => ({ consent: { contactId: contact('in') } })), { bytesPerOp: bytes }),
  ]
  const batch = Array.from({ length: 200 }, (_, i) => ({ contactId: i % 2 ? `c_in_${i}` : `c_out_${i}`, to: `contact-${i}@example.org` }))
  rows.push(
    await measure(
      'sendCampaign, per recipient (half tracked)',
      async () => {
        const summary = await sendCampaign(plain, compiled, batch, { store, category: 'marketing', mail: { from: base.from, subject: base.subject }, now, concurrency: 4 })
        return summary.sent
      },
      { bytesPerOp: bytes },
    ),
  )
  printTable('Nodemailer streamTransport, 40 KB reference email', rows, { baseline: 'nodemailer alone (plain send)', unit: 'emails/s' })
  const [original, trackedBase, untrackedBase, trackedPlugin, untrackedPlugin] = rows
  const ms = (row) => 1000 / row.perSec
  console.log(`\nplugin's own work per tracked message: ${(ms(trackedPlugin) - ms(trackedBase)).toFixed(2)} ms over sending the same message without it (${(ms(trackedPlugin) / ms(trackedBase) * 100 - 100).toFixed(1)}%)`)
  console.log(`plugin's own work per untracked message: ${(ms(untrackedPlugin) - ms(untrackedBase)).toFixed(2)} ms (${(ms(untrackedPlugin) / ms(untrackedBase) * 100 - 100).toFixed(1)}%)`)
  console.log(`tracked message vs the original plain send: ${(ms(trackedPlugin) - ms(original)).toFixed(2)} ms more (${(ms(trackedPlugin) / ms(original) * 100 - 100).toFixed(1)}%), most of it Nodemailer encoding the longer message`)
  // Target: the plugin adds at most 30% to the plain compile-and-stream of the same message (rate >= 1/1.3).
  const okTracked = checkTarget('tracked: plugin send vs plain send of the same message (rate ratio)', trackedPlugin.perSec / trackedBase.perSec, 1 / 1.3)
  const okUntracked = checkTarget('untracked: plugin send vs plain send of the same message (rate ratio)', untrackedPlugin.perSec / untrackedBase.perSec, 1 / 1.3)
  return okTracked && okUntracked
}
