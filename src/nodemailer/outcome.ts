import type { ConsentOutcome } from './types.js'

// Registries live on globalThis under Symbol.for keys so the ESM and CJS builds
// of this package, if both get loaded, still see each other's marks.
const REGISTRY = Symbol.for('email-tracking-consent.nodemailer.outcomes')
/** Marks a `consent` value whose message `sendCampaign` already rendered: the plugin passes it through. */
export const RENDERED = Symbol.for('email-tracking-consent.nodemailer.rendered')
/** Marks the stand-in `consent` that `sendWithConsent` passes when the caller gave none. */
export const NO_CONSENT = Symbol.for('email-tracking-consent.nodemailer.no-consent')

const holder = globalThis as { [REGISTRY]?: WeakMap<object, ConsentOutcome> }
const outcomes: WeakMap<object, ConsentOutcome> = (holder[REGISTRY] ??= new WeakMap())

/** Files the outcome under the message's `consent` object, which Nodemailer passes by reference. */
export function rememberOutcome(consent: unknown, outcome: ConsentOutcome): void {
  if (typeof consent === 'object' && consent !== null) outcomes.set(consent, outcome)
}

/**
 * The outcome of the last message sent with this very `consent` object, as
 * the plugin recorded it. {@link sendWithConsent} uses it to put the outcome
 * on `info`; call it yourself after `transporter.sendMail()` when you keep a
 * reference to the `consent` object you passed.
 *
 * @example
 * ```ts
 * import { consentOutcome } from 'email-tracking-consent/nodemailer'
 * const consent = { contactId: 'c_42', category: 'marketing' as const }
 * await transporter.sendMail({ from, to, subject, html, consent })
 * consentOutcome(consent)?.status // 'tracked' | 'untracked'
 * ```
 */
export function consentOutcome(consent: object): ConsentOutcome | undefined {
  return outcomes.get(consent)
}

/** The outcome `sendCampaign` attached to a rendered message, if `consent` is such a mark. */
export function renderedOutcome(consent: unknown): ConsentOutcome | undefined {
  if (typeof consent !== 'object' || consent === null) return undefined
  return (consent as { [RENDERED]?: ConsentOutcome })[RENDERED]
}
