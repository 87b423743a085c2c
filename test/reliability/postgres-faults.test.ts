// Postgres under faults (normal suite: connection drops only, never a server
// restart, which the stress variant does):
// - the store's connections terminated again and again (pg_terminate_backend)
//   in the middle of a campaign and of writes: every recipient is sent, every
//   acknowledged event is stored once, verify() passes, failures say
//   `storage-failed`;
// - two processes recording into the same store while their connections drop:
//   seq gapless, chain valid, nothing acknowledged lost.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import nodemailer from 'nodemailer'
import pg from 'pg'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { sendCampaign, type ConsentOutcome } from '../../src/nodemailer/index.js'
import { StoreError } from '../../src/store/errors.js'
import { createPostgresStore } from '../../src/store/postgres.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import { compile } from '../../src/transform.js'
import { databaseUrl, namedUrl, startWriter, terminate, uniqueName } from './postgres-faults.js'

const NOW = new Date('2026-11-20T10:00:00Z')
const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
const HTML = '<!doctype html><html><body><p>Autumn sale: <a href="https://shop.example.com/sale">shop</a></p></body></html>'

async function eventsOf(store: ConsentStore): Promise<ConsentEvent[]> {
  const out: ConsentEvent[] = []
  for await (const e of store.export()) out.push(e)
  return out
}

describe.skipIf(!databaseUrl)('Postgres: connections dropped', () => {
  const schemas: string[] = []
  let admin: pg.Pool

  beforeAll(() => {
    const built = fileURLToPath(new URL('../../dist/store/postgres.js', import.meta.url))
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
    admin = new pg.Pool({ connectionString: namedUrl(databaseUrl!, uniqueName('etc_rel_admin')), max: 2 })
  })
  afterAll(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`)
    await admin.end()
  })

  test('mid-campaign and mid-write: every recipient sent, every acknowledged event stored once, verify() passes', async () => {
    const schema = uniqueName('etc_rel_pg')
    schemas.push(schema)
    const app = uniqueName('etc_rel_store')
    const store = createPostgresStore({ pool: namedUrl(databaseUrl!, app), schema, poolSize: 6 })
    const COUNT = 2000
    const at = new Date('2026-05-02T09:00:00Z')
    for (let i = 0; i < COUNT; i += 500)
      await store.recordMany!(Array.from({ length: 500 }, (_, k) => ({ contactId: `c_${i + k}`, type: 'grant' as const, purposes: ['opens' as const, 'clicks' as const], at, source: 'form' as const })))

    let running = true
    let kills = 0
    const terminator = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 120))
        kills += await terminate(admin, app)
      }
    })()

    // Withdrawals recorded while the campaign runs; a failed write is retried with its id until acknowledged.
    const acked: ConsentEvent[] = []
    const codes = new Set<string>()
    const writer = (async () => {
      for (let i = 0; i < 400; i++) {
        const event = { id: `w-${i}`, contactId: `c_${i * 5}`, type: 'withdraw' as const, purposes: ['opens' as const, 'clicks' as const], at: new Date(Date.now() - 1000), source: 'withdrawal-link' as const }
        for (;;) {
          try {
            acked.push(await store.record(event))
            break
          } catch (err) {
            codes.add(err instanceof StoreError ? err.code : `not a StoreError: ${String(err)}`)
            await new Promise((r) => setTimeout(r, 20))
          }
        }
      }
    })()

    const compiled = compile({ html: HTML, text: 'Autumn sale: https://shop.example.com/sale\n' }, { tokens, baseUrl: 'https://t.example.com/m' })
    const outcomes: ConsentOutcome[] = []
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
      onMessage: (r) => outcomes.push(r.outcome),
    })
    await writer
    running = false
    await terminator

    expect(kills, 'connections were really terminated').toBeGreaterThan(0)
    expect(summary).toMatchObject({ sent: COUNT, failed: 0 })
    expect(summary.tracked + summary.untracked).toBe(COUNT)
    // A batch whose lookup lost its connection went out untracked, and says why.
    for (const o of outcomes) if (o.status === 'untracked') expect(['store-error', 'store-timeout', undefined]).toContain(o.fallback)
    expect([...codes].every((c) => c === 'storage-failed'), [...codes].join()).toBe(true)
    await store.close()

    const reader = createPostgresStore({ pool: databaseUrl!, schema })
    const events = await eventsOf(reader)
    const byId = new Map(events.map((e) => [e.id, e]))
    expect(byId.size).toBe(events.length)
    for (const a of acked) expect(byId.get(a.id) && [byId.get(a.id)!.seq, byId.get(a.id)!.hash], a.id).toEqual([a.seq, a.hash])
    expect(events.filter((e) => e.type === 'withdraw')).toHaveLength(400)
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1))
    expect((await reader.verify()).ok).toBe(true)
    await reader.close()
    console.log(
      `[reliability] Postgres drops mid-campaign: ${kills} connections terminated; ${summary.sent}/${COUNT} sent (${summary.tracked} tracked, ${summary.untracked} untracked, fallbacks ${JSON.stringify(summary.fallbacks)}), 0 failed; 400/400 acknowledged withdrawals stored once; verify ok`,
    )
  }, 300_000)

  test('two processes recording at once while their connections drop: seq gapless, chain valid, nothing acknowledged lost', async () => {
    const schema = uniqueName('etc_rel_pg')
    schemas.push(schema)
    const prefix = uniqueName('etc_rel_w')
    const setup = createPostgresStore({ pool: databaseUrl!, schema })
    await setup.verify()
    const a = startWriter(namedUrl(databaseUrl!, `${prefix}_a`), schema, 'a', 300)
    const b = startWriter(namedUrl(databaseUrl!, `${prefix}_b`), schema, 'b', 300)
    let running = true
    let kills = 0
    const terminator = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 100))
        kills += await terminate(admin, prefix)
      }
    })()
    const [da, db] = await Promise.all([a.done, b.done])
    running = false
    await terminator
    expect([da.code, db.code], `${da.stderr}${db.stderr}`).toEqual([0, 0])
    expect(kills).toBeGreaterThan(0)
    const events = await eventsOf(setup)
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1))
    const byId = new Map(events.map((e) => [e.id, e]))
    for (const ack of [...a.acks, ...b.acks]) expect([byId.get(ack.id)?.seq, byId.get(ack.id)?.hash]).toEqual([ack.seq, ack.hash])
    expect(a.acks.length + b.acks.length).toBe(600)
    expect(await setup.verify()).toMatchObject({ ok: true, checked: 600 })
    await setup.close()
    console.log(`[reliability] Postgres, two writer processes with ${kills} connections terminated: 600/600 acknowledged, ${da.retries + db.retries} retries, seq 1..600 gapless, verify ok`)
  }, 300_000)
})
