import { describe, expect, test } from 'vitest'
import type { ConsentRecord } from '../../src/policy/types.js'
import { createMemoryStore, type ConsentEvent, type ConsentStore } from '../../src/store/index.js'
import { runStoreConformance, type StoreConformanceGroup } from '../../src/store/testing.js'

/** A store as a third party might write it: only the required members, no batch API, no probe. */
function minimalStore(): ConsentStore {
  const inner = createMemoryStore()
  return {
    record: (event) => inner.record(event),
    get: (id) => inner.get(id),
    getMany: (ids) => inner.getMany(ids),
    history: (id) => inner.history(id),
    export: (range) => inner.export(range),
    verify: () => inner.verify(),
    close: () => inner.close(),
  }
}

/** A store whose records let the last-recorded event win, ignoring `at`: the bug the ordering rule prevents. */
function lastWriteWinsStore(): ConsentStore {
  const store = minimalStore()
  const fold = async (contactId: string): Promise<ConsentRecord | null> => {
    const events: ConsentEvent[] = []
    for await (const e of store.history(contactId)) events.push(e)
    if (events.length === 0) return null
    const record: ConsentRecord = { contactId, opens: { status: 'unknown' }, clicks: { status: 'unknown' } }
    const status = { grant: 'granted', deny: 'denied', withdraw: 'withdrawn' } as const
    for (const e of events) {
      if (e.type in status) for (const p of e.purposes) record[p] = { status: status[e.type as keyof typeof status], at: e.at }
      if (e.type === 'collect') record.collectedAt = e.at
      if (e.type === 'inform') record.informedAt = e.at
      if (e.type === 'request') record.lastRequestAt = e.at
      if (e.type === 'unsubscribe' || e.type === 'resubscribe') record.subscribed = e.type === 'resubscribe'
    }
    return record
  }
  return {
    ...store,
    get: fold,
    async getMany(ids) {
      const out = new Map<string, ConsentRecord>()
      for (const id of ids) {
        const record = await fold(id)
        if (record) out.set(id, record)
      }
      return out
    },
  }
}

const only = (group: StoreConformanceGroup): Partial<Record<StoreConformanceGroup, boolean>> =>
  Object.fromEntries((['fold', 'idempotency', 'validation', 'ordering', 'streams', 'verify', 'tamper', 'concurrency', 'batch'] as const).map((g) => [g, g === group]))

describe('conformance suite on an adapter with only the required members', () => {
  runStoreConformance({ test, expect, createStore: minimalStore, capabilities: { batch: false } })
})

describe('conformance suite catches a store that lets late events win', () => {
  // Late-event cases must fail against this store (test.fails turns the expected failure into a pass);
  // on equal `at` the later-recorded event wins under both rules, so that case passes.
  const expectation = (name: string, fn: () => Promise<void>, timeout?: number): void =>
    (name.includes('on equal at') ? test : test.fails)(name, fn, timeout)
  runStoreConformance({ test: expectation, expect, createStore: lastWriteWinsStore, capabilities: only('ordering') })
})
