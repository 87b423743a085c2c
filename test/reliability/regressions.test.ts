// Regression tests of the bugs the reliability suites found in other modules,
// each small and direct (the suites that found them stay in this folder too).
import { randomBytes } from 'node:crypto'
import nodemailer from 'nodemailer'
import pg from 'pg'
import { describe, expect, test } from 'vitest'
import { createHandler, type OpenReport } from '../../src/http/index.js'
import { consentTracking, sendCampaign, sendWithConsent } from '../../src/nodemailer/index.js'
import { compile } from '../../src/transform.js'
import { databaseUrl, namedUrl, terminate, uniqueName } from './postgres-faults.js'
import type { ConsentRecord } from '../../src/policy/types.js'
import { StoreError } from '../../src/store/errors.js'
import { createMemoryStore } from '../../src/store/index.js'
import { createPostgresStore } from '../../src/store/postgres.js'
import type { ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'

const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15'

describe('HTTP handler on a store that hangs or answers garbage', () => {
  const granted = (contactId: string): ConsentRecord => ({
    contactId,
    opens: { status: 'granted', at: new Date('2026-05-02T09:00:00Z') },
    clicks: { status: 'granted', at: new Date('2026-05-02T09:00:00Z') },
    collectedAt: new Date('2026-05-01T00:00:00Z'),
  })
  const handlerOn = (get: ConsentStore['get'], opens: OpenReport[]) => {
    const store = { ...createMemoryStore(), get }
    return createHandler({ tokens, store, basePath: '/t', storeTimeoutMs: 200, logger: { error: () => {}, warn: () => {} }, hooks: { onOpen: (r) => void opens.push(r) } })
  }
  const fetchVia = (handler: ReturnType<typeof createHandler>, path: string) => handler(new Request(`https://m.example.com/t${path}`, { headers: { 'user-agent': UA } }))

  test('a store that never answers: the GIF and the 503 page come within storeTimeoutMs', async () => {
    const opens: OpenReport[] = []
    const handler = handlerOn(() => new Promise(() => {}), opens)
    const started = performance.now()
    const pixel = await fetchVia(handler, `/o/${await tokens.sign({ purpose: 'open', contactId: 'c_1' })}`)
    const page = await fetchVia(handler, `/p/${await tokens.sign({ purpose: 'preferences', contactId: 'c_1' })}`)
    expect(performance.now() - started).toBeLessThan(2000)
    expect([pixel.status, pixel.headers.get('content-type')]).toEqual([200, 'image/gif'])
    expect([page.status, page.headers.get('retry-after')]).toEqual([503, '60'])
    expect(opens).toEqual([])
  })

  test("another contact's record or a malformed one: no open reported, and a 503 page rather than a 500", async () => {
    for (const answer of [(id: string) => granted(`${id}_other`), (id: string) => ({ ...granted(id), opens: { status: 'yes please' } }) as unknown as ConsentRecord]) {
      const opens: OpenReport[] = []
      const handler = handlerOn(async (id) => answer(id), opens)
      const pixel = await fetchVia(handler, `/o/${await tokens.sign({ purpose: 'open', contactId: 'c_1' })}`)
      expect(pixel.headers.get('content-type')).toBe('image/gif')
      expect(opens).toEqual([])
      const page = await fetchVia(handler, `/p/${await tokens.sign({ purpose: 'preferences', contactId: 'c_1' })}`)
      expect(page.status).toBe(503)
    }
  })

  test('storeTimeoutMs must be a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => createHandler({ tokens, store: createMemoryStore(), storeTimeoutMs: bad })).toThrow(/storeTimeoutMs/)
  })
})

describe('Nodemailer plugin and campaign on a store that answers garbage', () => {
  const HTML = '<html><body><p><a href="https://shop.example.com/">Shop</a></p></body></html>'
  const other = (id: string): ConsentRecord => ({
    contactId: `${id}_other`,
    opens: { status: 'granted', at: new Date('2026-05-02T09:00:00Z') },
    clicks: { status: 'granted', at: new Date('2026-05-02T09:00:00Z') },
    collectedAt: new Date('2026-05-01T00:00:00Z'),
  })
  const options = { tokens, baseUrl: 'https://t.example.com/m', now: () => new Date('2026-11-20T10:00:00Z') }

  test("the plugin never tracks a message on another contact's record: untracked, store-error", async () => {
    const t = nodemailer.createTransport({ streamTransport: true, buffer: true })
    t.use('compile', consentTracking({ ...options, store: { get: async (id: string) => other(id) } }))
    const info = await sendWithConsent(t, { from: 'a@shop.example.com', to: 'ada@example.org', subject: 'x', html: HTML, consent: { contactId: 'c_1' } })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'store-error' })
    expect(info.message.toString()).not.toContain('https://t.example.com/m/')
  })

  test("the campaign sends untracked on another contact's record, and on a getMany that is not a Map", async () => {
    const compiled = compile({ html: HTML }, { tokens, baseUrl: 'https://t.example.com/m' })
    const recipients = [{ contactId: 'c_1', to: 'ada@example.org' }, { contactId: 'c_2', to: 'bob@example.org' }]
    const answers = [
      async (ids: readonly string[]) => new Map(ids.map((id) => [id, other(id)])),
      async (ids: readonly string[]) => Object.fromEntries(ids.map((id) => [id, other(id)])) as unknown as Map<string, ConsentRecord>,
    ]
    for (const getMany of answers) {
      const t = nodemailer.createTransport({ streamTransport: true, buffer: true })
      const summary = await sendCampaign(t, compiled, recipients, { store: { getMany }, category: 'marketing', now: options.now })
      expect(summary).toMatchObject({ sent: 2, tracked: 0, untracked: 2, failed: 0, fallbacks: { 'store-error': 2 } })
    }
  })
})

describe.skipIf(!databaseUrl)('Postgres store: a connection dropped inside a write transaction', () => {
  test('the write fails with storage-failed and the dropped client never becomes an unhandled error', async () => {
    const admin = new pg.Pool({ connectionString: databaseUrl!, max: 2 })
    const schema = uniqueName('etc_rel_reg')
    const app = uniqueName('etc_rel_reg_store')
    const store = createPostgresStore({ pool: namedUrl(databaseUrl!, app), schema, poolSize: 2 })
    const locker = await admin.connect()
    try {
      await store.verify()
      // Hold the chain head so the store's write waits inside its transaction, on a checked-out client.
      await locker.query('BEGIN')
      await locker.query(`SELECT seq FROM "${schema}".consent_chain_head FOR UPDATE`)
      const pending = store.record({ id: 'dropped-1', contactId: 'c_1', type: 'grant', at: new Date(Date.now() - 1000), source: 'api' }).catch((e: unknown) => e)
      await new Promise((r) => setTimeout(r, 300))
      expect(await terminate(admin, app)).toBeGreaterThan(0)
      const error = await pending
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe('storage-failed')
      await locker.query('ROLLBACK')
      // The pool replaces the dropped connection; the retry with the same id is written once.
      const stored = await store.record({ id: 'dropped-1', contactId: 'c_1', type: 'grant', at: new Date(Date.now() - 1000), source: 'api' }).catch(async () =>
        store.record({ id: 'dropped-1', contactId: 'c_1', type: 'grant', at: new Date(Date.now() - 1000), source: 'api' }),
      )
      expect(stored.seq).toBe(1)
      expect((await store.verify()).ok).toBe(true)
    } finally {
      locker.release()
      await store.close()
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.end()
    }
  })
})
