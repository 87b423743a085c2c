import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { StoreError, type ConsentEvent } from '../../src/store/index.js'
import { createPostgresStore, type PgPoolLike } from '../../src/store/postgres.js'
import { databaseUrl, uniqueSchema } from './pg-env.js'

const grant = (contactId: string, extra = {}) => ({ contactId, type: 'grant' as const, at: new Date(Date.now() - 60_000), source: 'form' as const, ...extra })

async function codeOf(work: () => unknown): Promise<string> {
  try {
    await work()
    return 'resolved'
  } catch (err) {
    return err instanceof StoreError ? err.code : `other: ${String(err)}`
  }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

describe.skipIf(!databaseUrl)('Postgres adapter', () => {
  const prefix = uniqueSchema('etc_pg')
  const schemas: string[] = []
  const schema = (): string => {
    schemas.push(`${prefix}_${schemas.length}`)
    return schemas[schemas.length - 1]!
  }
  let pool: pg.Pool

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: databaseUrl, max: 6 })
  })
  afterAll(async () => {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    await pool.end()
  })

  test('creates a versioned schema on first use, even when several stores start at once', async () => {
    const s = schema()
    const stores = Array.from({ length: 5 }, () => createPostgresStore({ pool, schema: s }))
    const results = await Promise.all(stores.map((store) => store.verify()))
    for (const r of results) expect(r.ok).toBe(true)
    const { rows } = await pool.query(`SELECT version FROM "${s}".consent_schema_migrations`)
    expect(rows).toEqual([{ version: 1 }])
    await Promise.all(stores.map((store) => store.close()))
  })

  test('writers in separate pools keep seq gapless and the chain valid', async () => {
    const s = schema()
    const stores = Array.from({ length: 3 }, () => createPostgresStore({ pool: databaseUrl!, schema: s, poolSize: 5 }))
    await stores[0]!.verify()
    const results = await Promise.all(
      Array.from({ length: 240 }, (_, i) => stores[i % 3]!.record(grant(`c-${i % 20}`, { id: `w-${i}`, at: new Date(Date.now() - 60_000 + (i % 7)) }))),
    )
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 240 }, (_, i) => i + 1))
    expect(await stores[1]!.verify()).toMatchObject({ ok: true, checked: 240 })
    await Promise.all(stores.map((store) => store.close()))
  })

  test('writers in separate processes keep seq gapless and the chain valid', async () => {
    const built = fileURLToPath(new URL('../../dist/store/postgres.js', import.meta.url))
    if (!existsSync(built)) throw new Error('dist/store/postgres.js is missing: run `npm run build` first (npm test does)')
    const s = schema()
    const local = createPostgresStore({ pool, schema: s })
    await local.verify()
    const writer = fileURLToPath(new URL('./pg-writer.mjs', import.meta.url))
    const children = ['p1', 'p2', 'p3'].map(
      (label) =>
        new Promise<string>((resolve) => {
          const child = spawn(process.execPath, [writer, databaseUrl!, s, label, '80'], { stdio: ['ignore', 'pipe', 'inherit'] })
          let out = ''
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
          child.on('exit', (code) => resolve(`${code} ${out.trim()}`))
        }),
    )
    const parentWrites = Promise.all(Array.from({ length: 60 }, (_, i) => local.record(grant(`c-${i % 20}`, { id: `parent-${i}` }))))
    expect(await Promise.all(children)).toEqual(['0 done', '0 done', '0 done'])
    await parentWrites
    const events = await all(local.export())
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    expect(await local.verify()).toMatchObject({ ok: true, checked: 300 })
    await local.close()
  })

  test('getMany runs one = ANY($1) query per chunk of ids', async () => {
    const s = schema()
    const queries: string[] = []
    const counting: PgPoolLike = {
      query: (config: string | { text: string }, values?: unknown[]) => {
        queries.push(typeof config === 'string' ? config : config.text)
        return pool.query(config as never, values)
      },
      connect: () => pool.connect(),
      end: async () => undefined,
    }
    const store = createPostgresStore({ pool: counting, schema: s, lookupChunkSize: 5000 })
    const ids = Array.from({ length: 12_000 }, (_, i) => `c-${i}`)
    const stored: ConsentEvent[] = []
    for (let i = 0; i < ids.length; i += 2000) stored.push(...(await store.recordMany!(ids.slice(i, i + 2000).map((id) => grant(id)))))
    queries.length = 0
    const records = await store.getMany([...ids, 'c-unknown'])
    expect(queries.length).toBe(3)
    for (const q of queries) {
      expect(q).toMatch(/WHERE contact_id = ANY\(\$1::text\[\]\)$/)
      // The materialized records, never the event log: a lookup does not replay history.
      expect(q).toContain(`"${s}".consent_records`)
      expect(q).not.toContain('consent_events')
    }
    expect(records.size).toBe(12_000)
    queries.length = 0
    const one = await store.get('c-11999')
    expect(queries.length).toBe(1)
    expect(queries[0]).toContain(`"${s}".consent_records`)
    expect(queries[0]).not.toContain('consent_events')
    expect(records.get('c-11999')).toEqual(one)
    await store.close()
  })

  test('a write that fails inside its transaction leaves nothing behind: no event, no record, the same chain head', async () => {
    const s = schema()
    const store = createPostgresStore({ pool, schema: s })
    const first = await store.record(grant('c-1'))
    // The chain head is updated last; failing it must roll back the events and records written before it.
    await pool.query(`CREATE FUNCTION "${s}".fail_head() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$`)
    await pool.query(`CREATE TRIGGER fail_head BEFORE UPDATE ON "${s}".consent_chain_head FOR EACH ROW EXECUTE FUNCTION "${s}".fail_head()`)
    const batch = Array.from({ length: 150 }, (_, i) => grant(`c-b${i}`, { id: `b-${i}` }))
    expect(await codeOf(() => store.recordMany!(batch))).toBe('storage-failed')
    expect(await codeOf(() => store.record(grant('c-2')))).toBe('storage-failed')
    const counts = await pool.query(`SELECT (SELECT count(*) FROM "${s}".consent_events)::int AS events, (SELECT count(*) FROM "${s}".consent_records)::int AS records`)
    expect(counts.rows).toEqual([{ events: 1, records: 1 }])
    expect((await pool.query(`SELECT seq::int AS seq, hash FROM "${s}".consent_chain_head`)).rows).toEqual([{ seq: 1, hash: first.hash }])
    expect(await store.get('c-2')).toBeNull()
    await pool.query(`DROP TRIGGER fail_head ON "${s}".consent_chain_head`)
    const retried = await store.recordMany!(batch)
    expect([retried[0]!.seq, retried[149]!.seq, retried[0]!.prevHash]).toEqual([2, 151, first.hash])
    expect(await store.verify()).toMatchObject({ ok: true, checked: 151 })
    await store.close()
  })

  test('the event table refuses UPDATE, DELETE and TRUNCATE', async () => {
    const s = schema()
    const store = createPostgresStore({ pool, schema: s })
    await store.record(grant('c-1'))
    await expect(pool.query(`UPDATE "${s}".consent_events SET type = 'deny'`)).rejects.toThrow(/append-only/)
    await expect(pool.query(`DELETE FROM "${s}".consent_events`)).rejects.toThrow(/append-only/)
    await expect(pool.query(`TRUNCATE "${s}".consent_events`)).rejects.toThrow(/append-only/)
    expect((await store.verify()).ok).toBe(true)
    await store.close()
  })

  test('a schema migrated by a newer version is refused with schema-too-new', async () => {
    const s = schema()
    const store = createPostgresStore({ pool, schema: s })
    await store.verify()
    await store.close()
    await pool.query(`INSERT INTO "${s}".consent_schema_migrations (version) VALUES (2)`)
    const newer = createPostgresStore({ pool, schema: s })
    expect(await codeOf(() => newer.get('c-1'))).toBe('schema-too-new')
    await newer.close()
  })

  test('an injected pool stays open after close(); bad options are refused', async () => {
    const store = createPostgresStore({ pool, schema: schema() })
    await store.record(grant('c-1'))
    await store.close()
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }])
    expect(await codeOf(() => createPostgresStore({ pool, schema: 'bad"name' }))).toBe('invalid-option')
    expect(await codeOf(() => createPostgresStore({ pool: '' }))).toBe('invalid-option')
    expect(await codeOf(() => createPostgresStore({ pool: {} as never }))).toBe('invalid-option')
  })

  test('an unreachable server gives storage-failed, and nothing is reported as recorded', async () => {
    const store = createPostgresStore({ pool: 'postgres://postgres@127.0.0.1:1/test', schema: schema() })
    expect(await codeOf(() => store.record(grant('c-1')))).toBe('storage-failed')
    await store.close()
  })
})
