import { ConsentTrackingError } from '../lib/errors.js'

/**
 * Stable codes of {@link ConsentFormError}.
 *
 * @example
 * ```ts
 * import { ConsentFormError, type ConsentFormErrorCode } from 'email-tracking-consent'
 * try {
 *   for (const event of field.toEvents(req.body, { contactId: 'c_42', ip: req.ip })) await store.record(event)
 * } catch (err) {
 *   if (!(err instanceof ConsentFormError)) throw err
 *   const code: ConsentFormErrorCode = err.code
 *   // 'notice-mismatch': the page showed another notice version, show the form again
 *   res.status(code === 'notice-mismatch' ? 409 : 400).send(err.message)
 * }
 * ```
 */
export type ConsentFormErrorCode =
  /** An option of {@link trackingConsentField} is missing or malformed. */
  | 'invalid-option'
  /** The submitted form or its context cannot be turned into events (bad field value, missing contact id, bad date). */
  | 'invalid-submission'
  /** The form was rendered with another information notice than the one configured now (or none): show it again. */
  | 'notice-mismatch'

/**
 * Thrown by {@link trackingConsentField} and its methods. Switch on `code`, which is stable.
 *
 * @example
 * ```ts
 * import { ConsentFormError } from 'email-tracking-consent'
 * try { events = field.toEvents(body, { contactId }) }
 * catch (err) { if (err instanceof ConsentFormError && err.code === 'notice-mismatch') return showFormAgain() }
 * ```
 */
export class ConsentFormError extends ConsentTrackingError<ConsentFormErrorCode> {}
