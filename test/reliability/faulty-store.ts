// A consent store that fails on purpose, wrapped around a real one: every
// call throws, hangs, or returns corrupt records, as a broken database or
// driver would. Writes that "fail after writing" leave the event stored, as a
// lost acknowledgement does.
import type { ConsentRecord } from '../../src/policy/types.js'
import { StoreError } from '../../src/store/errors.js'
import type { ConsentEvent, ConsentEventInput, ConsentStore } from '../../src/store/types.js'

/** How the wrapped store misbehaves. */
export type Fault =
  | 'throws'
  | 'rejects'
  | 'hangs'
  | 'corrupt:status'
  | 'corrupt:shape'
  | 'corrupt:dates'
  | 'corrupt:other-contact'
  | 'corrupt:not-an-object'
  | 'corrupt:map'
  | 'ack-lost'

export const READ_FAULTS: readonly Fault[] = ['throws', 'rejects', 'hangs', 'corrupt:status', 'corrupt:shape', 'corrupt:dates', 'corrupt:other-contact', 'corrupt:not-an-object', 'corrupt:map']

const never = <T>(): Promise<T> => new Promise<T>(() => {})

/** What a corrupt row decodes to, per fault, for the contact asked about. */
function corrupt(fault: Fault, asked: string, real: ConsentRecord | null): unknown {
  const granted = { status: 'granted', at: new Date('2026-05-02T09:00:00Z') }
  switch (fault) {
    case 'corrupt:status':
      return { contactId: asked, opens: { status: 'yes please' }, clicks: { status: 1 } }
    case 'corrupt:shape':
      return { contactId: asked, opens: 'granted' }
    case 'corrupt:dates':
      return { contactId: asked, opens: { status: 'granted', at: new Date('garbage') }, clicks: { status: 'granted', at: 'yesterday' }, collectedAt: new Date(Number.NaN) }
    case 'corrupt:other-contact':
      // A row of another contact who granted everything (a mixed-up row or index).
      return { ...(real ?? {}), contactId: `${asked}_other`, opens: granted, clicks: granted, collectedAt: new Date('2026-05-01T00:00:00Z') }
    case 'corrupt:not-an-object':
      return 'granted'
    case 'corrupt:map':
      // A get() answering in getMany's shape.
      return new Map([[asked, real]])
    default:
      return real
  }
}

/** Wraps `store`; `fault` can be changed between calls. Counts the calls that failed. */
export function faultyStore(store: ConsentStore, initial: Fault): ConsentStore & { fault: Fault; failures: number } {
  const wrapper = {
    fault: initial,
    failures: 0,
    async get(contactId: string): Promise<ConsentRecord | null> {
      const f = wrapper.fault
      if (f === 'throws' || f === 'rejects' || f === 'hangs') return fail<ConsentRecord | null>(f)
      if (f === 'ack-lost') return store.get(contactId)
      wrapper.failures++
      return corrupt(f, contactId, await store.get(contactId)) as ConsentRecord | null
    },
    async getMany(ids: readonly string[]): Promise<Map<string, ConsentRecord>> {
      const f = wrapper.fault
      if (f === 'throws' || f === 'rejects' || f === 'hangs') return fail<Map<string, ConsentRecord>>(f)
      if (f === 'ack-lost') return store.getMany(ids)
      wrapper.failures++
      if (f === 'corrupt:map') return Object.fromEntries(ids.map((id) => [id, { contactId: id }])) as never
      const real = await store.getMany(ids)
      return new Map(ids.map((id) => [id, corrupt(f, id, real.get(id) ?? null) as ConsentRecord]))
    },
    async record(event: ConsentEventInput): Promise<ConsentEvent> {
      const f = wrapper.fault
      if (f === 'ack-lost') {
        // Written, but the acknowledgement never arrives: the caller must not claim it, and a retry must find it.
        await store.record(event)
        wrapper.failures++
        throw new StoreError('storage-failed', 'connection lost after the write')
      }
      if (f === 'throws' || f === 'rejects' || f === 'hangs') return fail<ConsentEvent>(f)
      return store.record(event)
    },
    async recordMany(events: readonly ConsentEventInput[]): Promise<ConsentEvent[]> {
      const f = wrapper.fault
      if (f === 'ack-lost') {
        await store.recordMany!(events)
        wrapper.failures++
        throw new StoreError('storage-failed', 'connection lost after the write')
      }
      if (f === 'throws' || f === 'rejects' || f === 'hangs') return fail<ConsentEvent[]>(f)
      return store.recordMany!(events)
    },
    history: (contactId: string) => store.history(contactId),
    export: (range?: { since?: Date; until?: Date }) => store.export(range),
    verify: () => store.verify(),
    close: () => store.close(),
  }
  function fail<T>(f: Fault): Promise<T> {
    wrapper.failures++
    if (f === 'hangs') return never<T>()
    if (f === 'throws') throw new Error('driver exploded')
    return Promise.reject(new StoreError('storage-failed', 'the database is down'))
  }
  return wrapper
}
