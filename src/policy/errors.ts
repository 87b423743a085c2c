import { ConsentTrackingError } from '../lib/errors.js'

/**
 * Stable codes of {@link PolicyError}.
 *
 * @example
 * ```ts
 * import { decide, PolicyError, type PolicyErrorCode } from 'email-tracking-consent'
 * try { decide(JSON.parse(row.consent), 'marketing') } // dates are still strings after JSON.parse
 * catch (err) {
 *   if (!(err instanceof PolicyError)) throw err
 *   const code: PolicyErrorCode = err.code
 *   if (code === 'invalid-category' || code === 'invalid-policy') throw err // a bug in the caller
 *   console.warn('malformed record for c_42:', err.message) // 'invalid-consent', 'invalid-status' or 'invalid-date'
 * }
 * ```
 */
export type PolicyErrorCode =
  | 'invalid-consent'
  | 'invalid-status'
  | 'invalid-date'
  | 'invalid-category'
  | 'invalid-policy'

/**
 * Thrown by `decide()` and `cnilPolicy()` for malformed input. A malformed
 * record is never treated as consent.
 *
 * @example
 * ```ts
 * try { decide(recordFromJson, 'marketing') }
 * catch (err) { if (err instanceof PolicyError && err.code === 'invalid-date') console.error(err.message) }
 * ```
 */
export class PolicyError extends ConsentTrackingError<PolicyErrorCode> {}
