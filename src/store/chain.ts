import { sha256 } from '../lib/sha256.js'
import type { ConsentEvent } from './types.js'

/**
 * `prevHash` of the first event: 64 zeros.
 *
 * @example
 * ```ts
 * import { createMemoryStore, GENESIS_HASH } from 'email-tracking-consent/store'
 * const store = createMemoryStore()
 * const { head } = await store.verify() // { seq: 0, hash: GENESIS_HASH } for an empty log
 * const first = await store.record({ contactId: 'c_42', type: 'collect', at: new Date(), source: 'form' })
 * first.prevHash === GENESIS_HASH // true: the chain starts from 64 zeros
 * ```
 */
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
 * Lowercase hex SHA-256 of a string's UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto'
 * import { consentEventHash, type HashText } from 'email-tracking-consent/store'
 * const nodeSha256: HashText = (text) => createHash('sha256').update(text, 'utf8').digest('hex')
 * for await (const event of store.export()) {
 *   if (consentEventHash(event, nodeSha256) !== event.hash) console.log('tampered', event.seq)
 * }
 * ```
 */
export type HashText = (text: string) => string

/** The portable SHA-256 (plain JS, any runtime). */
export const portableSha256: HashText = (text) => {
  const digest = sha256(text)
  let hex = ''
  for (let i = 0; i < digest.length; i++) hex += HEX[digest[i]!]
  return hex
}

// Byte-to-hex table: the chain hashes every event, so this is on the write path.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * The chain hash of an event: lowercase hex SHA-256 of the UTF-8 bytes of
 * `prevHash + "\n" + canonicalEvent(event)`. Anyone can recompute it from an
 * export to check the file independently of this library. `hashText` lets a
 * Node adapter use `node:crypto` for the same digest.
 *
 * @example
 * ```ts
 * import { consentEventHash } from 'email-tracking-consent/store'
 * for await (const event of store.export()) {
 *   if (consentEventHash(event) !== event.hash) console.log('tampered', event.seq)
 * }
 * ```
 */
export function consentEventHash(event: Omit<ConsentEvent, 'hash'>, hashText: HashText = portableSha256): string {
  return hashText(event.prevHash + '\n' + canonicalEvent(event))
}
