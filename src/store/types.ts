import type { ConsentRecord, Purpose } from '../policy/types.js'

/** What happened. See README "Consent events". */
export type ConsentEventType =
  | 'collect'
  | 'inform'
  | 'grant'
  | 'deny'
  | 'withdraw'
  | 'request'
  | 'unsubscribe'
  | 'resubscribe'

/** Where the event came from. */
export type ConsentSource =
  | 'form'
  | 'preference-center'
  | 'withdrawal-link'
  | 'consent-email'
  | 'import'
  | 'verbal'
  | 'third-party'
  | 'api'

/** Small string map of proof: ip, userAgent, formId, screenshot, messageId, tokenId… */
export type Evidence = Record<string, string>

/** An event to record. */
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

/** An event as stored: validated, sequenced and chained. */
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

/** Result of {@link ConsentStore.verify}. */
export interface VerifyResult {
  ok: boolean
  /** Events checked. */
  checked: number
  /** First sequence number whose row is wrong, when `ok` is false. */
  firstBadSeq?: number
  /** Why that row is wrong: `hash-mismatch`, `prev-hash-mismatch`, `seq-gap`, `bad-row`. */
  reason?: string
}

/** The accountability file: an append-only, hash-chained log of consent events. */
export interface ConsentStore {
  /** Validates and appends an event; returns it as stored. Throws `StoreError`. */
  record(event: ConsentEventInput): Promise<ConsentEvent>
  /** The current record, or `null` for an unknown contact. */
  get(contactId: string): Promise<ConsentRecord | null>
  /** Records for many contacts; unknown ones are absent from the map. */
  getMany(contactIds: readonly string[]): Promise<Map<string, ConsentRecord>>
  /** One contact's events in `seq` order, streamed. */
  history(contactId: string): AsyncIterable<ConsentEvent>
  /** All events with `recordedAt` in [since, until), in `seq` order, streamed. */
  export(range?: { since?: Date; until?: Date }): AsyncIterable<ConsentEvent>
  /** Walks the hash chain. */
  verify(): Promise<VerifyResult>
  close(): Promise<void>
}
