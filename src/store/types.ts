import type { ConsentRecord, Purpose } from '../policy/types.js'

/**
 * What happened. See README "Consent events".
 *
 * @example
 * ```ts
 * import type { ConsentEventType } from 'email-tracking-consent/store'
 * const type: ConsentEventType = accepted ? 'grant' : 'deny'
 * await store.record({ contactId: 'c_42', type, purposes: ['opens', 'clicks'], at: new Date(), source: 'form' })
 * ```
 */
export type ConsentEventType =
  | 'collect'
  | 'inform'
  | 'grant'
  | 'deny'
  | 'withdraw'
  | 'request'
  | 'unsubscribe'
  | 'resubscribe'

/**
 * Where the event came from.
 *
 * @example
 * ```ts
 * import type { ConsentSource } from 'email-tracking-consent/store'
 * // A consent given over the phone and entered by support staff.
 * const source: ConsentSource = 'verbal'
 * await store.record({ contactId: 'c_42', type: 'grant', at: new Date(), source, evidence: { agent: 'support-17' } })
 * ```
 */
export type ConsentSource =
  | 'form'
  | 'preference-center'
  | 'withdrawal-link'
  | 'consent-email'
  | 'import'
  | 'verbal'
  | 'third-party'
  | 'api'

/**
 * Small string map of proof: ip, userAgent, formId, screenshot, messageId, tokenId…
 *
 * @example
 * ```ts
 * import type { Evidence } from 'email-tracking-consent/store'
 * const evidence: Evidence = { formId: 'signup-2026', ip: '203.0.113.7', userAgent: request.headers.get('user-agent') ?? '' }
 * await store.record({ contactId: 'c_42', type: 'grant', at: new Date(), source: 'form', noticeVersion: '2026-11', evidence })
 * ```
 */
export type Evidence = Record<string, string>

/**
 * An event to record.
 *
 * @example
 * ```ts
 * import type { ConsentEventInput } from 'email-tracking-consent/store'
 * // Consents collected by a previous tool: `at` lies in the past, `id` makes the import safe to re-run.
 * const inputs: ConsentEventInput[] = rows.map((row) => ({
 *   id: `import-${row.id}`, contactId: row.contactId, type: 'grant', purposes: ['opens'],
 *   at: new Date(row.grantedAt), source: 'import', noticeVersion: '2025-03',
 * }))
 * if (store.recordMany) await store.recordMany(inputs)
 * else for (const input of inputs) await store.record(input)
 * ```
 */
export interface ConsentEventInput {
  /** Idempotency key: recording the same id twice stores one event. */
  id?: string
  contactId: string
  type: ConsentEventType
  /** Purposes concerned (for grant, deny, withdraw). Default: both. */
  purposes?: Purpose[]
  /** When it happened (may be in the past, e.g. an import). */
  at: Date
  source: ConsentSource
  /** Version of the information notice the contact saw. */
  noticeVersion?: string
  evidence?: Evidence
}

/**
 * An event as stored: validated, sequenced and chained.
 *
 * @example
 * ```ts
 * import type { ConsentEvent } from 'email-tracking-consent/store'
 * const stored: ConsentEvent = await store.record({ contactId: 'c_42', type: 'withdraw', at: new Date(), source: 'withdrawal-link' })
 * stored.seq      // its position in the log, e.g. 1042
 * stored.purposes // ['opens', 'clicks']: both, when none were given
 * stored.hash     // SHA-256 (hex) chaining it to stored.prevHash
 * ```
 */
export interface ConsentEvent extends Required<Pick<ConsentEventInput, 'contactId' | 'type' | 'at' | 'source'>> {
  id: string
  purposes: Purpose[]
  noticeVersion?: string
  evidence: Evidence
  /** Position in the log, 1-based, gapless. */
  seq: number
  /** When the store wrote it. */
  recordedAt: Date
  /** `hash` of the previous event (64 zeros for the first). */
  prevHash: string
  /** SHA-256 (hex) over the canonical event and `prevHash`. */
  hash: string
}

/**
 * Result of {@link ConsentStore.verify}.
 *
 * @example
 * ```ts
 * import type { VerifyResult } from 'email-tracking-consent/store'
 * const result: VerifyResult = await store.verify()
 * if (result.ok) console.log(`chain intact: ${result.checked} events, head ${result.head?.seq} ${result.head?.hash}`)
 * else console.error(`log altered at seq ${result.firstBadSeq}: ${result.reason}`) // e.g. 'hash-mismatch'
 * ```
 */
export interface VerifyResult {
  ok: boolean
  /** Events checked. */
  checked: number
  /** First sequence number whose row is wrong, when `ok` is false. */
  firstBadSeq?: number
  /**
   * Why that row is wrong: `hash-mismatch` (content edited), `prev-hash-mismatch`
   * (row deleted, moved or inserted before it), `seq-gap` (row missing),
   * `bad-row` (unreadable as an event), `head-mismatch` (rows cut off or added
   * after the chain head the store recorded).
   */
  reason?: string
  /**
   * The chain head the store recorded when the walk started. Keep `hash`
   * somewhere outside the database (a log, a ticket, a signed email): a later
   * `verify()` whose chain no longer passes through it proves a rewrite.
   */
  head?: { seq: number; hash: string }
}

/**
 * The accountability file: an append-only, hash-chained log of consent events.
 *
 * @example
 * ```ts
 * import type { ConsentStore } from 'email-tracking-consent/store'
 * import { createSqliteStore } from 'email-tracking-consent/store/sqlite'
 * const store: ConsentStore = createSqliteStore({ database: 'consent.db' })
 * await store.record({ contactId: 'c_42', type: 'unsubscribe', at: new Date(), source: 'preference-center' })
 * const record = await store.get('c_42') // { contactId: 'c_42', opens: …, clicks: …, subscribed: false }
 * for await (const event of store.history('c_42')) console.log(event.seq, event.type, event.at)
 * await store.close()
 * ```
 */
export interface ConsentStore {
  /**
   * Validates and appends an event; returns it as stored. Throws `StoreError`
   * and writes nothing on bad input. Recording an `id` again returns the event
   * stored the first time (or throws `idempotency-conflict` if the content
   * differs), so a write whose outcome is unknown can be retried safely.
   */
  record(event: ConsentEventInput): Promise<ConsentEvent>
  /**
   * Optional batch form of {@link ConsentStore.record}: validates every event
   * first, then appends them in order in one transaction (all or nothing).
   * Returns one stored event per input, in input order. Adapters of this
   * package implement it; callers should fall back to `record()` when absent.
   */
  recordMany?(events: readonly ConsentEventInput[]): Promise<ConsentEvent[]>
  /**
   * The current record (the fold of the contact's events, read from its
   * materialized row, never by replaying history), or `null` for an unknown
   * contact. An id `record()` would refuse is simply unknown.
   */
  get(contactId: string): Promise<ConsentRecord | null>
  /** Records for many contacts (duplicates allowed); unknown ones are absent from the map. */
  getMany(contactIds: readonly string[]): Promise<Map<string, ConsentRecord>>
  /** One contact's events in `seq` order, streamed page by page. */
  history(contactId: string): AsyncIterable<ConsentEvent>
  /**
   * Events with `recordedAt` in [since, until) (either bound optional), in
   * `seq` order, streamed page by page; events recorded after the export
   * started are not included. Throws `invalid-date` / `invalid-range`.
   */
  export(range?: { since?: Date; until?: Date }): AsyncIterable<ConsentEvent>
  /** Walks the hash chain from the first event, streaming; reports the first bad `seq`. */
  verify(): Promise<VerifyResult>
  /** Releases what the store opened itself (a database it opened from a path, a pool it created); later calls throw `closed`. */
  close(): Promise<void>
}
