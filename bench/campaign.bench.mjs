// A campaign at scale: CAMPAIGN_RECIPIENTS (default 100,000) recipients with
// mixed consent stored in Postgres, sent with sendCampaign() through a
// Nodemailer streamTransport (buffer: false) that has the consentTracking
// plugin on it: the 40 KB / 50-link reference email compiled once, consent
// fetched in batches with getMany(), one render per recipient, every message
// streamed out and drained before its send resolves (as an SMTP transport
// resolves once the server has the message), 8 in flight.
//
// Consent, by contact number mod 4: 0 granted opens and clicks, 1 granted
// opens only (one in five of these unsubscribed: skipped), 2 denied, 3 not in
// the store. The counts of tracked, untracked and skipped messages must match.
//
// Reports emails/s (wall clock) and CPU per message, peak RSS (the process's
// maximum resident set) and the heap after a forced GC sampled 50 times during
// the run. Memory must stay bounded: nothing holds the messages, so the GC'd
// heap at the end of the run (and its peak after 10 %) stays within 8 MB of
// the heap at 10 %, whatever the recipient count.
//
// Needs Postgres: DATABASE_URL, or CI=true for postgres://postgres@127.0.0.1:5432/test;
// skipped otherwise. Seeds a fresh schema and drops it at the end.
import { randomBytes } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import nodemailer from 'nodemailer'
import { compile, createTokens } from '../dist/index.js'
import { consentTracking, sendCampaign } from '../dist/nodemailer/index.js'
import { referenceEmail } from './fixtures/reference-email.mjs'

const CI_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
const BASE = 'https://t.example.com/mail'
const NOW = new Date('2026-11-20T10:00:00Z')
const SAMPLES = 50
const SEED_CONTACTS_PER_CALL = 2000
const mb = (n) => (n / 1048576).toFixed(1)

/** A forced full GC: `--expose-gc` when given, else exposed at run time. */
function gcFunction() {
  if (typeof globalThis.gc === 'function') return globalThis.gc
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc')
}

/** The consent group of contact `i`: what its message must come out as. */
function groupOf(i) {
  const kind = i % 4
  if (kind === 1 && i % 20 === 1) return 'unsubscribed'
  return ['granted', 'opens-only', 'denied', 'unknown'][kind]
}

/** Writes every contact's consent with recordMany, SEED_CONTACTS_PER_CALL contacts per call. */
async function seed(store, count) {
  const at = new Date('2026-05-02T09:00:00Z')
  let events = 0
  for (let start = 0; start < count; start += SEED_CONTACTS_PER_CALL) {
    const batch = []
    for (let i = start; i < Math.min(count, start + SEED_CONTACTS_PER_CALL); i++) {
      const contactId = `c_${i}`
      const group = groupOf(i)
      if (group === 'granted') batch.push({ contactId, type: 'grant', purposes: ['opens', 'clicks'], at, source: 'form' })
      if (group === 'opens-only' || group === 'unsubscribed') batch.push({ contactId, type: 'grant', purposes: ['opens'], at, source: 'form' })
      if (group === 'unsubscribed') batch.push({ contactId, type: 'unsubscribe', at, source: 'preference-center' })
      if (group === 'denied') batch.push({ contactId, type: 'deny', purposes: ['opens', 'clicks'], at, source: 'form' })
    }
    await store.recordMany(batch)
    events += batch.length
  }
  return events
}

/** Reads a message stream to its end; resolves with its length in bytes. */
async function drain(stream) {
  let bytes = 0
  for await (const chunk of stream) bytes += chunk.length
  return bytes
}

async function* recipientsOf(count) {
  for (let i = 0; i < count; i++) yield { contactId: `c_${i}`, to: `contact-${i}@example.org`, messageId: `m_${i}` }
}

/**
 * Runs one campaign of `recipients` against a fresh schema. Returns the
 * figures and `problems` (empty when every check held).
 */
export async function runCampaign({ url, recipients, concurrency = 8, batchSize = 500 }) {
  const { createPostgresStore } = await import('../dist/store/postgres.js')
  const pg = (await import('pg')).default
  const gc = gcFunction()
  const schema = `etc_campaign_${process.pid}_${Date.now().toString(36)}`
  const store = createPostgresStore({ pool: url, schema, poolSize: 4 })
  try {
    const seedStart = performance.now()
    const events = await seed(store, recipients)
    const seedMs = performance.now() - seedStart

    const html = referenceEmail()
    const text = `Autumn collection\n\nShop: https://shop.example.com/autumn\n`
    const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
    const compiled = compile({ html, text }, { tokens, baseUrl: BASE, unsubscribe: true })
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: false })
    // The plugin stays on the transporter, as in production: the campaign's messages pass through it untouched.
    transport.use('compile', consentTracking({ store, tokens, baseUrl: BASE, unsubscribe: true, now: () => NOW }))
    let streamed = 0
    let inFlight = 0
    let maxInFlight = 0
    const sender = {
      async sendMail(mail) {
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        try {
          const info = await transport.sendMail(mail)
          const bytes = await drain(info.message)
          streamed += bytes
          return info
        } finally {
          inFlight--
        }
      },
    }

    // Per group, what each message came out as; a tracked message carries our links, an untracked one none.
    const seen = {}
    const wrong = []
    const onMessage = ({ recipient, outcome }) => {
      const group = groupOf(Number(recipient.contactId.slice(2)))
      const key = `${group}:${outcome.status}${outcome.fallback ? `:${outcome.fallback}` : ''}`
      seen[key] = (seen[key] ?? 0) + 1
    }
    const expected = { granted: 'tracked', 'opens-only': 'tracked', denied: 'untracked', unknown: 'untracked', unsubscribed: 'skipped' }

    const samples = []
    const every = Math.max(1, Math.floor(recipients / SAMPLES))
    const sample = (done) => {
      gc()
      const m = process.memoryUsage()
      samples.push({ done, heapUsed: m.heapUsed, rss: m.rss })
    }
    gc()
    const base = process.memoryUsage()
    const cpu = process.cpuUsage()
    const summary = await sendCampaign(sender, compiled, recipientsOf(recipients), {
      store,
      category: 'marketing',
      now: () => NOW,
      concurrency,
      batchSize,
      mail: { from: 'news@shop.example.com', subject: 'Autumn collection', headers: { 'X-Campaign': 'autumn' } },
      onMessage,
      onProgress: (p) => {
        if (p.done % every === 0) sample(p.done)
      },
    })
    const used = process.cpuUsage(cpu)
    sample(summary.done)
    const peakRss = process.resourceUsage().maxRSS * 1024

    for (const [key, n] of Object.entries(seen)) {
      const [group, status, fallback] = key.split(':')
      if (status !== expected[group] || fallback !== undefined) wrong.push(`${n} × ${group} came out ${status}${fallback ? ` (${fallback})` : ''}`)
    }
    const handled = summary.sent + summary.skipped
    const perSec = (summary.sent / summary.durationMs) * 1000
    const cpuMs = (used.user + used.system) / 1000 / Math.max(1, summary.done)
    const tenth = samples.find((s) => s.done >= recipients / 10) ?? samples[0]
    const later = samples.filter((s) => s.done >= tenth.done)
    const last = samples[samples.length - 1]
    const peakHeap = Math.max(...later.map((s) => s.heapUsed))
    const peakSampledRss = Math.max(...samples.map((s) => s.rss))

    console.log(`\n## sendCampaign: ${recipients.toLocaleString('en-US')} recipients, consent from Postgres (getMany, ${batchSize} per batch), ${concurrency} in flight, streamTransport drained\n`)
    console.log(`seeded ${events.toLocaleString('en-US')} events for ${recipients.toLocaleString('en-US')} contacts in ${(seedMs / 1000).toFixed(1)} s (recordMany, ${SEED_CONTACTS_PER_CALL} contacts per call)`)
    console.log(`template: reference email, ${Buffer.byteLength(html)} bytes of html, 50 links; ${(streamed / 1e9).toFixed(2)} GB of MIME streamed (${Math.round(streamed / Math.max(1, summary.sent)).toLocaleString('en-US')} bytes per message); at most ${maxInFlight} messages in flight`)
    console.log('')
    console.log('| figure | value |')
    console.log('|---|---|')
    console.log(`| sent (tracked / untracked) | ${summary.sent.toLocaleString('en-US')} (${summary.tracked.toLocaleString('en-US')} / ${summary.untracked.toLocaleString('en-US')}) |`)
    console.log(`| skipped (unsubscribed) / failed | ${summary.skipped.toLocaleString('en-US')} / ${summary.failed} |`)
    console.log(`| duration | ${(summary.durationMs / 1000).toFixed(1)} s |`)
    console.log(`| emails/s (wall clock) | ${perSec.toFixed(0)} |`)
    console.log(`| CPU per message (all threads) | ${cpuMs.toFixed(2)} ms |`)
    console.log(`| heap after GC: start / at 10 % / peak after 10 % / end | ${mb(base.heapUsed)} / ${mb(tenth.heapUsed)} / ${mb(peakHeap)} / ${mb(last.heapUsed)} MB |`)
    console.log(`| RSS: start / peak sampled / end / process peak (maxRSS) | ${mb(base.rss)} / ${mb(peakSampledRss)} / ${mb(last.rss)} / ${mb(peakRss)} MB |`)
    console.log(`\noutcomes by consent group: ${JSON.stringify(seen)}`)

    const problems = []
    if (handled !== recipients || summary.done !== recipients) problems.push(`${handled} of ${recipients} recipients handled`)
    if (summary.failed > 0) problems.push(`${summary.failed} sends failed: ${String(summary.failures[0]?.error)}`)
    if (Object.keys(summary.fallbacks).length > 0) problems.push(`fallbacks ${JSON.stringify(summary.fallbacks)}`)
    problems.push(...wrong)
    if (maxInFlight > concurrency) problems.push(`${maxInFlight} messages in flight, more than ${concurrency}`)
    // Bounded: the GC'd heap after 10 % of the run never rises more than 8 MB above its level at 10 %.
    const growth = Math.max(peakHeap, last.heapUsed) - tenth.heapUsed
    if (growth > 8 * 1048576) problems.push(`heap after GC grew by ${mb(growth)} MB between 10 % and the end`)
    return { recipients, perSec, cpuMs, summary, heap: { base: base.heapUsed, tenth: tenth.heapUsed, peak: peakHeap, end: last.heapUsed }, rss: { base: base.rss, end: last.rss, peak: peakRss }, problems }
  } finally {
    await store.close()
    const admin = new pg.Pool({ connectionString: url, max: 1 })
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
  }
}

/** `npm run bench` entry: CAMPAIGN_RECIPIENTS (100000), CAMPAIGN_CONCURRENCY (8), CAMPAIGN_BATCH (500). */
export default async function campaignBench() {
  const env = process.env
  const url = env.DATABASE_URL || (env.CI === 'true' ? CI_DATABASE_URL : undefined)
  if (!url) {
    console.log('\nCampaign bench skipped: it needs Postgres; set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) or CI=true')
    return true
  }
  const recipients = Number(env.CAMPAIGN_RECIPIENTS ?? 100_000)
  if (!Number.isSafeInteger(recipients) || recipients < 100) throw new Error('CAMPAIGN_RECIPIENTS must be an integer of at least 100')
  const result = await runCampaign({
    url,
    recipients,
    ...(env.CAMPAIGN_CONCURRENCY ? { concurrency: Number(env.CAMPAIGN_CONCURRENCY) } : {}),
    ...(env.CAMPAIGN_BATCH ? { batchSize: Number(env.CAMPAIGN_BATCH) } : {}),
  })
  const label = `campaign of ${recipients.toLocaleString('en-US')}`
  for (const p of result.problems) console.log(`FAIL ${label}: ${p}`)
  if (result.problems.length === 0)
    console.log(`PASS ${label}: every recipient sent or skipped as its consent says, none failed, heap after GC bounded (${mb(result.heap.tenth)} MB at 10 %, ${mb(Math.max(result.heap.peak, result.heap.end))} MB at most afterwards)`)
  return result.problems.length === 0
}
