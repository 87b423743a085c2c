import { ConsentTrackingError } from '../lib/errors.js'
import type { ConsentOutcome } from './types.js'

/**
 * Stable codes of {@link ConsentPluginError}.
 *
 * @example
 * ```ts
 * import { consentTracking, ConsentPluginError } from 'email-tracking-consent/nodemailer'
 * try { transporter.use('compile', consentTracking({ store, tokens, baseUrl: process.env.TRACKING_BASE_URL! })) } catch (err) {
 *   if (!(err instanceof ConsentPluginError)) throw err
 *   switch (err.code) {
 *     case 'invalid-options': // the message names the option, e.g. "consentTracking: `lookupTimeoutMs` must be a positive number …"
 *       console.error(err.message)
 *       process.exit(1)
 *   }
 * }
 * ```
 */
export type ConsentPluginErrorCode =
  /** `consentTracking()` or `sendCampaign()` options are missing or of the wrong type. */
  'invalid-options'

/**
 * Thrown synchronously by `consentTracking()` and `sendCampaign()` for bad
 * options, so a misconfiguration shows at startup rather than per message.
 *
 * @example
 * ```ts
 * import { consentTracking, ConsentPluginError } from 'email-tracking-consent/nodemailer'
 * try { consentTracking({ store, tokens, baseUrl: 'not a url' }) }
 * catch (err) { if (err instanceof ConsentPluginError) console.error(err.code) } // 'invalid-options'
 * ```
 */
export class ConsentPluginError extends ConsentTrackingError<ConsentPluginErrorCode> {}

/**
 * The error a send fails with when the policy says the message must not go
 * out at all (`decision.send === false`): a consent request inside its
 * cooldown, a consent request to someone who already granted, or a marketing
 * message to an unsubscribed contact. Never a silent drop: `outcome` carries
 * the decision and its reasons. `code` is always `send-skipped`.
 *
 * @example
 * ```ts
 * import { SendSkippedError } from 'email-tracking-consent/nodemailer'
 * try { await transporter.sendMail({ to, html, consent: { contactId: 'c_42', category: 'consent-request' } }) }
 * catch (err) {
 *   if (err instanceof SendSkippedError) console.log(err.outcome.decision?.reasons) // ['request-cooldown']
 *   else throw err
 * }
 * ```
 */
export class SendSkippedError extends ConsentTrackingError<'send-skipped'> {
  /** What was decided for this message, and why. */
  readonly outcome: ConsentOutcome

  constructor(outcome: ConsentOutcome) {
    const why = outcome.decision?.reasons.join(', ') || 'the policy'
    super('send-skipped', `Not sent to contact ${outcome.contactId ?? '(none)'}: ${outcome.category} message refused by ${why}`)
    this.outcome = outcome
  }
}
