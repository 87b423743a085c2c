import { isDay, isTimeZone } from './calendar.js'
import { PolicyError } from './errors.js'
import type { Category, ConsentRecord, ConsentStatus, Policy } from './types.js'

export const CATEGORIES: readonly Category[] = ['marketing', 'transactional', 'consent-request']
const STATUSES: readonly ConsentStatus[] = ['granted', 'denied', 'withdrawn', 'unknown']
const PURPOSES = ['opens', 'clicks'] as const
const checked = new WeakSet<Policy>()

/** Checks a policy object once (results are remembered per object) and returns it. */
export function validatePolicy(policy: Policy): Policy {
  if (checked.has(policy)) return policy
  const fail = (what: string): never => {
    throw new PolicyError('invalid-policy', `Invalid policy: ${what}`)
  }
  if (typeof policy !== 'object' || policy === null) fail('not an object')
  if (typeof policy.id !== 'string' || policy.id === '') fail('id must be a non-empty string')
  if (!Number.isInteger(policy.version) || policy.version < 1) fail('version must be a positive integer')
  if (typeof policy.timeZone !== 'string' || !isTimeZone(policy.timeZone)) fail(`unknown timeZone ${String(policy.timeZone)}`)
  if (!isDay(policy.regimeStart)) fail('regimeStart must be a YYYY-MM-DD day')
  if (!isDay(policy.transitionEnd)) fail('transitionEnd must be a YYYY-MM-DD day')
  if (policy.legacy !== 'no-objection' && policy.legacy !== 'strict') fail("legacy must be 'no-objection' or 'strict'")
  if (!Number.isInteger(policy.requestCooldownMonths) || policy.requestCooldownMonths < 0)
    fail('requestCooldownMonths must be a non-negative integer')
  if (typeof policy.trackingEnabled !== 'boolean') fail('trackingEnabled must be a boolean')
  if (typeof policy.listHygiene !== 'boolean') fail('listHygiene must be a boolean')
  if (!Array.isArray(policy.exemptCategories) || policy.exemptCategories.some((c) => !CATEGORIES.includes(c)))
    fail('exemptCategories must list known categories')
  checked.add(policy)
  return policy
}

/** Throws unless `category` is one of the three categories. */
export function validateCategory(category: unknown): asserts category is Category {
  if (!CATEGORIES.includes(category as Category))
    throw new PolicyError('invalid-category', `Unknown category ${JSON.stringify(category)}: expected ${CATEGORIES.join(', ')}`)
}

/** Throws unless `value` is absent or a valid Date. */
export function validateDate(value: unknown, field: string): void {
  if (value === undefined) return
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw new PolicyError('invalid-date', `${field} must be a valid Date, got ${String(value)}`)
}

/** Throws a {@link PolicyError} for any record that is not a well-formed {@link ConsentRecord}. */
export function validateRecord(consent: ConsentRecord): void {
  if (typeof consent !== 'object' || consent === null)
    throw new PolicyError('invalid-consent', 'A consent record must be an object, null or undefined')
  if (typeof consent.contactId !== 'string' || consent.contactId === '')
    throw new PolicyError('invalid-consent', 'A consent record needs a non-empty string contactId')
  for (let i = 0; i < PURPOSES.length; i++) {
    const purpose = PURPOSES[i]!
    const state = consent[purpose]
    if (typeof state !== 'object' || state === null)
      throw new PolicyError('invalid-consent', `consent.${purpose} must be an object with a status`)
    if (!STATUSES.includes(state.status))
      throw new PolicyError(
        'invalid-status',
        `consent.${purpose}.status ${JSON.stringify(state.status)} is not one of ${STATUSES.join(', ')}`,
      )
    // The field name is built only for a bad date: this runs on every pixel hit and every decision.
    const at = state.at
    if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime()))) validateDate(at, `consent.${purpose}.at`)
  }
  validateDate(consent.collectedAt, 'consent.collectedAt')
  validateDate(consent.informedAt, 'consent.informedAt')
  validateDate(consent.lastRequestAt, 'consent.lastRequestAt')
  if (consent.subscribed !== undefined && typeof consent.subscribed !== 'boolean')
    throw new PolicyError('invalid-consent', 'consent.subscribed must be a boolean when present')
}
