import { consentEventHash, GENESIS_HASH, type HashText } from './chain.js'
import type { ConsentEvent, VerifyResult } from './types.js'
import { CONSENT_EVENT_TYPES, CONSENT_SOURCES } from './validate.js'

const TYPES = new Set<string>(CONSENT_EVENT_TYPES)
const SOURCES = new Set<string>(CONSENT_SOURCES)

/** True when a stored event has the shape a valid write produces (enum members, dates, string evidence). */
export function isReadableEvent(e: ConsentEvent): boolean {
  return (
    typeof e.id === 'string' &&
    typeof e.contactId === 'string' &&
    TYPES.has(e.type) &&
    SOURCES.has(e.source) &&
    Array.isArray(e.purposes) &&
    e.purposes.every((p) => p === 'opens' || p === 'clicks') &&
    e.at instanceof Date &&
    !Number.isNaN(e.at.getTime()) &&
    e.recordedAt instanceof Date &&
    !Number.isNaN(e.recordedAt.getTime()) &&
    typeof e.evidence === 'object' &&
    e.evidence !== null &&
    Object.values(e.evidence).every((v) => typeof v === 'string')
  )
}

/** A row as read for verification: an event, or the seq of a row that could not be read as one. */
export type VerifiedRow = ConsentEvent | { seq: number; unreadable: true }

/**
 * Walks the chain one row at a time in `seq` order, so adapters can stream
 * pages through it. Reasons: `seq-gap` (a row is missing), `bad-row` (a row
 * cannot be read as an event), `prev-hash-mismatch` (a row does not point at
 * its predecessor: deleted, reordered or inserted), `hash-mismatch` (a row's
 * content was edited), `head-mismatch` (rows were cut off or added after
 * the recorded chain head).
 */
export class ChainWalk {
  private expected = 1
  private prevHash = GENESIS_HASH
  private checkedRows = 0
  private bad: { firstBadSeq: number; reason: string } | undefined

  /** `hashText`: the SHA-256 to check with (default: the portable one). */
  constructor(private readonly hashText?: HashText) {}

  /** Feeds the next row; returns `false` once the chain is broken (stop reading). */
  check(row: VerifiedRow): boolean {
    if (this.bad) return false
    if (row.seq !== this.expected) {
      this.bad = { firstBadSeq: this.expected, reason: 'seq-gap' }
    } else if ('unreadable' in row) {
      this.bad = { firstBadSeq: row.seq, reason: 'bad-row' }
    } else if (row.prevHash !== this.prevHash) {
      this.bad = { firstBadSeq: row.seq, reason: 'prev-hash-mismatch' }
    } else if (consentEventHash(row, this.hashText) !== row.hash) {
      this.bad = { firstBadSeq: row.seq, reason: 'hash-mismatch' }
    } else {
      this.prevHash = row.hash
      this.expected += 1
      this.checkedRows += 1
      return true
    }
    return false
  }

  /**
   * Ends the walk. `head` is the chain head the store recorded when the walk
   * started (the walk read rows up to `head.seq`); `beyond` is the seq of a
   * row found after the head recorded at the end (read in one snapshot with
   * it), if any.
   */
  finish(head: { seq: number; hash: string }, beyond?: number): VerifyResult {
    const result: VerifyResult = { ok: false, checked: this.checkedRows, head: { seq: head.seq, hash: head.hash } }
    const lastSeq = this.expected - 1
    if (this.bad) return { ...result, ...this.bad }
    if (lastSeq < head.seq) return { ...result, firstBadSeq: lastSeq + 1, reason: 'seq-gap' }
    if (head.seq > 0 && this.prevHash !== head.hash) return { ...result, firstBadSeq: head.seq, reason: 'head-mismatch' }
    if (beyond !== undefined) return { ...result, firstBadSeq: beyond, reason: 'head-mismatch' }
    return { ...result, ok: true }
  }
}
