// Load on loopback: the pixel, click and withdrawal routes together, for
// LOAD_SECONDS (default 60) per backend, against the built handler in a child
// process backed by SQLite, then Postgres (when DATABASE_URL is set or CI is
// true). Three autocannon instances run at once, one per route, each cycling
// through thousands of signed links; every withdrawal is a confirmed POST with
// its page's nonce. Reports requests/s and p50/p99 latency per route, checks
// zero errors and only the expected statuses (200, 302, 200), reads the store
// back (one event per distinct withdrawal, chain valid), and checks that the
// server's memory, sampled after a forced GC, stays flat after warm-up.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createTokens } from '../dist/index.js'

const SERVER = fileURLToPath(new URL('./load-server.mjs', import.meta.url))
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const CI_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
const TARGET = 'https://shop.example.com/autumn?utm_source=newsletter'
const SCOPE = 'load-scope'

/** Signed links for `count` contacts: pixel and click tokens for granted contacts, withdrawal tokens with a nonce each. */
async function links(tokens, count, withdrawals) {
  const pixel = []
  const click = []
  const withdraw = []
  const mac = tokens.linkMac(SCOPE, TARGET)
  for (let i = 0; i < count; i++) {
    const mt = await tokens.signMessage({ contactId: `c_${i}`, messageId: `m_${i}`, purposes: ['open', 'click'], linkScope: SCOPE })
    pixel.push(`/t/o/${mt.token('open')}`)
    click.push(`/t/c/${mt.token('click')}?u=${encodeURIComponent(TARGET)}&h=${mac}`)
  }
  const servedAt = Date.now() - 5000
  for (let i = 0; i < withdrawals; i++) {
    const token = await tokens.sign({ purpose: 'withdraw', contactId: `w_${i}`, messageId: `m_w${i}` })
    const claims = await tokens.verify(token, { purpose: 'withdraw' })
    withdraw.push({ contactId: `w_${i}`, path: `/t/w/${token}`, body: `nonce=${encodeURIComponent(tokens.formNonce(claims, servedAt))}` })
  }
  return { pixel, click, withdraw }
}

/** Grants opens and clicks to the pixel/click contacts, so opens and clicks are reported (the full path). */
async function seed(store, count) {
  const at = new Date(Date.now() - 86_400_000)
  for (let i = 0; i < count; i += 500) {
    await store.recordMany(Array.from({ length: Math.min(500, count - i) }, (_, k) => ({ contactId: `c_${i + k}`, type: 'grant', purposes: ['opens', 'clicks'], at, source: 'form' })))
  }
}

function cannon(port, seconds, connections, requests) {
  return autocannon({ url: `http://127.0.0.1:${port}`, connections, pipelining: 1, duration: seconds, requests, headers: { 'user-agent': USER_AGENT } })
}

function cycle(items, make) {
  let i = 0
  return (request) => make(request, items[i++ % items.length])
}

const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]

/**
 * One run against one backend. `open()` gives the store the parent seeds and
 * reads back; `serverConfig` tells the child how to open the same store.
 */
async function runBackend(label, { seconds, store, serverConfig, contacts, withdrawals, sampleMs }) {
  const secret = randomBytes(32).toString('base64url')
  const tokens = createTokens({ keys: [{ kid: 'load', secret }] })
  await seed(store, contacts)
  const before = []
  for await (const e of store.export()) before.push(e)
  const l = await links(tokens, contacts, withdrawals)

  const child = fork(SERVER, [JSON.stringify({ ...serverConfig, secret, sampleMs })], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const samples = []
  const logs = []
  child.on('message', (m) => {
    if (m.type === 'sample') samples.push(m)
    if (m.type === 'log') logs.push(m)
  })
  const [ready] = await once(child, 'message')
  if (ready.type !== 'ready') throw new Error(`server did not start: ${JSON.stringify(ready)}`)
  const started = Date.now()
  let withdrawIndex = 0

  // Sent: prepared by autocannon; acknowledged: answered 200 (the done page).
  const sent = new Set()
  const acked = new Set()
  const runs = await Promise.all([
    cannon(ready.port, seconds, 8, [{ method: 'GET', setupRequest: cycle(l.pixel, (r, path) => ({ ...r, path })) }]),
    cannon(ready.port, seconds, 8, [{ method: 'GET', setupRequest: cycle(l.click, (r, path) => ({ ...r, path })) }]),
    cannon(ready.port, seconds, 4, [
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': USER_AGENT },
        setupRequest: (r, context) => {
          const w = l.withdraw[withdrawIndex++ % l.withdraw.length]
          sent.add(w.contactId)
          context.contactId = w.contactId
          return { ...r, path: w.path, body: w.body }
        },
        onResponse: (status, _body, context) => {
          if (status === 200) acked.add(context.contactId)
        },
      },
    ]),
  ])
  child.send({ type: 'stop' })
  const stopped = await new Promise((resolve) => child.on('message', (m) => m.type === 'stopped' && resolve(m)))
  await once(child, 'exit')

  const routes = ['pixel', 'click', 'withdraw']
  const expected = [200, 302, 200]
  const rows = runs.map((r, i) => {
    const statuses = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, v]) => [code, Number(v.count)]))
    const unexpected = Object.entries(statuses).filter(([code]) => Number(code) !== expected[i]).reduce((a, [, n]) => a + n, 0)
    return { route: routes[i], requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, unexpected, statuses }
  })

  // The store afterwards: one withdraw per distinct link confirmed, nothing else new, chain valid.
  const after = []
  for await (const e of store.export()) after.push(e)
  const added = after.slice(before.length)
  const verify = await store.verify()
  const withdrawnContacts = new Set(added.filter((e) => e.type === 'withdraw').map((e) => e.contactId))

  // Memory after warm-up (the first 10 s, or a sixth of a short run).
  const warm = Math.min(10_000, (seconds * 1000) / 6)
  const steady = samples.filter((s) => s.at - started >= warm)
  const first = steady[0] ?? samples[0]
  const last = samples[samples.length - 1]
  const peakRss = Math.max(...samples.map((s) => s.rss))
  const heapGrowth = last.heapUsed - first.heapUsed
  const rssGrowth = last.rss - first.rss
  const mb = (n) => (n / 1048576).toFixed(1)

  console.log(`\n## ${label}: ${seconds} s, pixel + click + withdrawal at once (8 + 8 + 4 connections)\n`)
  console.log('| route    | requests | req/s  | p50 ms | p99 ms | errors | other statuses |')
  console.log('|----------|---------:|-------:|-------:|-------:|-------:|---------------:|')
  for (const r of rows)
    console.log(`| ${r.route.padEnd(8)} | ${String(r.requests).padStart(8)} | ${r.rps.toFixed(0).padStart(6)} | ${String(r.p50).padStart(6)} | ${String(r.p99).padStart(6)} | ${String(r.errors).padStart(6)} | ${String(r.unexpected).padStart(14)} |`)
  const total = rows.reduce((a, r) => a + r.rps, 0)
  console.log(`\ntotal ${total.toFixed(0)} req/s; ${acked.size} distinct withdrawals acknowledged, ${withdrawnContacts.size} recorded; verify ${verify.ok ? 'ok' : 'FAILED'} (${verify.checked} events)`)
  console.log(`server memory after warm-up (GC'd samples every ${sampleMs / 1000} s): heap ${mb(first.heapUsed)} → ${mb(last.heapUsed)} MB (${heapGrowth >= 0 ? '+' : ''}${mb(heapGrowth)}), RSS ${mb(first.rss)} → ${mb(last.rss)} MB (${rssGrowth >= 0 ? '+' : ''}${mb(rssGrowth)}), peak RSS ${mb(peakRss)} MB; heap samples p50 ${mb(quantile(steady.map((s) => s.heapUsed), 0.5))} MB`)
  console.log(`reported by the hooks: ${stopped.opens} opens, ${stopped.clicks} clicks, ${stopped.changes} withdrawal events; server errors logged: ${logs.length}`)

  const problems = []
  for (const r of rows) {
    if (r.errors > 0) problems.push(`${r.route}: ${r.errors} errors`)
    if (r.unexpected > 0) problems.push(`${r.route}: unexpected statuses ${JSON.stringify(r.statuses)}`)
  }
  if (logs.length > 0) problems.push(`server logged ${logs.length} errors: ${[...new Set(logs.map((x) => `${x.message} [${x.code ?? ''}] ${x.cause}`))].join('; ')}`)
  if (!verify.ok) problems.push('chain does not verify')
  const lost = [...acked].filter((c) => !withdrawnContacts.has(c))
  if (lost.length > 0) problems.push(`${lost.length} acknowledged withdrawals not in the store`)
  if ([...withdrawnContacts].some((c) => !sent.has(c))) problems.push('a withdrawal was recorded that was never sent')
  if (added.some((e) => e.type !== 'withdraw')) problems.push('events other than withdrawals were recorded')
  // Flat: the heap after warm-up grows by less than 8 MB and 15 %.
  if (heapGrowth > Math.max(8 * 1048576, 0.15 * first.heapUsed)) problems.push(`heap grew by ${mb(heapGrowth)} MB after warm-up`)
  for (const p of problems) console.log(`FAIL ${label}: ${p}`)
  if (problems.length === 0) console.log(`PASS ${label}: zero errors, every confirmed withdrawal recorded once, chain valid, memory flat`)
  return { label, rows, total, heap: { first: first.heapUsed, last: last.heapUsed }, rss: { first: first.rss, last: last.rss, peak: peakRss }, withdrawals: { acknowledged: acked.size, recorded: withdrawnContacts.size }, problems }
}

/**
 * Runs the load against SQLite, then Postgres. Returns the figures, and
 * `ok: false` when any route saw an error or an unexpected status, the store
 * did not match, or memory grew after warm-up.
 */
export async function runLoad({ seconds = Number(process.env.LOAD_SECONDS ?? 60), backends = ['sqlite', 'postgres'], contacts = 5000, withdrawals = 60_000 } = {}) {
  const results = []
  const sampleMs = Math.max(1000, Math.min(5000, (seconds * 1000) / 12))
  if (backends.includes('sqlite')) {
    const { createSqliteStore } = await import('../dist/store/sqlite.js')
    const dir = mkdtempSync(join(tmpdir(), 'etc-load-'))
    const file = join(dir, 'consent.db')
    const store = createSqliteStore({ database: file })
    try {
      results.push(await runBackend('SQLite', { seconds, store, serverConfig: { backend: 'sqlite', target: file }, contacts, withdrawals, sampleMs }))
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  const url = process.env.DATABASE_URL || (process.env.CI === 'true' ? CI_DATABASE_URL : undefined)
  if (backends.includes('postgres')) {
    if (!url) console.log('\nPostgres load skipped: set DATABASE_URL or CI=true')
    else {
      const { createPostgresStore } = await import('../dist/store/postgres.js')
      const pg = (await import('pg')).default
      const schema = `etc_load_${process.pid}_${Date.now().toString(36)}`
      const store = createPostgresStore({ pool: url, schema })
      try {
        results.push(await runBackend('Postgres', { seconds, store, serverConfig: { backend: 'postgres', target: url, schema }, contacts, withdrawals, sampleMs }))
      } finally {
        await store.close()
        const admin = new pg.Pool({ connectionString: url, max: 1 })
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await admin.end()
      }
    }
  }
  return { ok: results.every((r) => r.problems.length === 0), results }
}

/** `npm run bench` entry: LOAD_SECONDS (60), LOAD_BACKENDS (sqlite,postgres), LOAD_CONTACTS (5000), LOAD_WITHDRAWALS (60000). */
export default async function loadBench() {
  const env = process.env
  const { ok } = await runLoad({
    ...(env.LOAD_BACKENDS ? { backends: env.LOAD_BACKENDS.split(',') } : {}),
    ...(env.LOAD_CONTACTS ? { contacts: Number(env.LOAD_CONTACTS) } : {}),
    ...(env.LOAD_WITHDRAWALS ? { withdrawals: Number(env.LOAD_WITHDRAWALS) } : {}),
  })
  return ok
}
