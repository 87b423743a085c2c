import type { ConsentRecord, ConsentStatus, PurposeState } from '../policy/types.js'
import type { ConsentEvent } from './types.js'

/**
 * A contact's materialized state: the {@link ConsentRecord} plus what the
 * ordering rule needs to place late events (`subscribedAt`, `lastSeq`).
 */
export interface ContactState {
  contactId: string
  opens: PurposeState
  clicks: PurposeState
  collectedAt?: Date
  informedAt?: Date
  lastRequestAt?: Date
  subscribed?: boolean
  /** `at` of the unsubscribe/resubscribe that set `subscribed`. */
  subscribedAt?: Date
  /** `seq` of the last event folded in. */
  lastSeq: number
}

const STATUS_OF: Partial<Record<ConsentEvent['type'], ConsentStatus>> = {
  grant: 'granted',
  deny: 'denied',
  withdraw: 'withdrawn',
}

/** True when an event dated `at` may replace state set at `current` (ties go to the later event, which has the higher seq). */
function supersedes(at: Date, current: Date | undefined): boolean {
  return current === undefined || at.getTime() >= current.getTime()
}

/**
 * Folds one stored event into a contact's state and returns the new state
 * (the input is not modified). Events must be folded in `seq` order.
 *
 * The ordering rule: a purpose's status, and `subscribed`, take the event
 * with the latest `at`; on equal `at` the later-recorded event (higher `seq`)
 * wins. An event older than the current state is kept in the log but changes
 * nothing. `collectedAt` keeps the earliest `collect` (when the address
 * entered the file decides its regime); `informedAt` and `lastRequestAt` keep
 * the latest `inform` and `request` (the notice in force, the cooldown start).
 */
export function foldEvent(state: ContactState | undefined, event: Pick<ConsentEvent, 'contactId' | 'type' | 'purposes' | 'at' | 'seq'>): ContactState {
  const next: ContactState = state
    ? { ...state }
    : { contactId: event.contactId, opens: { status: 'unknown' }, clicks: { status: 'unknown' }, lastSeq: 0 }
  next.lastSeq = event.seq
  const status = STATUS_OF[event.type]
  if (status) {
    for (const purpose of event.purposes) {
      if (supersedes(event.at, next[purpose].at)) next[purpose] = { status, at: event.at }
    }
    return next
  }
  switch (event.type) {
    case 'collect':
      if (next.collectedAt === undefined || event.at.getTime() < next.collectedAt.getTime()) next.collectedAt = event.at
      break
    case 'inform':
      if (supersedes(event.at, next.informedAt)) next.informedAt = event.at
      break
    case 'request':
      if (supersedes(event.at, next.lastRequestAt)) next.lastRequestAt = event.at
      break
    case 'unsubscribe':
    case 'resubscribe':
      if (supersedes(event.at, next.subscribedAt)) {
        next.subscribed = event.type === 'resubscribe'
        next.subscribedAt = event.at
      }
      break
  }
  return next
}

/** The public record of a state, with fresh `Date` objects so callers cannot alter the store's copy. */
export function toConsentRecord(state: ContactState): ConsentRecord {
  const record: ConsentRecord = {
    contactId: state.contactId,
    opens: purposeCopy(state.opens),
    clicks: purposeCopy(state.clicks),
  }
  if (state.collectedAt) record.collectedAt = new Date(state.collectedAt.getTime())
  if (state.informedAt) record.informedAt = new Date(state.informedAt.getTime())
  if (state.lastRequestAt) record.lastRequestAt = new Date(state.lastRequestAt.getTime())
  if (state.subscribed !== undefined) record.subscribed = state.subscribed
  return record
}

function purposeCopy(p: PurposeState): PurposeState {
  return p.at ? { status: p.status, at: new Date(p.at.getTime()) } : { status: p.status }
}
