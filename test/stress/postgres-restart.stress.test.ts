// Postgres server restarted during writes (stress only: it restarts the local
// cluster with pg_ctlcluster, which drops every connection to it, so it never
// runs in `npm test`). The connection-drop version, with the helpers reused
// here, is test/reliability/postgres-faults.test.ts.
// - A campaign (sendCampaign, getMany from Postgres) and two in-process writers
//   while the server restarts twice (a fast shutdown, then an immediate one
//   that goes through crash recovery): every recipient is sent (untracked when
//   its batch's consent could not be read), nothing is tracked for a contact
//   who did not grant, every record() that resolved is stored exactly once
//   with the seq and hash it reported, failed writes say `storage-failed`,
//   verify() passes.
// - Two writer processes through a restart: seq gapless, chain valid, every
//   acknowledged event stored once.
// The server is brought back up in afterAll even when a test fails.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import nodemailer from 'nodemailer'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sendCampaign, type ConsentOutcome } from '../../src/nodemailer/index.js'
import { StoreError } from '../../src/store/errors.js'
import { createPostgresStore } from '../../src/store/postgres.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import { compile } from '../../src/transform.js'
import { databaseUrl, namedUrl, startWriter, uniqueName, type Ack } from '../reliability/postgres-faults.js'

const run = promisify(execFile)
const PG_CTLCLUSTER = '/usr/bin/pg_ctlcluster'
const version = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort().at(-1) : undefined
const canRestart = Boolean(databaseUrl && version && existsSync(PG_CTLCLUSTER))
if (databaseUrl && !canRestart) console.warn('Postgres restart stress test skipped: needs pg_ctlcluster and a cluster under /etc/postgresql (a local Debian-style server).')

const NOW = new Date('2026-11-20T10:00:00Z')
const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
const HTML = '<!doctype html><html><body><p>Autumn sale: <a href="https://shop.example.com/sale">shop</a></p></body></html>'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** True once the server accepts a connection and answers a query. */
async function answers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** Waits until the server answers, starting the cluster if it does not within a few seconds. */
async function ensureUp(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if (await answers()) return
    await sleep(500)
  }
  await run(PG_CTLCLUSTER, ['--skip-systemctl-redirect', version!, 'main', 'start'], { timeout: 120_000 }).catch(() => {})
  for (let i = 0; i < 120; i++) {
    if (await answers()) return
    await sleep(500)
  }
  throw new Error('Postgres did not come back up')
}

/**
 * Restarts the cluster and waits until it answers; returns the milliseconds it
 * took. `fast` (pg_ctlcluster's default) terminates every backend and shuts
 * down cleanly; `immediate` kills the server without a checkpoint, so the
 * restart goes through crash recovery from the WAL.
 */
async function restartServer(mode: 'fast' | 'immediate' = 'fast'): Promise<number> {
  const started = performance.now()
  await run(PG_CTLCLUSTER, ['--skip-systemctl-redirect', version!, 'main', 'restart', ...(mode === 'fast' ? [] : ['-m', mode])], { timeout: 120_000 })
  await ensureUp()
  return performance.now() - started
}

async function eventsOf(store: ConsentStore): Promise<ConsentEvent[]> {
  const out: ConsentEvent[] = []
  for await (const e of store.export()) out.push(e)
  return out
}

describe.skipIf(!canRestart)('Postgres: server restarted during writes', () => {
  const schemas: string[] = []

  beforeAll(async () => {
    const built = fileURLToPath(new URL('../../dist/store/postgres.js', import.meta.url))
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first')
    await ensureUp()
  })
  afterAll(async () => {
    // Always leave the server running, whatever happened above.
    await ensureUp()
    const admin = new pg.Client({ connectionString: databaseUrl })
    await admin.connect()
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    await admin.end()
  }, 180_000)

  test('mid-campaign and mid-write, restarted twice: every recipient sent, no acknowledged event lost, failures say storage-failed, verify() passes', async () => {
    const schema = uniqueName('etc_restart')
    schemas.push(schema)
    const store = createPostgresStore({ pool: databaseUrl!, schema, poolSize: 6 })
    // Mixed consent: a third granted, a third denied, a third never asked (collected after the regime start: opt-in required).
    const COUNT = 6000
    const at = new Date('2026-05-02T09:00:00Z')
    const granted = (i: number) => i % 3 === 0
    for (let i = 0; i < COUNT; i += 500)
      await store.recordMany!(
        Array.from({ length: 500 }, (_, k) => i + k)
          .filter((n) => n % 3 !== 2)
          .flatMap((n) => [
            { contactId: `c_${n}`, type: 'collect' as const, at, source: 'form' as const },
            { contactId: `c_${n}`, type: granted(n) ? ('grant' as const) : ('deny' as const), purposes: ['opens' as const, 'clicks' as const], at, source: 'form' as const },
          ]),
      )

    let done = 0
    let writing = true
    const restarts: { mode: 'fast' | 'immediate'; atDone: number; ms: number }[] = []
    const restarter = (async () => {
      for (const [share, mode] of [[0.25, 'fast'], [0.6, 'immediate']] as const) {
        while (done < COUNT * share) await sleep(20)
        const atDone = done
        restarts.push({ mode, atDone, ms: await restartServer(mode) })
      }
    })()

    // Writer 1: withdrawals with their own ids, each retried with the same id until acknowledged.
    const acked: ConsentEvent[] = []
    const retriedCodes = new Set<string>()
    let retries = 0
    const retrying = (async () => {
      for (let i = 0; writing; i++) {
        const event = { id: `w-${i}`, contactId: `c_${(i * 3) % COUNT}`, type: 'withdraw' as const, purposes: ['opens' as const, 'clicks' as const], at: new Date(Date.now() - 1000), source: 'withdrawal-link' as const }
        for (;;) {
          try {
            acked.push(await store.record(event))
            break
          } catch (err) {
            retriedCodes.add(err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`)
            retries++
            await sleep(50)
          }
        }
        await sleep(5)
      }
    })()
    // Writer 2: events without ids, each tried once; what resolved must be stored, what failed must say why.
    const onceAcked: ConsentEvent[] = []
    const onceCodes = new Map<string, number>()
    const once = (async () => {
      for (let i = 0; writing; i++) {
        try {
          onceAcked.push(await store.record({ contactId: `x_${i % 50}`, type: i % 2 ? 'grant' : 'deny', purposes: ['opens'], at: new Date(Date.now() - 1000), source: 'api' }))
        } catch (err) {
          const code = err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`
          onceCodes.set(code, (onceCodes.get(code) ?? 0) + 1)
          await sleep(50)
        }
        await sleep(5)
      }
    })()

    const compiled = compile({ html: HTML, text: 'Autumn sale: https://shop.example.com/sale\n' }, { tokens, baseUrl: 'https://t.example.com/m' })
    const outcomes = new Map<string, ConsentOutcome>()
    let reportedTwice = 0
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true })
    async function* recipients() {
      for (let i = 0; i < COUNT; i++) yield { contactId: `c_${i}`, to: `r${i}@example.org` }
    }
    const summary = await sendCampaign(transport, compiled, recipients(), {
      store,
      category: 'marketing',
      now: () => NOW,
      batchSize: 100,
      lookupTimeoutMs: 3000,
      mail: { from: 'news@shop.example.com', subject: 'Autumn sale' },
      onMessage: (r) => {
        if (outcomes.has(r.recipient.contactId)) reportedTwice++
        outcomes.set(r.recipient.contactId, r.outcome)
      },
      onProgress: (p) => (done = p.done),
    })
    await restarter
    writing = false
    await Promise.all([retrying, once])

    // Both restarts happened while the campaign was running.
    expect(restarts).toHaveLength(2)
    for (const r of restarts) expect(r.atDone).toBeLessThan(COUNT)
    // Every recipient sent, once; untracked when the batch's consent could not be read; never tracked without a grant.
    expect(summary).toMatchObject({ done: COUNT, sent: COUNT, failed: 0, skipped: 0 })
    expect([outcomes.size, reportedTwice]).toEqual([COUNT, 0])
    for (const [contactId, o] of outcomes) {
      if (o.status === 'untracked') expect(['store-error', 'store-timeout', undefined], contactId).toContain(o.fallback)
      if (o.status === 'tracked') expect(granted(Number(contactId.slice(2))), contactId).toBe(true)
    }
    // Failed writes are StoreErrors with code storage-failed.
    expect([...retriedCodes].every((c) => c === 'storage-failed'), [...retriedCodes].join()).toBe(true)
    expect([...onceCodes.keys()].every((c) => c === 'storage-failed'), [...onceCodes.keys()].join()).toBe(true)
    expect(retries + [...onceCodes.values()].reduce((a, n) => a + n, 0), 'the restarts made some writes fail').toBeGreaterThan(0)
    await store.close()

    // Read back through a fresh store: every acknowledged event exactly once, with the seq and hash it was acknowledged with.
    const reader = createPostgresStore({ pool: databaseUrl!, schema })
    const events = await eventsOf(reader)
    const byId = new Map(events.map((e) => [e.id, e]))
    expect(byId.size).toBe(events.length)
    for (const a of [...acked, ...onceAcked]) expect(byId.get(a.id) && [byId.get(a.id)!.seq, byId.get(a.id)!.hash], a.id).toEqual([a.seq, a.hash])
    expect(events.filter((e) => e.type === 'withdraw').map((e) => e.id).sort()).toEqual(acked.map((e) => e.id).sort())
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1))
    expect((await reader.verify()).ok).toBe(true)
    await reader.close()
    const failedOnce = [...onceCodes.values()].reduce((a, n) => a + n, 0)
    const storedAnyway = events.filter((e) => e.contactId.startsWith('x_')).length - onceAcked.length
    console.log(
      `[stress] Postgres restarted twice mid-campaign (${restarts.map((r) => `${r.mode} at ${r.atDone}/${COUNT} sent, back in ${(r.ms / 1000).toFixed(1)} s`).join('; ')}): ` +
        `${summary.sent}/${COUNT} sent in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.tracked} tracked, ${summary.untracked} untracked, fallbacks ${JSON.stringify(summary.fallbacks)}), 0 failed; ` +
        `retried writer ${acked.length}/${acked.length} acknowledged and stored once after ${retries} storage-failed retries; ` +
        `one-shot writer ${onceAcked.length} acknowledged (all stored once), ${failedOnce} failed with storage-failed (${storedAnyway} of those committed before the connection dropped); verify ok (${events.length} events)`,
    )
  }, 600_000)

  test('two writer processes through a restart: seq gapless, chain valid, nothing acknowledged lost', async () => {
    const schema = uniqueName('etc_restart')
    schemas.push(schema)
    const prefix = uniqueName('etc_restart_w')
    const setup = createPostgresStore({ pool: databaseUrl!, schema })
    await setup.verify()
    await setup.close()
    const PER_WRITER = 1500
    const a = startWriter(namedUrl(databaseUrl!, `${prefix}_a`), schema, 'a', PER_WRITER)
    const b = startWriter(namedUrl(databaseUrl!, `${prefix}_b`), schema, 'b', PER_WRITER)
    const acksAt = (acks: Ack[][]) => acks.reduce((n, x) => n + x.length, 0)
    while (acksAt([a.acks, b.acks]) < (2 * PER_WRITER) / 4) await sleep(20)
    const atAcks = acksAt([a.acks, b.acks])
    const ms = await restartServer()
    const [da, db] = await Promise.all([a.done, b.done])
    expect([da.code, db.code], `${da.stderr}${db.stderr}`).toEqual([0, 0])
    expect(atAcks).toBeLessThan(2 * PER_WRITER)
    expect(da.retries + db.retries, 'the restart made some writes fail').toBeGreaterThan(0)

    const reader = createPostgresStore({ pool: databaseUrl!, schema })
    const events = await eventsOf(reader)
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 2 * PER_WRITER }, (_, i) => i + 1))
    const byId = new Map(events.map((e) => [e.id, e]))
    for (const ack of [...a.acks, ...b.acks]) expect([byId.get(ack.id)?.seq, byId.get(ack.id)?.hash]).toEqual([ack.seq, ack.hash])
    expect(a.acks.length + b.acks.length).toBe(2 * PER_WRITER)
    expect(await reader.verify()).toMatchObject({ ok: true, checked: 2 * PER_WRITER })
    await reader.close()
    console.log(
      `[stress] Postgres restarted under two writer processes (after ${atAcks} acknowledgements, back in ${(ms / 1000).toFixed(1)} s): ${2 * PER_WRITER}/${2 * PER_WRITER} acknowledged, ${da.retries + db.retries} retries, seq 1..${2 * PER_WRITER} gapless, verify ok`,
    )
  }, 600_000)
})
