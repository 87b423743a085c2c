import { ConsentTrackingError } from '../lib/errors.js'

/**
 * Stable codes of {@link StoreError}. Input codes mean nothing was written;
 * `storage-failed` and `busy` mean the outcome of a write is unknown, so retry
 * with the same idempotency `id`.
 *
 * @example
 * ```ts
 * import { StoreError, type ConsentEventInput } from 'email-tracking-consent/store'
 * const event: ConsentEventInput = { id: 'form-7f3a', contactId: 'c_42', type: 'grant', at: new Date(), source: 'form' }
 * try { await store.record(event) } catch (err) {
 *   if (!(err instanceof StoreError)) throw err
 *   switch (err.code) {
 *     case 'busy': case 'storage-failed': await store.record(event); break // outcome unknown: retry with the same id
 *     case 'idempotency-conflict': console.error(`id ${event.id} was already used for another event`); break
 *     default: console.error(`refused, nothing written: ${err.code}`) // e.g. 'email-like-contact-id'
 *   }
 * }
 * ```
 */
export type StoreErrorCode =
  /** The event is not an object. */
  | 'invalid-event'
  /** The event has a member the store does not know (a typo such as `purpose` would otherwise widen a grant). */
  | 'unknown-field'
  /** The idempotency `id` is not a non-empty string of at most 128 characters without control characters. */
  | 'invalid-id'
  /** `contactId` is absent or empty. */
  | 'missing-contact-id'
  /** `contactId` is not a string, is longer than 256 characters or holds control characters. */
  | 'invalid-contact-id'
  /** `contactId` contains something shaped like an email address: ids must be opaque. */
  | 'email-like-contact-id'
  /** `type` is not one of the eight event types. */
  | 'unknown-type'
  /** `source` is not one of the known sources. */
  | 'unknown-source'
  /** `at` (or an export bound) is not a valid `Date` between 1900 and 9999. */
  | 'invalid-date'
  /** `at` lies further in the future than the store's allowed clock skew. */
  | 'future-date'
  /** `purposes` is not a non-empty array of `opens` / `clicks`. */
  | 'invalid-purposes'
  /** `noticeVersion` is not a non-empty string of at most 128 characters. */
  | 'invalid-notice-version'
  /** `evidence` is not a map of allowed keys to strings. */
  | 'invalid-evidence'
  /** `evidence` has more than 16 keys or a value above 1,024 UTF-8 bytes. */
  | 'evidence-too-large'
  /** The idempotency `id` was already recorded with different content. */
  | 'idempotency-conflict'
  /** `export()` got `since` after `until`. */
  | 'invalid-range'
  /** An adapter option is invalid (bad schema name, bad page size…). */
  | 'invalid-option'
  /** The optional driver package (`better-sqlite3`, `pg`) is not installed. */
  | 'driver-missing'
  /** The database was migrated by a newer version of this library. */
  | 'schema-too-new'
  /** A stored row cannot be read back as an event (it was tampered with or corrupted). */
  | 'corrupt-row'
  /** The database stayed locked by another writer beyond the busy timeout. */
  | 'busy'
  /** The database refused or lost the operation; the cause holds the driver error. */
  | 'storage-failed'
  /** The store was closed. */
  | 'closed'

/**
 * The error every store operation throws on purpose. Switch on `code`; the
 * message is for humans and may change.
 *
 * @example
 * ```ts
 * try {
 *   await store.record({ contactId: 'c_1', type: 'grant', at: new Date(), source: 'form' })
 * } catch (err) {
 *   if (err instanceof StoreError && err.code === 'email-like-contact-id') console.error('use an opaque id')
 *   else throw err
 * }
 * ```
 */
export class StoreError extends ConsentTrackingError<StoreErrorCode> {}
