// The Nodemailer plugin's cost per message: sendMail() of the 40 KB / 50-link
// reference email through Nodemailer's streamTransport (compile + MIME stream
// into a buffer, no network) with and without the plugin, in the same run.
//
// Baselines: the plain send of the original email, and the plain send of the
// very message the plugin produces (rendered beforehand). The second isolates
// the plugin's own work from Nodemailer encoding a longer message: a tracked
// email carries a signed URL on each of its 50 links. Cases run in rounds,
// interleaved with a rotating start, and keep their median; besides emails/s (wall clock), CPU time
// per message (process.cpuUsage, all threads) is reported because it holds
// steady on a shared machine. Also: one-off emails (no template reuse), the
// template cache off, and sendCampaign() per recipient.
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
const ROUNDS = 12
const PER_ROUND = 60

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

/** Wall-clock rate and CPU milliseconds per call of `count` sequential calls. */
async function timed(fn, count) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  for (let i = 0; i < count; i++) await fn()
  const wall = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { perSec: (count / wall) * 1000, cpuMs: (used.user + used.system) / 1000 / count }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

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
  // Headers as the plugin writes them (printable ASCII verbatim), so both sends produce the same bytes.
  const verbatim = (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, /^[ -~]*$/.test(v) ? { prepared: true, foldLines: true, value: v } : v]))
  const asRendered = (r) => {
    const headers = verbatim(r.headers)
    return () => ({ html: r.html, text: r.text, headers })
  }

  const cases = [
    ['nodemailer alone (plain send)', send(plain, () => ({}))],
    ['nodemailer alone, tracked message pre-rendered', send(plain, asRendered(tracked))],
    ['nodemailer alone, untracked message pre-rendered', send(plain, asRendered(untracked))],
    ['plugin: consented contact (tracked)', send(plugged, () => ({ consent: { contactId: contact('in'), messageId: `m_${n}` } }))],
    ['plugin: refused contact (untracked)', send(plugged, () => ({ consent: { contactId: contact('out') } }))],
    ['plugin: transactional (exempt)', send(plugged, () => ({ consent: { contactId: contact('in'), category: 'transactional' } }))],
  ]
  for (const [, fn] of cases) for (let i = 0; i < 10; i++) await fn()
  const samples = cases.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    globalThis.gc?.()
    // Each round starts at another case, so no case always runs first.
    for (let k = 0; k < cases.length; k++) {
      const i = (round + k) % cases.length
      samples[i].push(await timed(cases[i][1], PER_ROUND))
    }
  }
  const rows = cases.map(([name], i) => ({
    name,
    perSec: median(samples[i].map((s) => s.perSec)),
    cpuMs: median(samples[i].map((s) => s.cpuMs)),
    mbPerSec: (median(samples[i].map((s) => s.perSec)) * bytes) / 1e6,
  }))
  rows.push(
    await measure('plugin: tracked, one-off email each time', send(plugged, () => ({ html: `${html}<!-- ${n} -->`, consent: { contactId: contact('in') } })), { ms: 3000, bytesPerOp: bytes }),
    await measure('plugin: tracked, template cache off', send(withPlugin({ templateCache: 0 }), () => ({ consent: { contactId: contact('in') } })), { ms: 3000, bytesPerOp: bytes }),
  )
  const batch = Array.from({ length: 200 }, (_, i) => ({ contactId: i % 2 ? `c_in_${i}` : `c_out_${i}`, to: `contact-${i}@example.org` }))
  rows.push(
    await measure(
      'sendCampaign, per recipient (half tracked)',
      async () => (await sendCampaign(plain, compiled, batch, { store, category: 'marketing', mail: { from: base.from, subject: base.subject }, now, concurrency: 4 })).sent,
      { bytesPerOp: bytes },
    ),
  )
  printTable('Nodemailer streamTransport, 40 KB reference email (emails/s: wall clock, median of rounds)', rows, { baseline: 'nodemailer alone (plain send)', unit: 'emails/s' })

  const [original, trackedBase, untrackedBase, trackedPlugin, untrackedPlugin, exemptPlugin] = rows
  console.log('\n## CPU time per message (all threads, median of rounds)\n')
  console.log('| case | CPU ms / message | vs the same message without the plugin |')
  console.log('|---|---|---|')
  for (const [row, ref] of [[original], [trackedBase], [untrackedBase], [trackedPlugin, trackedBase], [untrackedPlugin, untrackedBase], [exemptPlugin, original]])
    console.log(`| ${row.name} | ${row.cpuMs.toFixed(2)} | ${ref ? `${(row.cpuMs / ref.cpuMs).toFixed(2)}x` : ''} |`)
  console.log(`\ntracked send with the plugin vs the plain send of the original email: ${(trackedPlugin.cpuMs / original.cpuMs).toFixed(2)}x CPU (the tracked message is longer; Nodemailer encodes every extra byte)`)

  // Target: the plugin adds at most 30% to Nodemailer's plain compile-and-stream of the same message.
  const targets = [
    checkTarget('tracked: CPU of the plain send of that message / CPU with the plugin', trackedBase.cpuMs / trackedPlugin.cpuMs, 1 / 1.3),
    checkTarget('untracked: CPU of the plain send of that message / CPU with the plugin', untrackedBase.cpuMs / untrackedPlugin.cpuMs, 1 / 1.3),
    checkTarget('exempt: CPU of the plain send / CPU with the plugin', original.cpuMs / exemptPlugin.cpuMs, 1 / 1.3),
  ]
  return targets.every(Boolean)
}
