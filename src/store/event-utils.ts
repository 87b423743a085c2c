import { StoreError } from './errors.js'
import type { ConsentEvent } from './types.js'
import { checkDate } from './validate.js'

/** A deep copy of a stored event, so callers can never alter the store's own objects. */
export function cloneEvent(event: ConsentEvent): ConsentEvent {
  const copy: ConsentEvent = {
    id: event.id,
    contactId: event.contactId,
    type: event.type,
    purposes: [...event.purposes],
    at: new Date(event.at.getTime()),
    source: event.source,
    evidence: { ...event.evidence },
    seq: event.seq,
    recordedAt: new Date(event.recordedAt.getTime()),
    prevHash: event.prevHash,
    hash: event.hash,
  }
  if (event.noticeVersion !== undefined) copy.noticeVersion = event.noticeVersion
  return copy
}

/** Validates `export()` bounds: valid dates, `since` not after `until`. */
export function checkExportRange(range: { since?: Date; until?: Date } | undefined): { since?: Date; until?: Date } {
  if (range === undefined) return {}
  if (typeof range !== 'object' || range === null) throw new StoreError('invalid-range', 'export range must be an object')
  const since = range.since === undefined ? undefined : checkDate(range.since, 'since')
  const until = range.until === undefined ? undefined : checkDate(range.until, 'until')
  if (since && until && since.getTime() > until.getTime()) {
    throw new StoreError('invalid-range', `since (${since.toISOString()}) is after until (${until.toISOString()})`)
  }
  const out: { since?: Date; until?: Date } = {}
  if (since) out.since = since
  if (until) out.until = until
  return out
}
