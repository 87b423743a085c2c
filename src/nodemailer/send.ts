import { consentOutcome, NO_CONSENT } from './outcome.js'
import type { ConsentOutcome, MailConsent } from './types.js'

/** `sendMail()` options with the plugin's `consent` field. */
export type MailWithConsent<Mail extends object = Record<string, unknown>> = Mail & { consent?: MailConsent }

/** What the transporter returned, with the plugin's outcome for the message. */
export type InfoWithConsent<Info> = Info & {
  /** The plugin's outcome; `undefined` when the transporter has no `consentTracking` plugin. */
  consentTracking: ConsentOutcome | undefined
}

/**
 * `transporter.sendMail(mail)` that returns the plugin's outcome on
 * `info.consentTracking` (tracked or untracked, and any fallback reason),
 * whatever the transport. Typed to accept the `consent` field. Rejects like
 * `sendMail`, including with {@link SendSkippedError} when the policy says
 * the message must not go out.
 *
 * @example
 * ```ts
 * import { sendWithConsent } from 'email-tracking-consent/nodemailer'
 * const info = await sendWithConsent(transporter, {
 *   from: 'news@example.com', to: 'ada@example.org', subject: 'Autumn news', html,
 *   consent: { contactId: 'c_42', category: 'marketing' },
 * })
 * info.consentTracking?.status   // 'tracked'
 * info.consentTracking?.fallback // e.g. 'store-timeout' when the store was too slow
 * ```
 */
export async function sendWithConsent<Info, Mail extends object>(
  transporter: { sendMail(mail: Mail): Promise<Info> },
  mail: MailWithConsent<Mail>,
): Promise<InfoWithConsent<Info>> {
  // A fresh object per send is the key the plugin files this message's outcome under.
  const consent: object = mail.consent ? { ...mail.consent } : { [NO_CONSENT]: true }
  const info = await transporter.sendMail({ ...mail, consent } as Mail)
  const outcome = consentOutcome(consent)
  return (info !== null && typeof info === 'object'
    ? Object.assign(info, { consentTracking: outcome })
    : { info, consentTracking: outcome }) as InfoWithConsent<Info>
}
