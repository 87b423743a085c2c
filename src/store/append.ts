import { consentEventHash, type HashText } from './chain.js'
import { StoreError } from './errors.js'
import { foldEvent, type ContactState } from './fold.js'
import type { ConsentEvent } from './types.js'
import type { NormalizedEvent } from './validate.js'

/** The last event of the chain, as the writer sees it while holding the write lock. */
export interface ChainHead {
  seq: number
  hash: string
  /** `recordedAt` of the last event; new events never get an earlier one. */
  recordedAt?: Date
}

/** What a write must store: new events, changed contact states, the new head. */
export interface AppendPlan {
  /** One stored event per input, in input order (existing ones for repeated ids). */
  results: ConsentEvent[]
  /** Events to insert, in seq order. */
  inserted: ConsentEvent[]
  /** New state of every contact touched by `inserted`. */
  states: Map<string, ContactState>
  head: ChainHead
}

/** Inputs of {@link planAppend}, all read inside the writer's transaction. */
export interface AppendContext {
  head: ChainHead
  /** The store's clock now. */
  now: Date
  events: readonly NormalizedEvent[]
  /** Already stored events whose id is one of the inputs' ids. */
  existing: ReadonlyMap<string, ConsentEvent>
  /** Current state of the contacts the inputs name (absent ones are new). */
  states: ReadonlyMap<string, ContactState>
  /** Makes an id for an input without one. */
  newId: () => string
  /** SHA-256 to chain with (default: the portable one). */
  hashText?: HashText
}

/**
 * Sequences, chains and folds a batch of validated events. Pure: the caller
 * writes the plan in the same transaction it read the context in. Throws
 * `idempotency-conflict` when an id was already used for different content.
 */
export function planAppend(ctx: AppendContext): AppendPlan {
  const last = ctx.head.recordedAt?.getTime() ?? -Infinity
  // recordedAt never goes backwards along seq, so export ranges and seq order agree.
  const recordedAt = new Date(Math.max(ctx.now.getTime(), last))
  let seq = ctx.head.seq
  let hash = ctx.head.hash
  const results: ConsentEvent[] = []
  const inserted: ConsentEvent[] = []
  const states = new Map<string, ContactState>()
  const seen = new Map<string, ConsentEvent>()

  ctx.events.forEach((input, index) => {
    if (input.id !== undefined) {
      const prior = seen.get(input.id) ?? ctx.existing.get(input.id)
      if (prior) {
        if (!sameContent(prior, input)) {
          const where = ctx.events.length > 1 ? `event ${index}: ` : ''
          throw new StoreError('idempotency-conflict', `${where}id ${JSON.stringify(input.id)} was already recorded with different content`)
        }
        results.push(prior)
        return
      }
    }
    seq += 1
    const event: ConsentEvent = {
      id: input.id ?? ctx.newId(),
      contactId: input.contactId,
      type: input.type,
      purposes: input.purposes,
      at: input.at,
      source: input.source,
      evidence: input.evidence,
      seq,
      recordedAt,
      prevHash: hash,
      hash: '',
    }
    if (input.noticeVersion !== undefined) event.noticeVersion = input.noticeVersion
    event.hash = consentEventHash(event, ctx.hashText)
    hash = event.hash
    seen.set(event.id, event)
    results.push(event)
    inserted.push(event)
    states.set(event.contactId, foldEvent(states.get(event.contactId) ?? ctx.states.get(event.contactId), event))
  })

  return { results, inserted, states, head: inserted.length ? { seq, hash, recordedAt } : ctx.head }
}

/** True when a stored event carries exactly the content of an input (ignoring what the store assigns). */
export function sameContent(stored: ConsentEvent, input: NormalizedEvent): boolean {
  if (
    stored.contactId !== input.contactId ||
    stored.type !== input.type ||
    stored.source !== input.source ||
    stored.at.getTime() !== input.at.getTime() ||
    stored.noticeVersion !== input.noticeVersion ||
    stored.purposes.join(',') !== input.purposes.join(',')
  ) {
    return false
  }
  const a = Object.keys(stored.evidence).sort()
  const b = Object.keys(input.evidence).sort()
  return a.length === b.length && a.every((key, i) => key === b[i] && stored.evidence[key] === input.evidence[key])
}

/** The distinct idempotency ids given in a batch. */
export function givenIds(events: readonly NormalizedEvent[]): string[] {
  const ids = new Set<string>()
  for (const e of events) if (e.id !== undefined) ids.add(e.id)
  return [...ids]
}

/** The distinct contact ids of a batch. */
export function contactIds(events: readonly NormalizedEvent[]): string[] {
  return [...new Set(events.map((e) => e.contactId))]
}

/** A random idempotency id (Web Crypto, available on every runtime the core supports). */
export function randomEventId(): string {
  return globalThis.crypto.randomUUID()
}
