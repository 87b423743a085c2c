import { sha256Hex } from '../lib/sha256.js'
import type { ConsentEvent } from './types.js'

/** `prevHash` of the first event: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64)

/** Tag at the head of every canonical serialization; bumped if the format ever changes. */
export const CHAIN_FORMAT = 'consent-event/1'

/**
 * The canonical serialization of an event that its hash covers: the JSON
 * text (`JSON.stringify`, no spaces) of the array
 *
 * `["consent-event/1", seq, id, contactId, type, [purposes…], at, source, noticeVersion | null, [[key, value]…], recordedAt]`
 *
 * with dates as ISO 8601 UTC strings with milliseconds (`Date#toISOString`),
 * purposes in the order `opens`, `clicks`, and evidence as `[key, value]`
 * pairs sorted by key (UTF-16 code unit order). `prevHash` and `hash` are not
 * part of it.
 */
export function canonicalEvent(event: Omit<ConsentEvent, 'hash' | 'prevHash'>): string {
  const evidence = Object.keys(event.evidence)
    .sort()
    .map((key) => [key, event.evidence[key]])
  return JSON.stringify([
    CHAIN_FORMAT,
    event.seq,
    event.id,
    event.contactId,
    event.type,
    event.purposes,
    event.at.toISOString(),
    event.source,
    event.noticeVersion ?? null,
    evidence,
    event.recordedAt.toISOString(),
  ])
}

/**
 * The chain hash of an event: lowercase hex SHA-256 of the UTF-8 bytes of
 * `prevHash + "\n" + canonicalEvent(event)`. Anyone can recompute it from an
 * export to check the file independently of this library.
 *
 * @example
 * ```ts
 * import { consentEventHash } from 'email-tracking-consent/store'
 * for await (const event of store.export()) {
 *   if (consentEventHash(event) !== event.hash) console.log('tampered', event.seq)
 * }
 * ```
 */
export function consentEventHash(event: Omit<ConsentEvent, 'hash'>): string {
  return sha256Hex(event.prevHash + '\n' + canonicalEvent(event))
}
