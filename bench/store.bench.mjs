// Consent store speed, against the raw drivers in the same run: getMany of
// 10,000 contacts (target: at least half the raw query's rate), a 100,000
// contact campaign lookup (target: under 2 s), and record throughput.
// Cases alternate and keep their best round, so other jobs on a shared machine
// skew neither side; in-process SQLite lookups are also timed in CPU time.
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench -- store
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { createPostgresStore } from '../dist/store/postgres.js'
import { createSqliteStore } from '../dist/store/sqlite.js'
import { checkTarget, measure, printTable } from './lib.mjs'

const CONTACTS = 100_000
const LOOKUP = 10_000
// The columns store.getMany reads, so the raw query fetches exactly the same data.
const COLUMNS = 'contact_id, opens_status, opens_at, clicks_status, clicks_at, collected_at, informed_at, last_request_at, subscribed'
const ROUNDS = 7
const TYPES = ['collect', 'inform', 'grant', 'deny', 'withdraw', 'request']

/** Seeds `CONTACTS` contacts with three events each, through recordMany. */
async function seed(store) {
  const start = performance.now()
  const base = Date.now() - 90 * 86_400_000
  for (let i = 0; i < CONTACTS; i += 2000) {
    const batch = []
    for (let k = i; k < Math.min(CONTACTS, i + 2000); k++) {
      for (let j = 0; j < 3; j++) {
        batch.push({
          id: `seed-${k}-${j}`,
          contactId: `c-${k}`,
          type: TYPES[(k + j) % TYPES.length],
          purposes: j === 2 ? ['opens'] : undefined,
          at: new Date(base + k * 1000 + j),
          source: 'import',
          evidence: { formId: 'footer', ip: '203.0.113.7' },
        })
      }
    }
    await store.recordMany(batch)
  }
  return performance.now() - start
}

/** 10,000 distinct random contact ids, most of them known. */
function sampleIds(seed) {
  let x = seed
  const ids = new Set()
  while (ids.size < LOOKUP) {
    x = (x * 1103515245 + 12345) % 2 ** 31
    ids.add(`c-${x % (CONTACTS + 500)}`)
  }
  return [...ids]
}

const allIds = Array.from({ length: CONTACTS }, (_, i) => `c-${i}`)
const event = (i) => ({ contactId: `r-${i % 5000}`, type: i % 2 ? 'grant' : 'withdraw', at: new Date(Date.now() - 1000), source: 'api', evidence: { ip: '203.0.113.7' } })
const rawRow = (i) => [`raw-${i}`, `r-${i % 5000}`, 'grant', 'opens,clicks', Date.now(), 'api', null, '{"ip":"203.0.113.7"}', Date.now(), '0'.repeat(64), '1'.repeat(64)]

/**
 * Like lib.mjs `measure`, but the rate is per CPU-second of this process:
 * SQLite runs in-process, so this is its real cost even while other jobs
 * share the machine (wall-clock rate reported beside it).
 */
async function measureCpu(name, fn, { ms = 600, warmupMs = 200 } = {}) {
  const runFor = async (budget) => {
    let ops = 0
    const cpu = process.cpuUsage()
    const start = performance.now()
    while (performance.now() - start < budget) {
      const r = fn()
      const n = r && typeof r.then === 'function' ? await r : r
      ops += typeof n === 'number' ? n : 1
    }
    const used = process.cpuUsage(cpu)
    return { ops, cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - start }
  }
  await runFor(warmupMs)
  globalThis.gc?.()
  const { ops, cpuMs, wallMs } = await runFor(ms)
  return { name, ops, perSec: (ops / cpuMs) * 1000, wallPerSec: (ops / wallMs) * 1000 }
}

/**
 * Measures two cases in alternating rounds and keeps each one's best round,
 * so load from other processes on a shared machine skews neither side.
 */
async function paired(a, b, { clock = 'wall', ...options } = {}) {
  const best = [undefined, undefined]
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [name, fn]] of [a, b].entries()) {
      const result = await (clock === 'cpu' ? measureCpu : measure)(name, fn, options)
      if (!best[i] || result.perSec > best[i].perSec) best[i] = result
    }
  }
  return best
}

/**
 * Looks up all 100,000 contacts with each function in alternating rounds;
 * returns each one's best wall-clock and CPU time in ms.
 */
async function campaign(lookups) {
  const best = lookups.map(() => ({ wall: Infinity, cpu: Infinity }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, lookup]] of lookups.entries()) {
      globalThis.gc?.()
      const cpu = process.cpuUsage()
      const start = performance.now()
      const found = await lookup(allIds)
      const used = process.cpuUsage(cpu)
      best[i].wall = Math.min(best[i].wall, performance.now() - start)
      best[i].cpu = Math.min(best[i].cpu, (used.user + used.system) / 1000)
      if (found !== CONTACTS) throw new Error(`campaign lookup found ${found} of ${CONTACTS}`)
    }
  }
  for (const [i, [label]] of lookups.entries()) {
    console.log(
      `${label}: ${CONTACTS.toLocaleString('en-US')}-contact campaign's records in ${best[i].wall.toFixed(0)} ms wall, ` +
        `${best[i].cpu.toFixed(0)} ms CPU of this process (best of ${ROUNDS})`,
    )
  }
  return best
}

async function sqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'etc-bench-'))
  const file = join(dir, 'bench.db')
  let ok = true
  try {
    const bulk = createSqliteStore({ database: file, synchronous: 'normal' })
    console.log(`\nSQLite: seeded ${(CONTACTS * 3).toLocaleString('en-US')} events in ${(await seed(bulk)).toFixed(0)} ms (recordMany, synchronous=normal)`)
    await bulk.close()

    const store = createSqliteStore({ database: file })
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    // The statement store.getMany runs on SQLite (one primary-key probe per id), run bare.
    const rawLookup = db.prepare(
      `SELECT ${COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')} FROM json_each(?) AS j CROSS JOIN consent_records AS t ON t.contact_id = j.value`,
    )
    const ids = sampleIds(7)
    const rows = await paired(
      ['raw better-sqlite3 (same statement)', () => rawLookup.all(JSON.stringify(ids)).length && 1],
      ['store.getMany', async () => (await store.getMany(ids)).size && 1],
      { clock: 'cpu', ms: 600, warmupMs: 200 },
    )
    printTable(`SQLite getMany of ${LOOKUP.toLocaleString('en-US')} contacts, per CPU-second (best of ${ROUNDS} rounds)`, rows, {
      baseline: 'raw better-sqlite3 (same statement)',
      unit: 'lookups/s',
    })
    console.log(`(wall clock: raw ${rows[0].wallPerSec.toFixed(2)}/s, store ${rows[1].wallPerSec.toFixed(2)}/s, ratio ${(rows[1].wallPerSec / rows[0].wallPerSec).toFixed(2)})`)
    ok = checkTarget('SQLite getMany / raw (CPU)', rows[1].perSec / rows[0].perSec, 0.5) && ok
    const [, sqliteCampaign] = await campaign([
      [
        'SQLite raw',
        async (list) => {
          let n = 0
          for (let i = 0; i < list.length; i += 5000) n += rawLookup.all(JSON.stringify(list.slice(i, i + 5000))).length
          return n
        },
      ],
      ['SQLite store.getMany', async (list) => (await store.getMany(list)).size],
    ])
    // In-process work: its CPU time is the duration on a machine not shared with other jobs.
    ok = checkTarget('SQLite campaign: 2 s budget / CPU time', 2000 / sqliteCampaign.cpu, 1) && ok

    db.exec(`CREATE TABLE raw_events (id TEXT PRIMARY KEY, contact_id TEXT, type TEXT, purposes TEXT, at INTEGER, source TEXT, notice_version TEXT, evidence TEXT, recorded_at INTEGER, prev_hash TEXT, hash TEXT)`)
    const rawInsert = db.prepare('INSERT INTO raw_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    const begin = db.prepare('BEGIN IMMEDIATE')
    const commit = db.prepare('COMMIT')
    let r = 0
    let s = 0
    const writes = [
      await measure('raw INSERT, one transaction each', () => {
        begin.run()
        rawInsert.run(...rawRow(r++))
        commit.run()
      }, { ms: 1000 }),
      await measure('store.record, sequential', () => store.record(event(s++)), { ms: 1000 }),
      await measure('raw INSERT x100, one transaction', () => {
        begin.run()
        for (let k = 0; k < 100; k++) rawInsert.run(...rawRow(r++))
        commit.run()
        return 100
      }, { ms: 1000 }),
      await measure('store.record x100 concurrent', async () => {
        await Promise.all(Array.from({ length: 100 }, () => store.record(event(s++))))
        return 100
      }, { ms: 1000 }),
    ]
    printTable('SQLite record throughput (synchronous=FULL)', writes, { baseline: 'raw INSERT, one transaction each', unit: 'events/s' })
    const verify = performance.now()
    const result = await store.verify()
    console.log(`SQLite verify(): ${result.ok ? 'ok' : 'BROKEN'}, ${result.checked.toLocaleString('en-US')} events in ${(performance.now() - verify).toFixed(0)} ms`)
    db.close()
    await store.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return ok
}

async function postgres() {
  const url = process.env.DATABASE_URL || (process.env.CI === 'true' ? 'postgres://postgres@127.0.0.1:5432/test' : undefined)
  if (!url) {
    console.log('\nPostgres: skipped (set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/test)')
    return true
  }
  const schema = `etc_bench_${process.pid}_${Date.now().toString(36)}`
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  let ok = true
  try {
    const store = createPostgresStore({ pool, schema })
    console.log(`\nPostgres: seeded ${(CONTACTS * 3).toLocaleString('en-US')} events in ${(await seed(store)).toFixed(0)} ms (recordMany)`)
    await pool.query(`ANALYZE "${schema}".consent_records`)
    const ids = sampleIds(11)
    const rawText = `SELECT ${COLUMNS} FROM "${schema}".consent_records WHERE contact_id = ANY($1::text[])`
    const rows = await paired(
      ['raw pg (= ANY($1), same rows)', async () => (await pool.query(rawText, [ids])).rows.length && 1],
      ['store.getMany', async () => (await store.getMany(ids)).size && 1],
      { ms: 600, warmupMs: 200 },
    )
    printTable(`Postgres getMany of ${LOOKUP.toLocaleString('en-US')} contacts (best of ${ROUNDS} rounds)`, rows, { baseline: 'raw pg (= ANY($1), same rows)', unit: 'lookups/s' })
    ok = checkTarget('Postgres getMany / raw', rows[1].perSec / rows[0].perSec, 0.5) && ok
    const [, postgresCampaign] = await campaign([
      [
        'Postgres raw (5,000 ids per query, one at a time)',
        async (list) => {
          let n = 0
          for (let i = 0; i < list.length; i += 5000) n += (await pool.query(rawText, [list.slice(i, i + 5000)])).rows.length
          return n
        },
      ],
      ['Postgres store.getMany', async (list) => (await store.getMany(list)).size],
    ])
    // The database server does part of the work in its own processes, so wall-clock time is the measure here.
    ok = checkTarget('Postgres campaign: 2 s budget / wall time', 2000 / postgresCampaign.wall, 1) && ok

    await pool.query(`CREATE TABLE "${schema}".raw_events (id text PRIMARY KEY, contact_id text, type text, purposes text, at timestamptz, source text, notice_version text, evidence text, recorded_at timestamptz, prev_hash text, hash text)`)
    const rawInsert = `INSERT INTO "${schema}".raw_events VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6, $7, $8, to_timestamp($9 / 1000.0), $10, $11)`
    let r = 0
    let s = 0
    const rawTransaction = async (n) => {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        for (let k = 0; k < n; k++) await client.query(rawInsert, rawRow(r++))
        await client.query('COMMIT')
      } finally {
        client.release()
      }
      return n
    }
    const writes = [
      await measure('raw INSERT, one transaction each', () => rawTransaction(1), { ms: 1000 }),
      await measure('store.record, sequential', () => store.record(event(s++)), { ms: 1000 }),
      await measure('raw INSERT x100 over 10 connections', async () => {
        await Promise.all(Array.from({ length: 10 }, () => rawTransaction(10)))
        return 100
      }, { ms: 1000 }),
      await measure('store.record x100 concurrent', async () => {
        await Promise.all(Array.from({ length: 100 }, () => store.record(event(s++))))
        return 100
      }, { ms: 1000 }),
    ]
    printTable('Postgres record throughput', writes, { baseline: 'raw INSERT, one transaction each', unit: 'events/s' })
    const verify = performance.now()
    const result = await store.verify()
    console.log(`Postgres verify(): ${result.ok ? 'ok' : 'BROKEN'}, ${result.checked.toLocaleString('en-US')} events in ${(performance.now() - verify).toFixed(0)} ms`)
    await store.close()
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool.end()
  }
  return ok
}

export default async function storeBench() {
  const sqliteOk = await sqlite()
  const postgresOk = await postgres()
  return sqliteOk && postgresOk
}
