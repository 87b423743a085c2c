import type { ConsentRecord } from '../policy/types.js'
import { planAppend, randomEventId, type ChainHead } from './append.js'
import { GENESIS_HASH } from './chain.js'
import { StoreError } from './errors.js'
import { toConsentRecord, type ContactState } from './fold.js'
import { checkExportRange, cloneEvent } from './event-utils.js'
import type { ConsentEvent, ConsentEventInput, ConsentStore, VerifyResult } from './types.js'
import { DEFAULT_MAX_FUTURE_SKEW_MS, normalizeEvent } from './validate.js'
import { offerReadNow } from './read-now.js'
import { ChainWalk, isReadableEvent } from './verify.js'

/**
 * Options of {@link createMemoryStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore, type MemoryStoreOptions } from 'email-tracking-consent/store'
 * // A fixed clock makes `recordedAt` (and so every hash) reproducible in tests.
 * const options: MemoryStoreOptions = { clock: () => new Date('2026-11-02T09:00:00Z'), maxFutureSkewMs: 60_000 }
 * const store = createMemoryStore(options)
 * ```
 */
export interface MemoryStoreOptions {
  /** How far ahead of the clock an event's `at` may be, in milliseconds. Default 300,000 (5 minutes). */
  maxFutureSkewMs?: number
  /** The store's clock, for `recordedAt` and the future-date check. Default `() => new Date()`. */
  clock?: () => Date
}

/** The memory store's data, reachable by the conformance probe (`store/testing`) only. */
export interface MemoryLog {
  /** Events in log order; the probe may tamper with this array. */
  events: ConsentEvent[]
  byId: Map<string, ConsentEvent>
  byContact: Map<string, ConsentEvent[]>
  states: Map<string, ContactState>
  head: ChainHead
}

const logs = new WeakMap<ConsentStore, MemoryLog>()

/** The internal log of a store made by {@link createMemoryStore}, or `undefined`. */
export function memoryLogOf(store: ConsentStore): MemoryLog | undefined {
  return logs.get(store)
}

/** Rebuilds the id and contact indexes after the log array was edited directly. */
export function reindexMemoryLog(log: MemoryLog): void {
  log.byId = new Map(log.events.map((e) => [e.id, e]))
  log.byContact = new Map()
  for (const e of log.events) {
    const list = log.byContact.get(e.contactId)
    if (list) list.push(e)
    else log.byContact.set(e.contactId, [e])
  }
}

/**
 * A consent store held in memory, for tests and examples. It behaves like the
 * SQL adapters (validation, idempotency, ordering rule, hash chain) but
 * forgets everything when the process ends.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'email-tracking-consent/store'
 * const store = createMemoryStore()
 * await store.record({ contactId: 'c_42', type: 'grant', purposes: ['opens'], at: new Date(), source: 'form' })
 * const consent = await store.get('c_42') // { contactId: 'c_42', opens: { status: 'granted', at }, clicks: { status: 'unknown' } }
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): ConsentStore {
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS
  const clock = options.clock ?? (() => new Date())
  const log: MemoryLog = { events: [], byId: new Map(), byContact: new Map(), states: new Map(), head: { seq: 0, hash: GENESIS_HASH } }
  let closed = false

  const ensureOpen = (): void => {
    if (closed) throw new StoreError('closed', 'the store is closed')
  }

  const append = (inputs: readonly ConsentEventInput[]): ConsentEvent[] => {
    ensureOpen()
    const now = clock()
    const batch = inputs.length > 1
    const events = inputs.map((input, i) => normalizeEvent(input, { now: now.getTime(), maxFutureSkewMs }, batch ? `event ${i}: ` : ''))
    const existing = new Map<string, ConsentEvent>()
    for (const e of events) {
      const stored = e.id === undefined ? undefined : log.byId.get(e.id)
      if (stored) existing.set(stored.id, stored)
    }
    const plan = planAppend({ head: log.head, now, events, existing, states: log.states, newId: randomEventId })
    for (const event of plan.inserted) {
      log.events.push(event)
      log.byId.set(event.id, event)
      const list = log.byContact.get(event.contactId)
      if (list) list.push(event)
      else log.byContact.set(event.contactId, [event])
    }
    for (const [contactId, state] of plan.states) log.states.set(contactId, state)
    log.head = plan.head
    return plan.results.map(cloneEvent)
  }

  // A contact id that fails validation was never recorded, so the lookup alone answers for it.
  const stateOf = (contactId: string): ContactState | undefined => {
    ensureOpen()
    return typeof contactId === 'string' ? log.states.get(contactId) : undefined
  }

  const store: ConsentStore = {
    async record(event: ConsentEventInput): Promise<ConsentEvent> {
      return append([event])[0]!
    },

    async recordMany(events: readonly ConsentEventInput[]): Promise<ConsentEvent[]> {
      if (!Array.isArray(events)) throw new StoreError('invalid-event', 'recordMany takes an array of events')
      return events.length === 0 ? (ensureOpen(), []) : append(events)
    },

    async get(contactId: string): Promise<ConsentRecord | null> {
      const state = stateOf(contactId)
      return state ? toConsentRecord(state) : null
    },

    async getMany(contactIds: readonly string[]): Promise<Map<string, ConsentRecord>> {
      ensureOpen()
      const out = new Map<string, ConsentRecord>()
      for (const id of contactIds) {
        const state = typeof id === 'string' ? log.states.get(id) : undefined
        if (state) out.set(id, toConsentRecord(state))
      }
      return out
    },

    async *history(contactId: string): AsyncGenerator<ConsentEvent> {
      ensureOpen()
      const list = log.byContact.get(contactId)
      if (!list) return
      const end = list.length
      for (let i = 0; i < end; i++) yield cloneEvent(list[i]!)
    },

    async *export(range: { since?: Date; until?: Date } = {}): AsyncGenerator<ConsentEvent> {
      ensureOpen()
      const { since, until } = checkExportRange(range)
      const end = log.events.length
      for (let i = 0; i < end; i++) {
        const event = log.events[i]!
        const t = event.recordedAt.getTime()
        if ((since === undefined || t >= since.getTime()) && (until === undefined || t < until.getTime())) yield cloneEvent(event)
      }
    },

    async verify(): Promise<VerifyResult> {
      ensureOpen()
      const walk = new ChainWalk()
      const head = log.head
      for (const event of log.events) {
        if (event.seq > head.seq) break
        if (!walk.check(isReadableEvent(event) ? event : { seq: event.seq, unreadable: true })) break
      }
      const beyond = log.events.find((e) => e.seq > head.seq)
      return walk.finish(head, beyond?.seq)
    },

    async close(): Promise<void> {
      closed = true
    },
  }
  logs.set(store, log)
  // States are replaced, never changed, on each event: the handler may read one as it is (read-only, see ReadNow).
  offerReadNow(store, (contactId) => stateOf(contactId) ?? null)
  return store
}
