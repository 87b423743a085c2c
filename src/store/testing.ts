import type { ConsentRecord, Purpose, PurposeState } from '../policy/types.js'
import { consentEventHash, GENESIS_HASH } from './chain.js'
import { memoryLogOf, reindexMemoryLog } from './memory.js'
import { executorOf, type PgPoolLike } from './sql/postgres-binding.js'
import { postgresDialect } from './sql/postgres-dialect.js'
import { createSqlProbe, type EventEdit } from './sql/probe.js'
import type { SqliteDatabaseLike } from './sql/sqlite-binding.js'
import { sqliteDialect } from './sql/sqlite-dialect.js'
import { toConsentRecord } from './fold.js'
import type { ConsentEvent, ConsentEventInput, ConsentEventType, ConsentSource, ConsentStore } from './types.js'

export type { EventEdit } from './sql/probe.js'

/**
 * Direct access to the database behind a store, bypassing the adapter: the
 * suite reads rows to check what was really written, and tampers with them
 * to check that `verify()` notices. Tampering must go around any
 * append-only guard the adapter installs.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'email-tracking-consent/store'
 * import { memoryStoreProbe, type StoreProbe } from 'email-tracking-consent/store/testing'
 * const store = createMemoryStore()
 * const probe: StoreProbe = memoryStoreProbe(store)
 * const event = await store.record({ contactId: 'c_42', type: 'grant', at: new Date(), source: 'form' })
 * expect(await probe.readEvent(event.seq)).toEqual(event)
 * await probe.deleteEvent(event.seq)
 * expect((await store.verify()).ok).toBe(false)
 * ```
 */
export interface StoreProbe {
  /** The event row at `seq`, read straight from the database, or `undefined`. */
  readEvent(seq: number): Promise<ConsentEvent | undefined>
  /** Number of event rows in the database. */
  countEvents(): Promise<number>
  /** The materialized record row of a contact, read straight from the database, or `undefined`. */
  readRecord(contactId: string): Promise<ConsentRecord | undefined>
  /** Overwrites fields of the event at `seq` in place, leaving its hashes as they were. */
  editEvent(seq: number, edit: EventEdit): Promise<void>
  /** Removes the event at `seq`; the others keep their seq. */
  deleteEvent(seq: number): Promise<void>
  /** Exchanges the contents of the events at `a` and `b`; each position keeps its seq. */
  swapEvents(a: number, b: number): Promise<void>
  /** Inserts `event` as a row at `event.seq`, moving that row and every later one up by one seq; the chain head is not touched. */
  insertEvent(event: ConsentEvent): Promise<void>
}

/**
 * The matchers the suite uses; vitest's and Jest's `expect` fit.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest'
 * import type { ConformanceAssertion } from 'email-tracking-consent/store/testing'
 * const assertion: ConformanceAssertion = expect((await store.verify()).ok) // vitest's and Jest's assertions fit
 * assertion.toBe(true)
 * assertion.not.toBeNull()
 * ```
 */
export interface ConformanceAssertion {
  /** Asserts identity (`Object.is`) with `expected`. */
  toBe(expected: unknown): void
  /** Asserts deep (recursive) equality with `expected`. */
  toEqual(expected: unknown): void
  /** Asserts the value is `null`. */
  toBeNull(): void
  /** Asserts the value is `undefined`. */
  toBeUndefined(): void
  /** Asserts the value is a number strictly greater than `expected`. */
  toBeGreaterThan(expected: number): void
  /** Asserts the value is a string matching `expected`. */
  toMatch(expected: RegExp): void
  /** Asserts the value's `length` equals `expected`. */
  toHaveLength(expected: number): void
  readonly not: ConformanceAssertion
}

/**
 * An `expect` function (vitest, Jest).
 *
 * @example
 * ```ts
 * import { expect, test } from 'vitest'
 * import { runStoreConformance, type ConformanceExpect } from 'email-tracking-consent/store/testing'
 * // vitest's expect fits as is; a wrapper can tag every failure with the adapter's name.
 * const tagged: ConformanceExpect = (actual, message) => expect(actual, `[my-adapter] ${message ?? ''}`)
 * runStoreConformance({ test, expect: tagged, createStore: () => createMyStore() })
 * ```
 */
export type ConformanceExpect = (actual: unknown, message?: string) => ConformanceAssertion

/**
 * A `test` function (vitest, Jest): registers one named async test.
 *
 * @example
 * ```ts
 * import { test as nodeTest } from 'node:test'
 * import { runStoreConformance, type ConformanceTest } from 'email-tracking-consent/store/testing'
 * // node:test takes its timeout in an options object: adapt it to (name, fn, timeout).
 * const test: ConformanceTest = (name, fn, timeout) => void nodeTest(name, { timeout }, fn)
 * runStoreConformance({ test, expect, createStore: () => createMyStore() })
 * ```
 */
export type ConformanceTest = (name: string, fn: () => Promise<void>, timeout?: number) => void

/**
 * Groups of the suite, each switchable with {@link StoreConformanceOptions.capabilities}.
 *
 * @example
 * ```ts
 * import { runStoreConformance, type StoreConformanceGroup } from 'email-tracking-consent/store/testing'
 * // An adapter without recordMany, whose writes are serialized by a single process.
 * const capabilities: Partial<Record<StoreConformanceGroup, boolean>> = { batch: false, concurrency: false }
 * runStoreConformance({ test, expect, createStore: () => createMyStore(), capabilities })
 * ```
 */
export type StoreConformanceGroup =
  | 'fold'
  | 'idempotency'
  | 'validation'
  | 'ordering'
  | 'streams'
  | 'verify'
  | 'tamper'
  | 'concurrency'
  | 'batch'

/**
 * Options of {@link runStoreConformance}.
 *
 * @example
 * ```ts
 * import { describe, expect, test } from 'vitest'
 * import { createSqliteStore } from 'email-tracking-consent/store/sqlite'
 * import { runStoreConformance, type StoreConformanceOptions } from 'email-tracking-consent/store/testing'
 * const options: StoreConformanceOptions = {
 *   test, expect, timeout: 120_000,
 *   createStore: () => createSqliteStore({ database: ':memory:', pageSize: 16 }), // small pages: streams cross page boundaries
 * }
 * describe('sqlite store', () => runStoreConformance(options)) // no probe: the tamper group is skipped
 * ```
 */
export interface StoreConformanceOptions {
  /** The test framework's `test` (or `it`). */
  test: ConformanceTest
  /** The test framework's `expect`. */
  expect: ConformanceExpect
  /**
   * Makes a fresh, empty store; called once per test, and the suite closes
   * it. A store that streams in pages should be given a small page size
   * (e.g. 16) so the suite crosses page boundaries.
   */
  createStore: () => ConsentStore | Promise<ConsentStore>
  /** Gives direct database access to a store made by `createStore`. Without it the `tamper` group is skipped. */
  probe?: (store: ConsentStore) => StoreProbe | Promise<StoreProbe>
  /** Turns groups off (`false`) or on. All default on, except `tamper` without `probe`; turn `batch` off for a store without `recordMany`. */
  capabilities?: Partial<Record<StoreConformanceGroup, boolean>>
  /** Per-test timeout in milliseconds. Default 60,000. */
  timeout?: number
}

const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE
const TYPES: readonly ConsentEventType[] = ['collect', 'inform', 'grant', 'deny', 'withdraw', 'request', 'unsubscribe', 'resubscribe']
const SOURCES: readonly ConsentSource[] = ['form', 'preference-center', 'withdrawal-link', 'consent-email', 'import', 'verbal', 'third-party', 'api']

/** A small seeded PRNG (mulberry32), so randomized cases are reproducible without a dependency. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** The error code a promise rejects with, `'resolved'` if it does not, `'not-a-store-error'` for other errors. */
async function errorCode(work: Promise<unknown> | (() => Promise<unknown>)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work)
    return 'resolved'
  } catch (err) {
    const e = err as { name?: unknown; code?: unknown }
    return e && e.name === 'StoreError' && typeof e.code === 'string' ? e.code : 'not-a-store-error'
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The record the ordering rule defines, computed from a contact's whole
 * history independently of any store: per purpose and for `subscribed`,
 * the event with the greatest (`at`, `seq`); the earliest `collect`; the
 * latest `inform` and `request`. Adapter authors can compare their
 * materialized records against it.
 *
 * @example
 * ```ts
 * const history = []
 * for await (const event of store.history('c_42')) history.push(event)
 * expect(await store.get('c_42')).toEqual(expectedRecord('c_42', history))
 * ```
 */
export function expectedRecord(contactId: string, history: readonly ConsentEvent[]): ConsentRecord | null {
  if (history.length === 0) return null
  const later = (a: ConsentEvent | undefined, b: ConsentEvent): boolean =>
    !a || b.at.getTime() > a.at.getTime() || (b.at.getTime() === a.at.getTime() && b.seq > a.seq)
  const latest: Partial<Record<Purpose | 'subscription' | 'inform' | 'request', ConsentEvent>> = {}
  let firstCollect: ConsentEvent | undefined
  for (const e of history) {
    if (e.type === 'grant' || e.type === 'deny' || e.type === 'withdraw') {
      for (const p of e.purposes) if (later(latest[p], e)) latest[p] = e
    } else if (e.type === 'unsubscribe' || e.type === 'resubscribe') {
      if (later(latest.subscription, e)) latest.subscription = e
    } else if (e.type === 'inform' || e.type === 'request') {
      if (later(latest[e.type], e)) latest[e.type] = e
    } else if (e.type === 'collect') {
      if (!firstCollect || e.at.getTime() < firstCollect.at.getTime()) firstCollect = e
    }
  }
  const status = { grant: 'granted', deny: 'denied', withdraw: 'withdrawn' } as const
  const purpose = (e: ConsentEvent | undefined): PurposeState =>
    e ? { status: status[e.type as keyof typeof status], at: e.at } : { status: 'unknown' }
  const record: ConsentRecord = { contactId, opens: purpose(latest.opens), clicks: purpose(latest.clicks) }
  if (firstCollect) record.collectedAt = firstCollect.at
  if (latest.inform) record.informedAt = latest.inform.at
  if (latest.request) record.lastRequestAt = latest.request.at
  if (latest.subscription) record.subscribed = latest.subscription.type === 'resubscribe'
  return record
}

/**
 * Registers the consent-store conformance suite with the caller's test
 * framework. Every adapter of this package passes it; run it against your
 * own adapter to check it keeps the same contract (validation,
 * idempotency, the ordering rule, streaming order and bounds, tamper
 * detection, concurrent writers).
 *
 * @example
 * ```ts
 * import { describe, expect, test } from 'vitest'
 * import { createMemoryStore } from 'email-tracking-consent/store'
 * import { memoryStoreProbe, runStoreConformance } from 'email-tracking-consent/store/testing'
 *
 * describe('memory store', () => {
 *   runStoreConformance({ test, expect, createStore: () => createMemoryStore(), probe: memoryStoreProbe })
 * })
 * ```
 */
export function runStoreConformance(options: StoreConformanceOptions): void {
  const { test, expect, createStore } = options
  const timeout = options.timeout ?? 60_000
  const caps = options.capabilities ?? {}
  const enabled = (group: StoreConformanceGroup): boolean => caps[group] ?? (group === 'tamper' ? options.probe !== undefined : true)
  // Event times sit well in the past so the future-date check never interferes.
  const base = Math.floor((Date.now() - 400 * DAY) / MINUTE) * MINUTE
  const at = (minutes: number): Date => new Date(base + minutes * MINUTE)
  const event = (contactId: string, type: ConsentEventType, minutes: number, extra: Partial<ConsentEventInput> = {}): ConsentEventInput => ({
    contactId,
    type,
    at: at(minutes),
    source: 'api',
    ...extra,
  })

  const define = (group: StoreConformanceGroup, name: string, body: (store: ConsentStore) => Promise<void>): void => {
    if (!enabled(group)) return
    test(
      `${group}: ${name}`,
      async () => {
        const store = await createStore()
        try {
          if (group === 'batch' && typeof store.recordMany !== 'function') {
            throw new Error('this store has no recordMany(); pass capabilities: { batch: false }')
          }
          await body(store)
        } finally {
          await store.close()
        }
      },
      timeout,
    )
  }
  const probeOf = async (store: ConsentStore): Promise<StoreProbe> => {
    if (!options.probe) throw new Error('this group needs the probe option')
    return options.probe(store)
  }

  // ---- fold -------------------------------------------------------------
  define('fold', 'an unknown contact has no record, no history and is absent from getMany', async (store) => {
    expect(await store.get('c-unknown')).toBeNull()
    expect((await store.getMany(['c-unknown'])).size).toBe(0)
    expect(await collect(store.history('c-unknown'))).toEqual([])
  })

  define('fold', 'record() returns the stored event: normalized, sequenced and chained', async (store) => {
    const first = await store.record(event('c-1', 'grant', 1, { purposes: ['clicks', 'opens', 'clicks'], noticeVersion: 'v3', evidence: { ip: '192.0.2.1', formId: 'signup' } }))
    expect(first.seq).toBe(1)
    expect(first.contactId).toBe('c-1')
    expect(first.type).toBe('grant')
    expect(first.purposes).toEqual(['opens', 'clicks'])
    expect(first.at).toEqual(at(1))
    expect(first.source).toBe('api')
    expect(first.noticeVersion).toBe('v3')
    expect(first.evidence).toEqual({ formId: 'signup', ip: '192.0.2.1' })
    expect(first.id).toMatch(/\S/)
    expect(first.prevHash).toBe(GENESIS_HASH)
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(consentEventHash(first)).toBe(first.hash)
    expect(first.recordedAt.getTime()).toBeGreaterThan(Date.now() - DAY)
    const second = await store.record(event('c-1', 'collect', 0))
    expect(second.seq).toBe(2)
    expect(second.prevHash).toBe(first.hash)
    expect(second.purposes).toEqual(['opens', 'clicks'])
    expect(second.evidence).toEqual({})
    expect(second.noticeVersion).toBeUndefined()
    expect(second.recordedAt.getTime() >= first.recordedAt.getTime()).toBe(true)
  })

  define('fold', 'get() folds every event type into the record decide() reads', async (store) => {
    await store.record(event('c-1', 'collect', 0))
    await store.record(event('c-1', 'inform', 1))
    await store.record(event('c-1', 'request', 2))
    await store.record(event('c-1', 'grant', 3, { purposes: ['opens'] }))
    await store.record(event('c-1', 'deny', 4, { purposes: ['clicks'] }))
    await store.record(event('c-1', 'unsubscribe', 5))
    expect(await store.get('c-1')).toEqual({
      contactId: 'c-1',
      opens: { status: 'granted', at: at(3) },
      clicks: { status: 'denied', at: at(4) },
      collectedAt: at(0),
      informedAt: at(1),
      lastRequestAt: at(2),
      subscribed: false,
    })
    await store.record(event('c-1', 'withdraw', 6))
    await store.record(event('c-1', 'resubscribe', 7))
    expect(await store.get('c-1')).toEqual({
      contactId: 'c-1',
      opens: { status: 'withdrawn', at: at(6) },
      clicks: { status: 'withdrawn', at: at(6) },
      collectedAt: at(0),
      informedAt: at(1),
      lastRequestAt: at(2),
      subscribed: true,
    })
  })

  define('fold', 'collectedAt keeps the earliest collect; informedAt and lastRequestAt keep the latest', async (store) => {
    await store.record(event('c-1', 'collect', 50))
    await store.record(event('c-1', 'collect', 10))
    await store.record(event('c-1', 'collect', 90))
    await store.record(event('c-1', 'inform', 20))
    await store.record(event('c-1', 'inform', 80))
    await store.record(event('c-1', 'inform', 40))
    await store.record(event('c-1', 'request', 70))
    await store.record(event('c-1', 'request', 30))
    const record = await store.get('c-1')
    expect(record).toEqual({
      contactId: 'c-1',
      opens: { status: 'unknown' },
      clicks: { status: 'unknown' },
      collectedAt: at(10),
      informedAt: at(80),
      lastRequestAt: at(70),
    })
  })

  define('fold', 'getMany() returns exactly what get() returns, skips unknown ids and accepts duplicates', async (store) => {
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const id = `c-${i}`
      ids.push(id)
      await store.record(event(id, TYPES[i % TYPES.length]!, i, { purposes: i % 3 === 0 ? ['opens'] : undefined }))
    }
    const found = await store.getMany([...ids, 'c-unknown', ids[0]!, 'alice@example.com'])
    expect(found.size).toBe(40)
    for (const id of ids) expect(found.get(id)).toEqual(await store.get(id))
    expect(found.has('c-unknown')).toBe(false)
    expect((await store.getMany([])).size).toBe(0)
  })

  define('fold', 'returned objects are copies: mutating them changes nothing stored', async (store) => {
    const stored = await store.record(event('c-1', 'grant', 1, { evidence: { ip: '192.0.2.1' } }))
    stored.at.setTime(0)
    stored.evidence.ip = 'changed'
    stored.purposes.pop()
    const record = await store.get('c-1')
    record!.opens.at!.setTime(0)
    const [again] = await collect(store.history('c-1'))
    expect(again!.at).toEqual(at(1))
    expect(again!.evidence).toEqual({ ip: '192.0.2.1' })
    expect(again!.purposes).toEqual(['opens', 'clicks'])
    expect((await store.get('c-1'))!.opens).toEqual({ status: 'granted', at: at(1) })
  })

  define('fold', 'every event type from every source is accepted and read back exactly as record() returned it', async (store) => {
    const recorded: ConsentEvent[] = []
    for (const [t, type] of TYPES.entries()) {
      for (const [s, source] of SOURCES.entries()) {
        const stored = await store.record(
          event(`c-${s}`, type, t * SOURCES.length + s, { source, noticeVersion: `v${t}`, evidence: { ip: '192.0.2.1', formId: `f-${t}-${s}` } }),
        )
        expect([stored.type, stored.source]).toEqual([type, source])
        recorded.push(stored)
      }
    }
    expect(recorded).toHaveLength(64)
    expect(await collect(store.export())).toEqual(recorded)
    for (let s = 0; s < SOURCES.length; s++) {
      const history = await collect(store.history(`c-${s}`))
      expect(history).toEqual(recorded.filter((e) => e.contactId === `c-${s}`))
      expect(await store.get(`c-${s}`)).toEqual(expectedRecord(`c-${s}`, history))
    }
    expect((await store.verify()).ok).toBe(true)
  })

  define('fold', 'an id record() would refuse is simply unknown to get() and history()', async (store) => {
    expect(await store.get('alice@example.com')).toBeNull()
    expect(await collect(store.history('alice@example.com'))).toEqual([])
  })

  // ---- idempotency --------------------------------------------------------
  define('idempotency', 'recording the same id twice stores one event and returns it both times', async (store) => {
    const first = await store.record(event('c-1', 'grant', 1, { id: 'form-42' }))
    const again = await store.record(event('c-1', 'grant', 1, { id: 'form-42' }))
    expect(again).toEqual(first)
    const next = await store.record(event('c-1', 'withdraw', 2))
    expect(next.seq).toBe(2)
    expect(await collect(store.export())).toHaveLength(2)
  })

  define('idempotency', 'the same id with different content is an idempotency-conflict and writes nothing', async (store) => {
    await store.record(event('c-1', 'grant', 1, { id: 'form-42' }))
    expect(await errorCode(store.record(event('c-1', 'deny', 1, { id: 'form-42' })))).toBe('idempotency-conflict')
    expect(await errorCode(store.record(event('c-2', 'grant', 1, { id: 'form-42' })))).toBe('idempotency-conflict')
    expect(await errorCode(store.record(event('c-1', 'grant', 1, { id: 'form-42', evidence: { ip: '192.0.2.9' } })))).toBe('idempotency-conflict')
    expect(await collect(store.export())).toHaveLength(1)
    expect((await store.get('c-1'))!.opens.status).toBe('granted')
  })

  define('idempotency', 'events without an id get distinct generated ids', async (store) => {
    const a = await store.record(event('c-1', 'grant', 1))
    const b = await store.record(event('c-1', 'grant', 1))
    expect(a.id).toMatch(/\S/)
    expect(a.id === b.id).toBe(false)
    expect(b.seq).toBe(2)
  })

  define('idempotency', 'concurrent records of the same id store it once', async (store) => {
    const results = await Promise.all(Array.from({ length: 12 }, () => store.record(event('c-1', 'withdraw', 3, { id: 'retry-1' }))))
    for (const r of results) expect(r).toEqual(results[0])
    expect(await collect(store.export())).toHaveLength(1)
    expect((await store.verify()).ok).toBe(true)
  })

  define('idempotency', 'a conflicting id among concurrent writes fails alone', async (store) => {
    const outcomes = await Promise.allSettled([
      store.record(event('c-1', 'grant', 1, { id: 'dup' })),
      store.record(event('c-2', 'grant', 1)),
      store.record(event('c-1', 'deny', 1, { id: 'dup' })),
      store.record(event('c-3', 'grant', 1)),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect(await errorCode(Promise.reject((outcomes[2] as PromiseRejectedResult).reason))).toBe('idempotency-conflict')
    expect((await collect(store.export())).map((e) => e.contactId)).toEqual(['c-1', 'c-2', 'c-3'])
    expect((await store.verify()).ok).toBe(true)
  })

  // ---- validation -----------------------------------------------------------
  const now = Date.now()
  const good = (): ConsentEventInput => ({ contactId: 'c-1', type: 'grant', at: new Date(now - DAY), source: 'form' })
  const tooManyKeys = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))
  const bad: [string, unknown, string][] = [
    ['not an object', null, 'invalid-event'],
    ['an unknown field (typo of purposes)', { ...good(), purpose: ['opens'] }, 'unknown-field'],
    ['an unknown type', { ...good(), type: 'accept' }, 'unknown-type'],
    ['an unknown source', { ...good(), source: 'email' }, 'unknown-source'],
    ['a missing contactId', { ...good(), contactId: undefined }, 'missing-contact-id'],
    ['an empty contactId', { ...good(), contactId: '' }, 'missing-contact-id'],
    ['a numeric contactId', { ...good(), contactId: 42 }, 'invalid-contact-id'],
    ['a contactId with a NUL', { ...good(), contactId: 'c\u00001' }, 'invalid-contact-id'],
    ['an overlong contactId', { ...good(), contactId: 'c'.repeat(257) }, 'invalid-contact-id'],
    ['an email address as contactId', { ...good(), contactId: 'alice@example.com' }, 'email-like-contact-id'],
    ['an embedded, percent-encoded address', { ...good(), contactId: 'user:alice%40example.co.uk' }, 'email-like-contact-id'],
    ['a string date', { ...good(), at: '2026-01-01T00:00:00Z' }, 'invalid-date'],
    ['an invalid Date', { ...good(), at: new Date('not a date') }, 'invalid-date'],
    ['a date before 1900', { ...good(), at: new Date(Date.UTC(1800, 0, 1)) }, 'invalid-date'],
    ['a date a day ahead', { ...good(), at: new Date(now + DAY) }, 'future-date'],
    ['empty purposes', { ...good(), purposes: [] }, 'invalid-purposes'],
    ['an unknown purpose', { ...good(), purposes: ['opens', 'views'] }, 'invalid-purposes'],
    ['purposes as a string', { ...good(), purposes: 'opens' }, 'invalid-purposes'],
    ['17 evidence keys', { ...good(), evidence: tooManyKeys }, 'evidence-too-large'],
    ['a 1,026-byte evidence value', { ...good(), evidence: { userAgent: 'é'.repeat(513) } }, 'evidence-too-large'],
    ['a numeric evidence value', { ...good(), evidence: { ip: 1 } }, 'invalid-evidence'],
    ['an evidence key with a space', { ...good(), evidence: { 'user agent': 'x' } }, 'invalid-evidence'],
    ['evidence as an array', { ...good(), evidence: ['x'] }, 'invalid-evidence'],
    ['an empty noticeVersion', { ...good(), noticeVersion: '' }, 'invalid-notice-version'],
    ['an empty id', { ...good(), id: '' }, 'invalid-id'],
    ['an overlong id', { ...good(), id: 'i'.repeat(129) }, 'invalid-id'],
  ]
  define('validation', 'bad input gets a StoreError with a stable code and writes nothing', async (store) => {
    for (const [what, input, code] of bad) {
      expect(`${what}: ${await errorCode(() => store.record(input as ConsentEventInput))}`).toBe(`${what}: ${code}`)
    }
    expect(await collect(store.export())).toEqual([])
    expect(await store.get('c-1')).toBeNull()
    const ok = await store.record(good())
    expect(ok.seq).toBe(1)
  })

  define('validation', 'limits are inclusive: 16 keys of 1,024 bytes, a 256-character id, a one-minute-ahead date', async (store) => {
    const evidence = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i === 0 ? 'é'.repeat(512) : 'x'.repeat(1024)]))
    const stored = await store.record({ ...good(), contactId: 'c'.repeat(256), evidence, at: new Date(Date.now() + MINUTE) })
    expect(stored.evidence).toEqual(evidence)
    expect(await store.get('c'.repeat(256))).not.toBeNull()
    expect((await store.verify()).ok).toBe(true)
  })

  define('validation', 'export() refuses invalid bounds', async (store) => {
    expect(await errorCode(() => collect(store.export({ since: at(2), until: at(1) })))).toBe('invalid-range')
    expect(await errorCode(() => collect(store.export({ since: new Date('x') })))).toBe('invalid-date')
  })

  define('validation', 'a closed store refuses every call with closed', async (store) => {
    await store.record(good())
    await store.close()
    expect(await errorCode(store.record(good()))).toBe('closed')
    expect(await errorCode(store.get('c-1'))).toBe('closed')
    expect(await errorCode(() => collect(store.export()))).toBe('closed')
  })

  // ---- ordering -------------------------------------------------------------
  define('ordering', 'a late event older than the current state is logged but does not win', async (store) => {
    await store.record(event('c-1', 'grant', 20))
    const late = await store.record(event('c-1', 'withdraw', 10))
    expect((await store.get('c-1'))!.opens).toEqual({ status: 'granted', at: at(20) })
    const history = await collect(store.history('c-1'))
    expect(history.map((e) => e.type)).toEqual(['grant', 'withdraw'])
    expect(history[1]).toEqual(late)
    await store.record(event('c-1', 'resubscribe', 30))
    await store.record(event('c-1', 'unsubscribe', 25))
    expect((await store.get('c-1'))!.subscribed).toBe(true)
  })

  define('ordering', 'on equal at, the later-recorded event wins', async (store) => {
    await store.record(event('c-1', 'grant', 5))
    await store.record(event('c-1', 'withdraw', 5, { purposes: ['clicks'] }))
    expect(await store.get('c-1')).toEqual({
      contactId: 'c-1',
      opens: { status: 'granted', at: at(5) },
      clicks: { status: 'withdrawn', at: at(5) },
    })
    await store.record(event('c-1', 'unsubscribe', 6))
    await store.record(event('c-1', 'resubscribe', 6))
    expect((await store.get('c-1'))!.subscribed).toBe(true)
  })

  define('ordering', 'events recorded in shuffled order fold to the (at, seq) rule, per contact', async (store) => {
    const rand = random(20260414)
    const contacts = ['c-a', 'c-b', 'c-c']
    for (let i = 0; i < 120; i++) {
      const purposes: Purpose[][] = [['opens'], ['clicks'], ['opens', 'clicks']]
      await store.record(
        event(contacts[Math.floor(rand() * 3)]!, TYPES[Math.floor(rand() * TYPES.length)]!, Math.floor(rand() * 12), {
          purposes: purposes[Math.floor(rand() * 3)]!,
        }),
      )
    }
    const all = await store.getMany(contacts)
    for (const id of contacts) {
      const expected = expectedRecord(id, await collect(store.history(id)))
      expect(await store.get(id)).toEqual(expected)
      expect(all.get(id)).toEqual(expected)
    }
  })

  // ---- streams --------------------------------------------------------------
  define('streams', 'history() streams one contact in seq order; export() streams everything in seq order', async (store) => {
    const recorded: ConsentEvent[] = []
    for (let i = 0; i < 75; i++) recorded.push(await store.record(event(`c-${i % 3}`, TYPES[i % TYPES.length]!, 100 - i)))
    expect(await collect(store.export())).toEqual(recorded)
    for (let c = 0; c < 3; c++) {
      expect(await collect(store.history(`c-${c}`))).toEqual(recorded.filter((e) => e.contactId === `c-${c}`))
    }
  })

  define('streams', 'export() bounds are [since, until) on recordedAt', async (store) => {
    const batches: ConsentEvent[][] = []
    for (let b = 0; b < 3; b++) {
      const batch: ConsentEvent[] = []
      for (let i = 0; i < 5; i++) batch.push(await store.record(event(`c-${i}`, 'grant', b * 10 + i)))
      batches.push(batch)
      await sleep(25)
    }
    const all = batches.flat()
    const since = batches[1]![0]!.recordedAt
    const until = batches[2]![0]!.recordedAt
    const inRange = (e: ConsentEvent, s?: Date, u?: Date): boolean =>
      (!s || e.recordedAt.getTime() >= s.getTime()) && (!u || e.recordedAt.getTime() < u.getTime())
    const middle = await collect(store.export({ since, until }))
    expect(middle).toEqual(all.filter((e) => inRange(e, since, until)))
    expect(middle.length).toBeGreaterThan(0)
    expect(middle.some((e) => e.seq <= batches[0]![4]!.seq)).toBe(false)
    expect(middle.some((e) => e.seq >= batches[2]![0]!.seq)).toBe(false)
    expect(await collect(store.export({ since }))).toEqual(all.filter((e) => inRange(e, since)))
    expect(await collect(store.export({ until }))).toEqual(all.filter((e) => inRange(e, undefined, until)))
    expect(await collect(store.export({ since: until, until }))).toEqual([])
    expect(await collect(store.export({ since: new Date(Date.now() + DAY) }))).toEqual([])
  })

  define('streams', 'export() covers the events present when it started, not later ones', async (store) => {
    for (let i = 0; i < 40; i++) await store.record(event('c-1', 'grant', i))
    const iterator = store.export()[Symbol.asyncIterator]()
    const first = await iterator.next()
    expect(first.done).toBe(false)
    await store.record(event('c-2', 'grant', 50))
    let count = 1
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      count++
      expect(next.value.contactId).toBe('c-1')
    }
    expect(count).toBe(40)
  })

  // ---- verify ---------------------------------------------------------------
  define('verify', 'an empty store and an untouched log verify', async (store) => {
    expect(await store.verify()).toEqual({ ok: true, checked: 0, head: { seq: 0, hash: GENESIS_HASH } })
    let last: ConsentEvent | undefined
    for (let i = 0; i < 30; i++) last = await store.record(event(`c-${i % 4}`, 'grant', i))
    expect(await store.verify()).toEqual({ ok: true, checked: 30, head: { seq: 30, hash: last!.hash } })
  })

  // ---- tamper (probe) --------------------------------------------------------
  const seeded = async (store: ConsentStore, n = 12): Promise<ConsentEvent[]> => {
    const out: ConsentEvent[] = []
    for (let i = 0; i < n; i++) out.push(await store.record(event(`c-${i % 3}`, TYPES[i % TYPES.length]!, i, { evidence: { n: String(i) } })))
    return out
  }

  define('tamper', 'the rows in the database are exactly what record() returned', async (store) => {
    const probe = await probeOf(store)
    const events = await seeded(store)
    expect(await probe.countEvents()).toBe(events.length)
    for (const e of events) expect(await probe.readEvent(e.seq)).toEqual(e)
    for (const id of ['c-0', 'c-1', 'c-2']) expect(await probe.readRecord(id)).toEqual(await store.get(id))
    expect(await probe.readRecord('c-unknown')).toBeUndefined()
  })

  define('tamper', 'get() and getMany() read the materialized record, never replaying the event rows', async (store) => {
    const probe = await probeOf(store)
    await store.record(event('c-1', 'grant', 1))
    await store.record(event('c-1', 'unsubscribe', 2))
    const before = await store.get('c-1')
    expect(before).toEqual({ contactId: 'c-1', opens: { status: 'granted', at: at(1) }, clicks: { status: 'granted', at: at(1) }, subscribed: false })
    // Rewrite the rows behind the store's back: a lookup that replayed them would now see withdrawn / resubscribed.
    await probe.editEvent(1, { type: 'withdraw' })
    await probe.editEvent(2, { type: 'resubscribe' })
    expect((await probe.readEvent(1))!.type).toBe('withdraw')
    expect(await store.get('c-1')).toEqual(before)
    expect((await store.getMany(['c-1'])).get('c-1')).toEqual(before)
    expect(await probe.readRecord('c-1')).toEqual(before)
    expect((await store.verify()).reason).toBe('hash-mismatch')
  })

  define('tamper', 'verify() reports an edited row', async (store) => {
    const probe = await probeOf(store)
    const events = await seeded(store)
    await probe.editEvent(5, { type: 'grant', evidence: { n: 'forged' } })
    const last = events[events.length - 1]!
    expect(await store.verify()).toEqual({ ok: false, checked: 4, firstBadSeq: 5, reason: 'hash-mismatch', head: { seq: last.seq, hash: last.hash } })
  })

  define('tamper', 'verify() reports an edited date or contact', async (store) => {
    const probe = await probeOf(store)
    await seeded(store)
    await probe.editEvent(3, { at: at(1000) })
    const result = await store.verify()
    expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, 3, 'hash-mismatch'])
  })

  define('tamper', 'verify() reports a deleted row, including the last one', async (store) => {
    const probe = await probeOf(store)
    await seeded(store)
    await probe.deleteEvent(7)
    let result = await store.verify()
    expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, 7, 'seq-gap'])
    const other = await createStore()
    try {
      const otherProbe = await probeOf(other)
      await seeded(other)
      await otherProbe.deleteEvent(12)
      result = await other.verify()
      expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, 12, 'seq-gap'])
    } finally {
      await other.close()
    }
  })

  define('tamper', 'verify() reports reordered rows at the first moved one', async (store) => {
    const probe = await probeOf(store)
    await seeded(store)
    await probe.swapEvents(4, 9)
    const result = await store.verify()
    expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, 4, 'prev-hash-mismatch'])
    expect(result.checked).toBe(3)
  })

  define('tamper', 'verify() reports an inserted row, even one hashed correctly for its place', async (store) => {
    const probe = await probeOf(store)
    const events = await seeded(store)
    const before = events[5]!
    const forged: ConsentEvent = {
      ...events[6]!,
      id: 'forged-1',
      type: 'grant',
      seq: 7,
      prevHash: before.hash,
      hash: '',
    }
    forged.hash = consentEventHash(forged)
    await probe.insertEvent(forged)
    expect(await probe.countEvents()).toBe(13)
    const result = await store.verify()
    expect(result.ok).toBe(false)
    // The forged row itself chains correctly; the row it displaced no longer does.
    expect([result.firstBadSeq, result.reason]).toEqual([8, 'prev-hash-mismatch'])
  })

  define('tamper', 'verify() reports a row appended after the chain head', async (store) => {
    const probe = await probeOf(store)
    const events = await seeded(store)
    const last = events[events.length - 1]!
    const forged: ConsentEvent = { ...last, id: 'forged-2', seq: last.seq + 1, prevHash: last.hash, hash: '' }
    forged.hash = consentEventHash(forged)
    await probe.insertEvent(forged)
    const result = await store.verify()
    expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, last.seq + 1, 'head-mismatch'])
  })

  define('tamper', 'verify() reports a row that no longer reads as an event', async (store) => {
    const probe = await probeOf(store)
    await seeded(store)
    await probe.editEvent(2, { type: 'nonsense' as ConsentEventType })
    const result = await store.verify()
    expect([result.ok, result.firstBadSeq, result.reason]).toEqual([false, 2, 'bad-row'])
  })

  // ---- concurrency ----------------------------------------------------------
  define('concurrency', '200 concurrent record() calls on 20 contacts lose nothing and keep the chain valid', async (store) => {
    const rand = random(42)
    const inputs = Array.from({ length: 200 }, (_, i) =>
      event(`c-${i % 20}`, TYPES[Math.floor(rand() * TYPES.length)]!, Math.floor(rand() * 50), { id: `concurrent-${i}` }),
    )
    const results = await Promise.all(inputs.map((input) => store.record(input)))
    expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    const exported = await collect(store.export())
    expect(exported).toHaveLength(200)
    expect(new Set(exported.map((e) => e.id)).size).toBe(200)
    expect(await store.verify()).toEqual({ ok: true, checked: 200, head: { seq: 200, hash: exported[199]!.hash } })
    const records = await store.getMany(Array.from({ length: 20 }, (_, i) => `c-${i}`))
    for (let c = 0; c < 20; c++) {
      const history = await collect(store.history(`c-${c}`))
      expect(history).toHaveLength(10)
      expect(records.get(`c-${c}`)).toEqual(expectedRecord(`c-${c}`, history))
    }
  })

  // ---- batch ------------------------------------------------------------------
  define('batch', 'recordMany() appends in order, folds across the batch and returns one event per input', async (store) => {
    const results = await store.recordMany!([
      event('c-1', 'collect', 0),
      event('c-2', 'grant', 1, { id: 'b-1' }),
      event('c-1', 'grant', 2, { purposes: ['opens'] }),
      event('c-2', 'grant', 1, { id: 'b-1' }),
      event('c-1', 'withdraw', 1, { purposes: ['opens'] }),
    ])
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3, 2, 4])
    expect(results[3]).toEqual(results[1])
    expect(await collect(store.export())).toEqual([results[0], results[1], results[2], results[4]])
    expect((await store.get('c-1'))!.opens).toEqual({ status: 'granted', at: at(2) })
    expect(await store.recordMany!([])).toEqual([])
    expect((await store.verify()).ok).toBe(true)
  })

  define('batch', 'recordMany() is all or nothing', async (store) => {
    await store.record(event('c-1', 'grant', 0, { id: 'x-1' }))
    expect(await errorCode(store.recordMany!([event('c-2', 'grant', 1), { ...event('c-3', 'grant', 1), contactId: 'bob@example.org' }]))).toBe(
      'email-like-contact-id',
    )
    expect(await errorCode(store.recordMany!([event('c-2', 'grant', 1), event('c-1', 'deny', 0, { id: 'x-1' })]))).toBe('idempotency-conflict')
    expect(await errorCode(store.recordMany!([event('c-2', 'grant', 1, { id: 'y' }), event('c-2', 'deny', 1, { id: 'y' })]))).toBe(
      'idempotency-conflict',
    )
    expect(await collect(store.export())).toHaveLength(1)
    expect(await store.get('c-2')).toBeNull()
  })
}

/**
 * A probe on a store made by `createMemoryStore()`.
 *
 * @example
 * ```ts
 * runStoreConformance({ test, expect, createStore: () => createMemoryStore(), probe: memoryStoreProbe })
 * ```
 */
export function memoryStoreProbe(store: ConsentStore): StoreProbe {
  const log = memoryLogOf(store)
  if (!log) throw new Error('memoryStoreProbe needs a store made by createMemoryStore()')
  const find = (seq: number): number => log.events.findIndex((e) => e.seq === seq)
  const copy = (e: ConsentEvent): ConsentEvent => ({ ...e, purposes: [...e.purposes], evidence: { ...e.evidence }, at: new Date(e.at), recordedAt: new Date(e.recordedAt) })
  return {
    async readEvent(seq) {
      const i = find(seq)
      return i < 0 ? undefined : copy(log.events[i]!)
    },
    async countEvents() {
      return log.events.length
    },
    async readRecord(contactId) {
      const state = log.states.get(contactId)
      return state ? toConsentRecord(state) : undefined
    },
    async editEvent(seq, edit) {
      const i = find(seq)
      if (i < 0) throw new Error(`no event at seq ${seq}`)
      log.events[i] = { ...log.events[i]!, ...edit }
      reindexMemoryLog(log)
    },
    async deleteEvent(seq) {
      const i = find(seq)
      if (i < 0) throw new Error(`no event at seq ${seq}`)
      log.events.splice(i, 1)
      reindexMemoryLog(log)
    },
    async swapEvents(a, b) {
      const i = find(a)
      const j = find(b)
      if (i < 0 || j < 0) throw new Error(`no event at seq ${i < 0 ? a : b}`)
      const ea = log.events[i]!
      const eb = log.events[j]!
      log.events[i] = { ...eb, seq: a }
      log.events[j] = { ...ea, seq: b }
      reindexMemoryLog(log)
    },
    async insertEvent(event) {
      let i = log.events.findIndex((e) => e.seq >= event.seq)
      if (i < 0) i = log.events.length
      for (let k = i; k < log.events.length; k++) log.events[k] = { ...log.events[k]!, seq: log.events[k]!.seq + 1 }
      log.events.splice(i, 0, copy(event))
      reindexMemoryLog(log)
    },
  }
}

/**
 * A probe on the SQLite database behind a store made by `createSqliteStore`.
 * Pass the same better-sqlite3 `Database` (or another connection to the
 * same file).
 *
 * @example
 * ```ts
 * const db = new Database(file)
 * runStoreConformance({ test, expect, createStore: () => createSqliteStore({ database: db }), probe: () => sqliteStoreProbe(db) })
 * ```
 */
export function sqliteStoreProbe(database: SqliteDatabaseLike): StoreProbe {
  const run = (sql: string, params: readonly unknown[] = []): unknown => database.prepare(sql).run(...params)
  return createSqlProbe(sqliteDialect, {
    all: (sql, params = []) => database.prepare(sql).all(...params) as Record<string, unknown>[],
    async tamper(statements) {
      run('BEGIN IMMEDIATE')
      try {
        for (const [sql, params] of statements) run(sql, params)
        run('COMMIT')
      } catch (err) {
        if (database.inTransaction) run('ROLLBACK')
        throw err
      }
    },
  })
}

/**
 * A probe on the Postgres schema behind a store made by
 * `createPostgresStore`. Tampering disables the append-only triggers inside
 * its own transaction, which needs the table owner's rights.
 *
 * @example
 * ```ts
 * runStoreConformance({ test, expect, createStore: () => createPostgresStore({ pool, schema }), probe: () => postgresStoreProbe(pool, { schema }) })
 * ```
 */
export function postgresStoreProbe(pool: PgPoolLike, options: { schema?: string } = {}): StoreProbe {
  const d = postgresDialect(options.schema ?? 'public')
  const reader = executorOf(pool)
  return createSqlProbe(d, {
    all: (sql, params) => reader.all(sql, params),
    async tamper(statements) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        for (const [sql, params] of statements) await client.query(sql, [...params])
        await client.query('COMMIT')
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw err
      } finally {
        client.release()
      }
    },
  })
}
