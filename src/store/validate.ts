import type { Purpose } from '../policy/types.js'
import { isWellFormed } from '../lib/unicode.js'
import { StoreError } from './errors.js'
import type { ConsentEventInput, ConsentEventType, ConsentSource, Evidence } from './types.js'

/**
 * Every event type, in documentation order.
 *
 * @example
 * ```ts
 * import { CONSENT_EVENT_TYPES, type ConsentEventType } from 'email-tracking-consent/store'
 * // Check the types in an import file before recording anything.
 * const isEventType = (value: string): value is ConsentEventType => (CONSENT_EVENT_TYPES as readonly string[]).includes(value)
 * const bad = rows.filter((row) => !isEventType(row.type))
 * if (bad.length > 0) throw new Error(`unknown event types: ${bad.map((row) => row.type).join(', ')}`)
 * ```
 */
export const CONSENT_EVENT_TYPES: readonly ConsentEventType[] = Object.freeze([
  'collect',
  'inform',
  'grant',
  'deny',
  'withdraw',
  'request',
  'unsubscribe',
  'resubscribe',
] as const)

/**
 * Every event source.
 *
 * @example
 * ```ts
 * import { CONSENT_SOURCES } from 'email-tracking-consent/store'
 * // The choices of an admin form's source menu.
 * const options = CONSENT_SOURCES.map((source) => `<option value="${source}">${source}</option>`).join('')
 * ```
 */
export const CONSENT_SOURCES: readonly ConsentSource[] = Object.freeze([
  'form',
  'preference-center',
  'withdrawal-link',
  'consent-email',
  'import',
  'verbal',
  'third-party',
  'api',
] as const)

/** Purposes in their canonical (stored and hashed) order. */
export const PURPOSES: readonly Purpose[] = Object.freeze(['opens', 'clicks'] as const)

/**
 * Size limits `record()` enforces; lengths in UTF-16 code units unless named bytes.
 *
 * @example
 * ```ts
 * import { STORE_LIMITS } from 'email-tracking-consent/store'
 * // Check imported ids up front rather than failing one record() at a time.
 * const tooLong = rows.filter((row) => row.contactId.length > STORE_LIMITS.contactIdLength)
 * if (tooLong.length > 0) throw new Error(`${tooLong.length} contact ids exceed ${STORE_LIMITS.contactIdLength} characters`)
 * ```
 */
export const STORE_LIMITS = Object.freeze({
  /** Longest idempotency `id`. */
  idLength: 128,
  /** Longest `contactId`. */
  contactIdLength: 256,
  /** Longest `noticeVersion`. */
  noticeVersionLength: 128,
  /** Most keys in `evidence`. */
  evidenceKeys: 16,
  /** Longest evidence key; keys match `[A-Za-z0-9_.:-]+`. */
  evidenceKeyLength: 64,
  /** Largest evidence value, in UTF-8 bytes. */
  evidenceValueBytes: 1024,
})

/** Default tolerance for an `at` ahead of the store's clock: 5 minutes. */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000

/** An input after validation: purposes deduplicated in canonical order, evidence and dates copied. */
export interface NormalizedEvent {
  id?: string
  contactId: string
  type: ConsentEventType
  purposes: Purpose[]
  at: Date
  source: ConsentSource
  noticeVersion?: string
  evidence: Evidence
}

const KNOWN_FIELDS = new Set(['id', 'contactId', 'type', 'purposes', 'at', 'source', 'noticeVersion', 'evidence'])
const TYPES = new Set<string>(CONSENT_EVENT_TYPES)
const SOURCES = new Set<string>(CONSENT_SOURCES)
// Control characters (C0, DEL, C1) never belong in identifiers and NUL is refused by Postgres text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// Lone surrogates are refused too (isWellFormed): the drivers would re-encode them as U+FFFD, so the stored text would no longer match its hash.
// local@domain.tld anywhere in the id, also percent-encoded (%40).
const EMAIL_SHAPE = /[^\s@]@[^\s@.]+(?:\.[^\s@.]+)*\.[^\s@.]{2,}/
const EVIDENCE_KEY = /^[A-Za-z0-9_.:-]+$/
const MIN_TIME = Date.UTC(1900, 0, 1)
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)
const encoder = new TextEncoder()

/** True when `value` contains something shaped like an email address (`local@domain.tld`, also as `%40`). */
export function looksLikeEmail(value: string): boolean {
  return EMAIL_SHAPE.test(value.includes('%') ? value.replace(/%40/gi, '@') : value)
}


function fail(code: ConstructorParameters<typeof StoreError>[0], message: string, where: string): never {
  throw new StoreError(code, where + message)
}

/** Checks a date value used by the store (`at`, export bounds). */
export function checkDate(value: unknown, what: string, where = ''): Date {
  if (!(value instanceof Date)) fail('invalid-date', `${what} must be a Date`, where)
  const time = value.getTime()
  if (!Number.isFinite(time) || time < MIN_TIME || time > MAX_TIME) {
    fail('invalid-date', `${what} must be a valid date between 1900 and 9999`, where)
  }
  return new Date(time)
}

/**
 * Checks a contact id the way `record()` does and returns a description of
 * the problem, or `undefined` when the id is acceptable.
 */
export function contactIdProblem(contactId: unknown): { code: 'missing-contact-id' | 'invalid-contact-id' | 'email-like-contact-id'; message: string } | undefined {
  if (contactId === undefined || contactId === null || contactId === '') {
    return { code: 'missing-contact-id', message: 'contactId is required' }
  }
  if (typeof contactId !== 'string') return { code: 'invalid-contact-id', message: 'contactId must be a string' }
  if (contactId.length > STORE_LIMITS.contactIdLength || CONTROL.test(contactId) || !isWellFormed(contactId)) {
    return {
      code: 'invalid-contact-id',
      message: `contactId must be at most ${STORE_LIMITS.contactIdLength} characters without control characters`,
    }
  }
  if (looksLikeEmail(contactId)) {
    return { code: 'email-like-contact-id', message: 'contactId looks like an email address; use an opaque id' }
  }
  return undefined
}

/**
 * Validates one input event and returns its normalized form. Throws a
 * {@link StoreError} naming the first problem; `where` prefixes the message
 * (e.g. `event 3: ` in a batch).
 */
export function normalizeEvent(input: ConsentEventInput, options: { now: number; maxFutureSkewMs: number }, where = ''): NormalizedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('invalid-event', 'an event must be an object', where)
  for (const key of Object.keys(input)) {
    if (!KNOWN_FIELDS.has(key)) fail('unknown-field', `unknown event field "${key.slice(0, 40)}"`, where)
  }

  const { id, contactId, type, purposes, at, source, noticeVersion, evidence } = input
  if (id !== undefined) {
    if (typeof id !== 'string' || id.length === 0 || id.length > STORE_LIMITS.idLength || CONTROL.test(id) || !isWellFormed(id)) {
      fail('invalid-id', `id must be a non-empty string of at most ${STORE_LIMITS.idLength} characters without control characters`, where)
    }
  }
  const problem = contactIdProblem(contactId)
  if (problem) fail(problem.code, problem.message, where)
  if (typeof type !== 'string' || !TYPES.has(type)) fail('unknown-type', `unknown event type ${JSON.stringify(String(type)).slice(0, 40)}`, where)
  if (typeof source !== 'string' || !SOURCES.has(source)) fail('unknown-source', `unknown event source ${JSON.stringify(String(source)).slice(0, 40)}`, where)

  const when = checkDate(at, 'at', where)
  if (when.getTime() > options.now + options.maxFutureSkewMs) {
    // A future-dated event would outrank every real later event under the ordering rule.
    fail('future-date', `at (${when.toISOString()}) is in the future`, where)
  }

  let normalizedPurposes: Purpose[] = [...PURPOSES]
  if (purposes !== undefined) {
    if (!Array.isArray(purposes) || purposes.length === 0) fail('invalid-purposes', 'purposes must be a non-empty array', where)
    for (const p of purposes) {
      if (p !== 'opens' && p !== 'clicks') fail('invalid-purposes', `unknown purpose ${JSON.stringify(String(p)).slice(0, 40)}`, where)
    }
    normalizedPurposes = PURPOSES.filter((p) => purposes.includes(p))
  }

  if (noticeVersion !== undefined) {
    if (
      typeof noticeVersion !== 'string' ||
      noticeVersion.length === 0 ||
      noticeVersion.length > STORE_LIMITS.noticeVersionLength ||
      CONTROL.test(noticeVersion) ||
      !isWellFormed(noticeVersion)
    ) {
      fail('invalid-notice-version', `noticeVersion must be a non-empty string of at most ${STORE_LIMITS.noticeVersionLength} characters`, where)
    }
  }

  const normalized: NormalizedEvent = {
    contactId: contactId as string,
    type,
    purposes: normalizedPurposes,
    at: when,
    source,
    evidence: normalizeEvidence(evidence, where),
  }
  if (id !== undefined) normalized.id = id
  if (noticeVersion !== undefined) normalized.noticeVersion = noticeVersion
  return normalized
}

function normalizeEvidence(evidence: unknown, where: string): Evidence {
  if (evidence === undefined) return {}
  if (typeof evidence !== 'object' || evidence === null || Array.isArray(evidence)) {
    fail('invalid-evidence', 'evidence must be an object mapping names to strings', where)
  }
  const proto = Object.getPrototypeOf(evidence)
  if (proto !== Object.prototype && proto !== null) fail('invalid-evidence', 'evidence must be a plain object', where)
  const keys = Object.keys(evidence).sort()
  if (keys.length > STORE_LIMITS.evidenceKeys) {
    fail('evidence-too-large', `evidence has ${keys.length} keys; at most ${STORE_LIMITS.evidenceKeys} are allowed`, where)
  }
  const out: Evidence = {}
  for (const key of keys) {
    if (key.length > STORE_LIMITS.evidenceKeyLength || !EVIDENCE_KEY.test(key) || key === '__proto__') {
      fail('invalid-evidence', `evidence key ${JSON.stringify(key.slice(0, 40))} must match [A-Za-z0-9_.:-]{1,${STORE_LIMITS.evidenceKeyLength}} (and not be __proto__)`, where)
    }
    const value = (evidence as Record<string, unknown>)[key]
    if (typeof value !== 'string') fail('invalid-evidence', `evidence.${key} must be a string`, where)
    if (value.includes('\u0000') || !isWellFormed(value)) fail('invalid-evidence', `evidence.${key} holds a NUL or a lone surrogate`, where)
    // Cheap bound first: a UTF-16 string never takes more than 3 UTF-8 bytes per code unit.
    if (value.length * 3 > STORE_LIMITS.evidenceValueBytes && encoder.encode(value).length > STORE_LIMITS.evidenceValueBytes) {
      fail('evidence-too-large', `evidence.${key} is larger than ${STORE_LIMITS.evidenceValueBytes} bytes`, where)
    }
    out[key] = value
  }
  return out
}
