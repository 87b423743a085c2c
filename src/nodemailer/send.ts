import { consentOutcome, NO_CONSENT } from './outcome.js'
import type { ConsentOutcome, MailConsent } from './types.js'

// What a transporter's sendMail takes and gives, read from its overloads: Nodemailer 10's own
// types list the callback form last, @types/nodemailer the promise form.
/**
 * The `info` a transporter's callback-form `sendMail(mail, callback)` passes, or `unknown` when it has none.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import type { FromCallback } from 'email-tracking-consent/nodemailer'
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 })
 * type Info = FromCallback<typeof transporter> // SMTP's SentMessageInfo, read from sendMail(mail, (err, info) => …)
 * ```
 */
export type FromCallback<T> = T extends {
  /** The callback form of `sendMail`. */
  sendMail(mail: never, callback: (err: never, info: infer I) => void): void
}
  ? I
  : unknown
/**
 * The `info` a transporter's promise-form `sendMail(mail)` resolves to, or `unknown` when it has none.
 *
 * @example
 * ```ts
 * import type { FromPromise } from 'email-tracking-consent/nodemailer'
 * // A promise-only transport, such as a test stand-in:
 * const fake = { sendMail: async (mail: object) => ({ messageId: '<test@localhost>', mail }) }
 * type Info = FromPromise<typeof fake> // { messageId: string; mail: object }
 * ```
 */
export type FromPromise<T> = T extends {
  /** The promise form of `sendMail`. */
  sendMail(mail: never): Promise<infer I>
}
  ? I
  : unknown

/**
 * The `info` type a transporter's `sendMail()` resolves to.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import type { SentInfoOf } from 'email-tracking-consent/nodemailer'
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 })
 * type Info = SentInfoOf<typeof transporter> // SMTP's SentMessageInfo: messageId, accepted, rejected, …
 * const rejectedOf = (info: Info) => info.rejected
 * ```
 */
export type SentInfoOf<T> = unknown extends FromCallback<T> ? FromPromise<T> : FromCallback<T>

/**
 * The `sendMail()` options of a transporter, with the plugin's `consent` field.
 *
 * @example
 * ```ts
 * import { sendWithConsent, type MailWithConsent } from 'email-tracking-consent/nodemailer'
 * const mail: MailWithConsent<typeof transporter> = {
 *   from: 'news@example.com', to: 'ada@example.org', subject: 'Autumn news', html,
 *   consent: { contactId: 'c_42', category: 'marketing', messageId: 'autumn-2026-c_42' },
 * }
 * const info = await sendWithConsent(transporter, mail)
 * ```
 */
export type MailWithConsent<T> = (T extends {
  /** The transporter's `sendMail`, whose first parameter gives the options type. */
  sendMail(mail: infer M, ...rest: never[]): unknown
}
  ? M
  : object) & { consent?: MailConsent }

/**
 * What the transporter returned, with the plugin's outcome for the message.
 *
 * @example
 * ```ts
 * import { sendWithConsent, type InfoWithConsent, type SentInfoOf } from 'email-tracking-consent/nodemailer'
 * const info: InfoWithConsent<SentInfoOf<typeof transporter>> = await sendWithConsent(transporter, {
 *   from: 'news@example.com', to: 'ada@example.org', subject: 'Autumn news', html, consent: { contactId: 'c_42' },
 * })
 * info.messageId               // the transport's own fields…
 * info.consentTracking?.status // …and the plugin's outcome: 'tracked' or 'untracked'
 * ```
 */
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
export async function sendWithConsent<T extends {
  /** Nodemailer's promise-form `sendMail`: resolves with the transport's `info`. */
  sendMail(mail: never): Promise<unknown>
}>(
  transporter: T,
  mail: MailWithConsent<T>,
): Promise<InfoWithConsent<SentInfoOf<T>>> {
  // A fresh object per send is the key the plugin files this message's outcome under.
  const given = (mail as { consent?: MailConsent }).consent
  const consent: object = given ? { ...given } : { [NO_CONSENT]: true }
  const info: unknown = await transporter.sendMail({ ...(mail as object), consent } as never)
  const outcome = consentOutcome(consent)
  return (info !== null && typeof info === 'object'
    ? Object.assign(info, { consentTracking: outcome })
    : { info, consentTracking: outcome }) as InfoWithConsent<SentInfoOf<T>>
}
