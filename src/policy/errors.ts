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
 */
export class PolicyError extends ConsentTrackingError<PolicyErrorCode> {}
