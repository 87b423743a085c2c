// SQLite under faults, through the HTTP endpoints a person would use:
// - the server process SIGKILLed while it records withdrawals and one-click
//   unsubscribes: every acknowledged (200) change is in the file, the chain verifies;
// - a full disk (a page-count limit, and a real 256 KB tmpfs when mounting is
//   allowed): `storage-failed` with SQLITE_FULL, a 503 page, nothing acknowledged
//   lost, writes resume when space is back;
// - a database locked by another connection: `busy` after the busy timeout,
//   a 503 page, and the same confirmation succeeds once the lock is gone.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createHandler, type ConsentChangeReport } from '../../src/http/index.js'
import { StoreError } from '../../src/store/errors.js'
import { createSqliteStore, type SqliteDatabaseLike } from '../../src/store/sqlite.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import type { Tokens } from '../../src/tokens/types.js'

type Database = SqliteDatabaseLike & { exec(sql: string): unknown }
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => Database

const child = fileURLToPath(new URL('./sqlite-http-child.mjs', import.meta.url))
const built = fileURLToPath(new URL('../../dist/http/node.js', import.meta.url))
const HUMAN_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'
const secret = randomBytes(32).toString('base64url')
const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
let dir: string

beforeAll(() => {
  if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  dir = mkdtempSync(join(tmpdir(), 'etc-rel-sqlite-'))
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function grantAll(store: ConsentStore, count: number): Promise<void> {
  const at = new Date(Date.now() - 86_400_000)
  for (let i = 0; i < count; i += 500) {
    await store.recordMany!(Array.from({ length: Math.min(500, count - i) }, (_, k) => ({ contactId: `c_${i + k}`, type: 'grant' as const, purposes: ['opens' as const, 'clicks' as const], at, source: 'form' as const })))
  }
}

async function eventsOf(store: ConsentStore): Promise<ConsentEvent[]> {
  const out: ConsentEvent[] = []
  for await (const e of store.export()) out.push(e)
  return out
}

/** A confirmed withdrawal as a browser sends it: the nonce the page would have carried, served 5 s ago. */
async function withdrawal(tokensOf: Tokens, contactId: string, servedAgoMs = 5000): Promise<{ path: string; body: string }> {
  const token = await tokensOf.sign({ purpose: 'withdraw', contactId, messageId: 'm_1' })
  const claims = await tokensOf.verify(token, { purpose: 'withdraw' })
  return { path: `/t/w/${token}`, body: `nonce=${encodeURIComponent(tokensOf.formNonce(claims, Date.now() - servedAgoMs))}` }
}

const form = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': HUMAN_UA }

describe('SQLite: SIGKILL of the server while it records', () => {
  test('every change the server acknowledged (200) is in the file, and the chain verifies', async () => {
    const file = join(dir, 'killed.db')
    const seed = createSqliteStore({ database: file })
    await grantAll(seed, 3000)
    await seed.close()
    const server = spawn(process.execPath, [child, file, secret], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    server.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: server.stdout! }).on('line', (line) => {
        const m = /^listening (\d+)$/.exec(line)
        if (m) resolve(Number(m[1]))
      })
      server.on('exit', () => reject(new Error(`server exited: ${stderr}`)))
    })
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => server.on('exit', (code, signal) => resolve(signal ?? code)))
    const acked: { contactId: string; kind: 'withdraw' | 'unsubscribe' }[] = []
    let failed = 0
    let next = 0
    let killed = false
    const worker = async () => {
      while (next < 3000) {
        const i = next++
        const contactId = `c_${i}`
        try {
          let res: Response
          if (i % 3 === 0) {
            const token = await tokens.sign({ purpose: 'unsubscribe', contactId })
            res = await fetch(`http://127.0.0.1:${port}/t/u/${token}`, { method: 'POST', headers: form, body: 'List-Unsubscribe=One-Click' })
          } else {
            const w = await withdrawal(tokens, contactId)
            res = await fetch(`http://127.0.0.1:${port}${w.path}`, { method: 'POST', headers: form, body: w.body })
          }
          await res.arrayBuffer()
          if (res.status === 200) acked.push({ contactId, kind: i % 3 === 0 ? 'unsubscribe' : 'withdraw' })
          else failed++
        } catch {
          failed++
        }
        if (!killed && acked.length >= 400) {
          killed = true
          server.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker))
    expect(await exited).toBe('SIGKILL')
    expect(acked.length).toBeGreaterThanOrEqual(400)
    expect(failed, 'requests after the kill fail').toBeGreaterThan(0)

    const store = createSqliteStore({ database: file })
    const events = await eventsOf(store)
    const verify = await store.verify()
    expect(verify.ok).toBe(true)
    const changed = new Map(events.filter((e) => e.type === 'withdraw' || e.type === 'unsubscribe').map((e) => [`${e.type}:${e.contactId}`, e]))
    for (const a of acked) expect(changed.has(`${a.kind}:${a.contactId}`), `${a.kind} of ${a.contactId} acknowledged but lost`).toBe(true)
    // The reopened file goes on: one more change continues the same chain.
    const more = await store.record({ contactId: 'c_after', type: 'grant', at: new Date(), source: 'api' })
    expect(more.seq).toBe(events.length + 1)
    await store.close()
    console.log(`[reliability] SQLite SIGKILL: ${acked.length} changes acknowledged before the kill, ${changed.size} stored, 0 lost, chain valid (${verify.checked} events)`)
  }, 120_000)
})

describe('SQLite: a full disk', () => {
  /** Records big events until the disk refuses one, then small ones until it refuses those too. */
  async function fillUntilFull(store: ConsentStore, prefix: string): Promise<{ acked: ConsentEvent[]; error: unknown }> {
    const acked: ConsentEvent[] = []
    let error: unknown
    for (const pad of [900, 0]) {
      for (let i = 0; ; i++) {
        if (i > 100_000) throw new Error('the disk never filled')
        try {
          const evidence: Record<string, string> = pad ? { pad: 'x'.repeat(pad) } : {}
          acked.push(await store.record({ id: `${prefix}-${pad}-${i}`, contactId: `c_${i % 50}`, type: 'grant', at: new Date(Date.now() - 1000), source: 'api', evidence }))
        } catch (err) {
          error = err
          break
        }
      }
    }
    return { acked, error }
  }

  async function expectFullDiskBehaviour(store: ConsentStore, makeRoom: () => void, label: string): Promise<void> {
    const initial = (await eventsOf(store)).length
    const { acked, error } = await fillUntilFull(store, label)
    expect(error).toBeInstanceOf(StoreError)
    expect((error as StoreError).code).toBe('storage-failed')
    expect(((error as StoreError).cause as { code?: string }).code).toBe('SQLITE_FULL')
    expect((error as StoreError).message).toMatch(/disk is full/)
    // Reads still work; every acknowledged event is there; the chain verifies.
    const ids = new Set((await eventsOf(store)).map((e) => e.id))
    for (const e of acked) expect(ids.has(e.id)).toBe(true)
    expect((await store.verify()).ok).toBe(true)
    // Through the endpoint: a confirmed withdrawal gets the 503 page and no change is claimed.
    const reports: ConsentChangeReport[] = []
    const handler = createHandler({ tokens, store, basePath: '/t', logger: { error: () => {}, warn: () => {} }, hooks: { onWithdraw: (r) => void reports.push(r) } })
    const w = await withdrawal(tokens, 'c_full')
    const res = await handler(new Request(`https://m.example.com${w.path}`, { method: 'POST', headers: form, body: w.body }))
    expect(res.status).toBe(503)
    expect(reports).toEqual([])
    // Space comes back: the same confirmation goes through, the chain continues.
    makeRoom()
    const again = await handler(new Request(`https://m.example.com${w.path}`, { method: 'POST', headers: form, body: w.body }))
    expect(again.status).toBe(200)
    expect(reports.flatMap((r) => r.events.map((e) => e.type))).toEqual(['withdraw'])
    const verify = await store.verify()
    expect(verify).toMatchObject({ ok: true, checked: initial + acked.length + 1 })
    console.log(`[reliability] SQLite full disk (${label}): ${acked.length} events acknowledged, then storage-failed/SQLITE_FULL and a 503 page; 0 lost; writes resumed`)
  }

  test('a page-count limit (PRAGMA max_page_count)', async () => {
    const db = new Database(join(dir, 'limited.db'))
    const store = createSqliteStore({ database: db })
    await store.record({ contactId: 'c_0', type: 'grant', at: new Date(), source: 'api' })
    const pages = Number(db.pragma('page_count', { simple: true }))
    db.pragma(`max_page_count = ${pages + 8}`)
    await expectFullDiskBehaviour(store, () => void db.pragma('max_page_count = 1000000'), 'page limit')
    await store.close()
    db.close()
  })

  test('a real 256 KB filesystem (tmpfs; skipped where mounting is not allowed)', async (context) => {
    const mount = join(dir, 'tmpfs')
    mkdirSync(mount)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount], { stdio: 'ignore' })
    } catch {
      console.warn('SQLite tmpfs test skipped: mounting a tmpfs is not allowed here (the page-count test covers SQLITE_FULL)')
      context.skip()
      return
    }
    try {
      // A filler file takes most of the space; removing it is the operator freeing the disk.
      const filler = join(mount, 'filler')
      writeFileSync(filler, Buffer.alloc(32 * 1024))
      const store = createSqliteStore({ database: join(mount, 'consent.db') })
      await expectFullDiskBehaviour(store, () => rmSync(filler), 'tmpfs 256 KB')
      await store.close()
    } finally {
      execFileSync('umount', [mount])
    }
  })
})

describe('SQLite: a database locked by another connection', () => {
  test('busy after the busy timeout, a 503 page, nothing written; the same confirmation succeeds once the lock is gone', async () => {
    const file = join(dir, 'locked.db')
    const store = createSqliteStore({ database: file, busyTimeoutMs: 200 })
    await grantAll(store, 5)
    const before = (await eventsOf(store)).length
    const locker = new Database(file)
    locker.exec('BEGIN EXCLUSIVE')
    try {
      const started = performance.now()
      const error = await store.record({ id: 'locked-1', contactId: 'c_1', type: 'deny', at: new Date(), source: 'api' }).catch((e: unknown) => e)
      expect(performance.now() - started).toBeGreaterThanOrEqual(150)
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe('busy')
      const opens: unknown[] = []
      const reports: ConsentChangeReport[] = []
      const handler = createHandler({ tokens, store, basePath: '/t', logger: { error: () => {}, warn: () => {} }, hooks: { onWithdraw: (r) => void reports.push(r), onOpen: (r) => void opens.push(r) } })
      // Readers are not blocked (WAL): the pixel still reads consent and reports the open.
      const pixel = await handler(new Request(`https://m.example.com/t/o/${await tokens.sign({ purpose: 'open', contactId: 'c_1' })}`, { headers: { 'user-agent': HUMAN_UA } }))
      expect(pixel.headers.get('content-type')).toBe('image/gif')
      expect(opens).toHaveLength(1)
      const w = await withdrawal(tokens, 'c_2')
      const res = await handler(new Request(`https://m.example.com${w.path}`, { method: 'POST', headers: form, body: w.body }))
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '60'])
      expect(reports).toEqual([])
      locker.exec('ROLLBACK')
      const again = await handler(new Request(`https://m.example.com${w.path}`, { method: 'POST', headers: form, body: w.body }))
      expect(again.status).toBe(200)
      const retried = await store.record({ id: 'locked-1', contactId: 'c_1', type: 'deny', at: new Date(Date.now() - 1), source: 'api' }).catch(() => undefined)
      expect(retried).toBeDefined()
      const events = await eventsOf(store)
      expect(events.slice(before).map((e) => [e.type, e.contactId])).toEqual([['withdraw', 'c_2'], ['deny', 'c_1']])
      expect((await store.verify()).ok).toBe(true)
    } finally {
      if (locker.inTransaction) locker.exec('ROLLBACK')
      locker.close()
      await store.close()
    }
  })
})
