import type { ConsentRecord } from '../policy/types.js'
import type { ConsentStore } from './types.js'

/**
 * The key under which stores of this package that can read without waiting
 * (memory, and SQLite through better-sqlite3's synchronous calls) offer
 * `get()` without a promise to this package's HTTP handler, so a pixel hit
 * can be answered within the request event. A registry symbol, so it holds
 * across the ESM and CJS builds.
 */
export const READ_NOW: unique symbol = Symbol.for('email-tracking-consent.read-now') as never

/** What a store holds under {@link READ_NOW}. */
export interface ReadNow {
  /** The `get` it stands for: a caller uses `now` only while `store.get` is still this one (not replaced or spied on). */
  get: ConsentStore['get']
  /**
   * `get()`'s record (or `null`), or its error thrown; `undefined` when only
   * `get()` can answer now (the store is still opening). The record may be
   * the store's own: the caller reads it at once and neither changes nor keeps it.
   */
  now: (contactId: string) => ConsentRecord | null | undefined
}

/** Attaches {@link READ_NOW} to `store`, not enumerable: spreading or logging the store shows only its documented members. */
export function offerReadNow(store: ConsentStore, now: ReadNow['now']): void {
  const readNow: ReadNow = { get: store.get, now }
  Object.defineProperty(store, READ_NOW, { value: readNow })
}
