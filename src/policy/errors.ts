import { ConsentTrackingError } from '../lib/errors.js'

/** Stable codes of {@link PolicyError}. */
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
