import type { Category, ConsentRecord, Decision } from '../policy/types.js'
import type { ConsentStore } from '../store/types.js'
import type { TransformOptions, TransformResult } from '../transform.js'

/**
 * What the caller adds to `sendMail()` options, as `consent`, to say who the
 * single recipient is in the consent store and what kind of message this is.
 * Give either `contactId` (the plugin looks the contact up) or `record` (a
 * `ConsentRecord` the caller already holds; `null` for a contact known to be
 * absent from the store).
 *
 * @example
 * ```ts
 * import { sendWithConsent, type MailConsent } from 'email-tracking-consent/nodemailer'
 * // Let the plugin look the contact up…
 * const byId: MailConsent = { contactId: 'c_42', category: 'marketing', messageId: 'autumn-2026-c_42' }
 * // …or pass the record you already hold (null: known to be absent from the store).
 * const byRecord: MailConsent = { contactId: 'c_42', record: await store.get('c_42'), category: 'marketing' }
 * await sendWithConsent(transporter, { from: 'news@example.com', to: 'ada@example.org', subject: 'Autumn news', html, consent: byId })
 * ```
 */
export interface MailConsent {
  /** The recipient's opaque id in the consent store. Never an email address. */
  contactId?: string
  /** The recipient's consent record, when the caller already holds it: no store lookup then. */
  record?: ConsentRecord | null
  /** The kind of message. Default: the plugin's `defaultCategory`. */
  category?: Category
  /** Your id for this message, written into the personal tokens (opaque, not the Message-ID header). */
  messageId?: string
}

/**
 * Why the plugin sent a message untracked without asking the policy about
 * the contact. Every one of these still sends the message.
 * - `missing-consent`: the `sendMail()` options had no `consent` field.
 * - `invalid-consent`: `consent` was not an object with a `contactId` string or a `record`, or named an unknown category.
 * - `no-recipient`, `multiple-recipients`: personal tokens need exactly one recipient (to + cc + bcc, or the envelope).
 * - `store-error`: the store lookup threw or rejected.
 * - `store-timeout`: the store did not answer within `lookupTimeoutMs`.
 * - `transform-error`: `transform()` threw for this message; the untracked rewrite was used.
 * - `raw-message`: the message is a pregenerated `raw` MIME message, which the plugin cannot read; it passes through unchanged.
 *
 * @example
 * ```ts
 * import type { ConsentOutcome, FallbackReason } from 'email-tracking-consent/nodemailer'
 * const onDecision = (outcome: ConsentOutcome) => {
 *   const reason: FallbackReason | undefined = outcome.fallback
 *   switch (reason) {
 *     case 'store-error': case 'store-timeout': alerts.notify('consent store unavailable: sending untracked', outcome.error); break
 *     case 'missing-consent': case 'invalid-consent': console.warn('sendMail() without a valid consent field'); break
 *   }
 * }
 * ```
 */
export type FallbackReason =
  | 'missing-consent'
  | 'invalid-consent'
  | 'no-recipient'
  | 'multiple-recipients'
  | 'store-error'
  | 'store-timeout'
  | 'transform-error'
  | 'raw-message'

/**
 * What happened to one message: reported on `info.consentTracking` (through
 * {@link sendWithConsent}), to `onDecision`, to the plugin's `decision` event,
 * and stored on the message as `mail.data.consentTracking`.
 *
 * @example
 * ```ts
 * import { consentTracking, type ConsentOutcome } from 'email-tracking-consent/nodemailer'
 * const onDecision = (outcome: ConsentOutcome) => {
 *   if (outcome.fallback) console.warn(`${outcome.contactId ?? '?'}: untracked (${outcome.fallback})`, outcome.error)
 *   else console.log(outcome.contactId, outcome.status, outcome.decision?.reasons) // e.g. c_42 tracked ['opens:granted', …]
 * }
 * transporter.use('compile', consentTracking({ store, tokens, baseUrl: 'https://t.example.com/email', onDecision }))
 * ```
 */
export interface ConsentOutcome {
  /**
   * `tracked` when the message carries our open pixel or click links,
   * `untracked` when it carries no tracker at all (including exempt mail),
   * `skipped` when it was not sent (`decision.send === false`).
   */
  status: 'tracked' | 'untracked' | 'skipped'
  /** Set when the plugin fell back to an untracked message for a reason of its own. */
  fallback?: FallbackReason
  /** The recipient's contact id, when known. */
  contactId?: string
  category: Category
  /** The id written into the tokens (`consent.messageId`), when given. */
  messageId?: string
  /** The policy's decision. Absent only for a `raw-message` that was not read. */
  decision?: Decision
  /** Distinct recipients of the message (to + cc + bcc, or the envelope). */
  recipients: number
  /** The personal links of a tracked message (pixel, withdraw, preferences, …). */
  links: TransformResult['links']
  /** Trackers stripped from the message. */
  removed: TransformResult['removed']
  /** Non-fatal remarks from the rewrite, e.g. an HTML part over Gmail's ~102 KB clipping size. */
  warnings: string[]
  /** The store or transform error behind a `store-error` or `transform-error` fallback. */
  error?: unknown
}

/**
 * Options shared by {@link consentTracking} and {@link sendCampaign}.
 *
 * @example
 * ```ts
 * import { consentTracking, sendCampaign, type LookupOptions } from 'email-tracking-consent/nodemailer'
 * // One store deadline and a fixed clock (in tests) for the plugin and the campaign sender alike.
 * const lookup: LookupOptions = { lookupTimeoutMs: 3_000, now: () => new Date('2026-11-02T09:00:00Z') }
 * transporter.use('compile', consentTracking({ store, tokens, baseUrl: 'https://t.example.com/email', ...lookup }))
 * await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing', ...lookup })
 * ```
 */
export interface LookupOptions {
  /** Milliseconds to wait for the store before sending untracked (`store-timeout`). Default 2000 (plugin), 10000 per batch (campaign). */
  lookupTimeoutMs?: number
  /** The clock of decisions. Default: `() => new Date()`. */
  now?: () => Date
}

/**
 * Options of {@link consentTracking}.
 *
 * @example
 * ```ts
 * import { consentTracking, type ConsentTrackingOptions } from 'email-tracking-consent/nodemailer'
 * const options: ConsentTrackingOptions = {
 *   store, tokens, baseUrl: 'https://t.example.com/email',
 *   defaultCategory: 'transactional', lookupTimeoutMs: 1_000, templateCache: 64,
 *   unsubscribe: true, locale: 'fr',
 * }
 * transporter.use('compile', consentTracking(options))
 * ```
 */
export interface ConsentTrackingOptions extends Omit<TransformOptions, 'messageId' | 'now'>, LookupOptions {
  /** Where consent records come from. Only `get` is used. */
  store: Pick<ConsentStore, 'get'>
  /** Category of a message whose `consent` names none, or has no `consent` at all. Default `marketing`. */
  defaultCategory?: Category
  /** Called once per message with what was decided, including skipped ones. A throwing listener never breaks a send. */
  onDecision?: (outcome: ConsentOutcome) => void
  /**
   * Distinct emails kept compiled, so a template sent to many recipients one
   * `sendMail()` at a time is parsed once. `0` turns the cache off. Default 32.
   */
  templateCache?: number
}

