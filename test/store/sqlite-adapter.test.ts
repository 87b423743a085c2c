import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { StoreError } from '../../src/store/index.js'
import { loadDriver } from '../../src/store/sql/driver.js'
import { READ_NOW } from '../../src/store/read-now.js'
import { createSqliteStore } from '../../src/store/sqlite.js'

const dir = mkdtempSync(join(tmpdir(), 'etc-sqlite-adapter-'))
let n = 0
const file = (): string => join(dir, `s-${++n}.db`)
const grant = (contactId: string, extra = {}) => ({ contactId, type: 'grant' as const, at: new Date(Date.now() - 60_000), source: 'form' as const, ...extra })

afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function codeOf(work: () => unknown): Promise<string> {
  try {
    await work()
    return 'resolved'
  } catch (err) {
    return err instanceof StoreError ? err.code : `other: ${String(err)}`
  }
}

describe('SQLite synchronous reads (READ_NOW, for the pixel)', () => {
  type ReadNow = { get: unknown; now: (contactId: string) => unknown }
  const readNowOf = (store: object) => (store as Record<symbol, ReadNow | undefined>)[READ_NOW]

  test('answer what get() answers once the store has opened, undefined before, and closed after close()', async () => {
    const store = createSqliteStore({ database: file() })
    const readNow = readNowOf(store)!
    expect(readNow.get).toBe(store.get)
    // Not opened yet: only get() can answer (it creates the schema).
    expect(readNow.now('c-1')).toBeUndefined()
    await store.record(grant('c-1'))
    await store.record({ contactId: 'c-2', type: 'withdraw', purposes: ['opens'], at: new Date(Date.now() - 1_000), source: 'withdrawal-link' })
    for (const id of ['c-1', 'c-2', 'c-unknown', '', 'x'.repeat(300)]) expect(readNow.now(id)).toEqual(await store.get(id))
    expect(readNow.now('c-1')).toMatchObject({ contactId: 'c-1', opens: { status: 'granted' } })
    await store.close()
    expect(await codeOf(() => readNow.now('c-1'))).toBe('closed')
  })

  test('a broken row is a store error, as through get()', async () => {
    const path = file()
    const store = createSqliteStore({ database: path })
    await store.record(grant('c-1'))
    const db = new Database(path)
    db.prepare("UPDATE consent_records SET opens_status = 'maybe' WHERE contact_id = 'c-1'").run()
    db.close()
    const viaGet = await codeOf(() => store.get('c-1'))
    expect(await codeOf(() => readNowOf(store)!.now('c-1'))).toBe(viaGet)
    await store.close()
  })

  test('Postgres offers none: its reads wait on the network', async () => {
    const { createPostgresStore } = await import('../../src/store/postgres.js')
    const store = createPostgresStore({ pool: 'postgres://nobody@127.0.0.1:1/none' })
    expect(readNowOf(store)).toBeUndefined()
    await store.close()
  })
})

describe('SQLite adapter', () => {
  test('creates a versioned schema in WAL mode on first use, and reopens it as it was', async () => {
    const path = file()
    const store = createSqliteStore({ database: path })
    const first = await store.record(grant('c-1'))
    await store.close()

    const db = new Database(path, { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.prepare('SELECT version FROM consent_schema_migrations').all()).toEqual([{ version: 1 }])
    expect(db.prepare('SELECT name FROM sqlite_master WHERE type = ? ORDER BY name').all('table')).toEqual([
      { name: 'consent_chain_head' },
      { name: 'consent_events' },
      { name: 'consent_records' },
      { name: 'consent_schema_migrations' },
    ])
    db.close()

    const again = createSqliteStore({ database: path })
    expect(await again.get('c-1')).toEqual({ contactId: 'c-1', opens: { status: 'granted', at: first.at }, clicks: { status: 'granted', at: first.at } })
    const second = await again.record(grant('c-2'))
    expect([second.seq, second.prevHash]).toEqual([2, first.hash])
    expect((await again.verify()).ok).toBe(true)
    await again.close()
  })

  test('the event table refuses UPDATE and DELETE', async () => {
    const path = file()
    const store = createSqliteStore({ database: path })
    await store.record(grant('c-1'))
    await store.close()
    const db = new Database(path)
    expect(() => db.prepare("UPDATE consent_events SET type = 'deny'").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM consent_events').run()).toThrow(/append-only/)
    db.close()
  })

  test('a write that fails inside its transaction leaves nothing behind: no event, no record, the same chain head', async () => {
    const db = new Database(file())
    const store = createSqliteStore({ database: db })
    const first = await store.record(grant('c-1'))
    // The chain head is updated last; failing it must roll back the event and record rows written before it.
    db.exec(`CREATE TRIGGER fail_head BEFORE UPDATE ON consent_chain_head BEGIN SELECT RAISE(ABORT, 'injected failure'); END`)
    expect(await codeOf(() => store.record(grant('c-2')))).toBe('storage-failed')
    expect(await codeOf(() => store.recordMany!(Array.from({ length: 150 }, (_, i) => grant(`c-b${i}`))))).toBe('storage-failed')
    expect(db.prepare('SELECT (SELECT count(*) FROM consent_events) AS events, (SELECT count(*) FROM consent_records) AS records').get()).toEqual({ events: 1, records: 1 })
    expect(db.prepare('SELECT seq, hash FROM consent_chain_head').get()).toEqual({ seq: 1, hash: first.hash })
    expect(db.inTransaction).toBe(false)
    expect(await store.get('c-2')).toBeNull()
    db.exec('DROP TRIGGER fail_head')
    const second = await store.record(grant('c-2'))
    expect([second.seq, second.prevHash]).toEqual([2, first.hash])
    expect((await store.verify()).ok).toBe(true)
    await store.close()
    db.close()
  })

  test('a database migrated by a newer version is refused with schema-too-new', async () => {
    const path = file()
    const store = createSqliteStore({ database: path })
    await store.verify()
    await store.close()
    const db = new Database(path)
    db.prepare('INSERT INTO consent_schema_migrations (version, applied_at) VALUES (2, 0)').run()
    db.close()
    const newer = createSqliteStore({ database: path })
    expect(await codeOf(() => newer.get('c-1'))).toBe('schema-too-new')
    await newer.close()
  })

  test('an injected Database stays open after close(); a path it opened is closed', async () => {
    const db = new Database(file())
    const store = createSqliteStore({ database: db })
    await store.record(grant('c-1'))
    await store.close()
    expect(db.open).toBe(true)
    expect(db.prepare('SELECT count(*) AS n FROM consent_events').get()).toEqual({ n: 1 })
    db.close()
    expect(await codeOf(() => store.record(grant('c-2')))).toBe('closed')

    // A path: the store opens the file itself and close() releases every descriptor on it.
    const path = file()
    const owned = createSqliteStore({ database: path })
    await owned.record(grant('c-1'))
    const openOnPath = (): number =>
      existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path) } catch { return false } }).length : -1
    if (openOnPath() >= 0) expect(openOnPath()).toBeGreaterThan(0)
    await owned.close()
    if (openOnPath() >= 0) expect(openOnPath()).toBe(0)
  })

  test('a writer locked out beyond busyTimeoutMs gets busy, writes nothing, and succeeds once the lock is gone', async () => {
    const path = file()
    const store = createSqliteStore({ database: path, busyTimeoutMs: 50 })
    await store.record(grant('c-1'))
    const other = new Database(path)
    other.prepare('BEGIN IMMEDIATE').run()
    expect(await codeOf(() => store.record(grant('c-2')))).toBe('busy')
    other.prepare('ROLLBACK').run()
    other.close()
    expect(await store.get('c-2')).toBeNull()
    expect((await store.record(grant('c-2'))).seq).toBe(2)
    expect((await store.verify()).ok).toBe(true)
    await store.close()
  })

  test('two stores on one file interleave writes without breaking the chain', async () => {
    const path = file()
    const a = createSqliteStore({ database: path })
    const b = createSqliteStore({ database: path })
    await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).record(grant(`c-${i % 7}`, { id: `e-${i}` }))))
    expect(await a.verify()).toMatchObject({ ok: true, checked: 60 })
    expect((await b.getMany(['c-0', 'c-6'])).size).toBe(2)
    await a.close()
    await b.close()
  })

  test('options are checked', async () => {
    expect(await codeOf(() => createSqliteStore({ database: '' }))).toBe('invalid-option')
    expect(await codeOf(() => createSqliteStore({ database: {} as never }))).toBe('invalid-option')
    expect(await codeOf(() => createSqliteStore({ database: file(), synchronous: 'off' as never }))).toBe('invalid-option')
    expect(await codeOf(() => createSqliteStore({ database: file(), pageSize: 0 }))).toBe('invalid-option')
    expect(await codeOf(() => createSqliteStore({ database: join(dir, 'missing-dir', 'x.db') }))).toBe('storage-failed')
  })

  test('a missing driver says what to install', () => {
    let error: unknown
    try {
      loadDriver('better-sqlite3-not-installed')
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe('driver-missing')
    expect((error as StoreError).message).toContain('npm i better-sqlite3-not-installed')
  })
})
