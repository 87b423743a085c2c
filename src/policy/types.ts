/**
 * The kind of message being sent. It selects which rules apply.
 *
 * @example
 * ```ts
 * import { decide, type Category } from 'email-tracking-consent'
 * const category: Category = 'transactional' // a receipt: exempt by default, left untouched
 * decide(await store.get('c_42'), category).reasons // ['transactional-exempt']
 * ```
 */
export type Category = 'marketing' | 'transactional' | 'consent-request'

/**
 * A tracking purpose the contact can consent to separately.
 *
 * @example
 * ```ts
 * import type { ConsentRecord, Purpose } from 'email-tracking-consent'
 * const purposes: Purpose[] = ['opens', 'clicks']
 * const record: ConsentRecord | null = await store.get('c_42')
 * const granted = purposes.filter((p) => record?.[p].status === 'granted') // e.g. ['opens']
 * ```
 */
export type Purpose = 'opens' | 'clicks'

/**
 * The state of one purpose for one contact.
 *
 * @example
 * ```ts
 * import type { ConsentStatus } from 'email-tracking-consent'
 * const label: Record<ConsentStatus, string> = {
 *   granted: 'Tracking on', denied: 'Declined', withdrawn: 'Withdrawn', unknown: 'Not asked yet',
 * }
 * const record = await store.get('c_42')
 * console.log(`Opens: ${label[record?.opens.status ?? 'unknown']}`)
 * ```
 */
export type ConsentStatus = 'granted' | 'denied' | 'withdrawn' | 'unknown'

/**
 * One purpose's state and when it last changed.
 *
 * @example
 * ```ts
 * import type { PurposeState } from 'email-tracking-consent'
 * const opens: PurposeState = { status: 'granted', at: new Date('2026-05-02T09:30:00Z') }
 * const clicks: PurposeState = { status: 'unknown' } // never answered: no `at`
 * const record = await store.get('c_42')
 * if (record?.clicks.status === 'withdrawn') console.log('clicks withdrawn on', record.clicks.at)
 * ```
 */
export interface PurposeState {
  /** `unknown` means the contact never answered. */
  status: ConsentStatus
  /** When the status was set (the event's `at`). Absent for `unknown`. */
  at?: Date
}

/**
 * What the sender knows about one contact's tracking choices: the fold of
 * the consent events in the store (`email-tracking-consent/store`).
 *
 * @example
 * ```ts
 * import { decide, type ConsentRecord } from 'email-tracking-consent'
 * // Usually read from the store: `const record = await store.get('c_42')`.
 * const record: ConsentRecord = {
 *   contactId: 'c_42',
 *   opens: { status: 'granted', at: new Date('2026-05-02') },
 *   clicks: { status: 'denied', at: new Date('2026-05-02') },
 *   collectedAt: new Date('2026-05-02'),
 * }
 * decide(record, 'marketing').clicks // false
 * ```
 */
export interface ConsentRecord {
  /** The sender's opaque id for the contact. Never an email address. */
  contactId: string
  /** Consent to a per-recipient open pixel. */
  opens: PurposeState
  /** Consent to per-recipient click-tracking links. */
  clicks: PurposeState
  /** When the address was collected. Decides between opt-in and the legacy regime. */
  collectedAt?: Date
  /** When the contact was informed of tracking and of the way to object. */
  informedAt?: Date
  /** When a consent-request email was last sent. Drives the cooldown. */
  lastRequestAt?: Date
  /** `false` once the contact unsubscribed; absent or `true` means subscribed. */
  subscribed?: boolean
}

/**
 * Why a purpose may be tracked.
 *
 * @example
 * ```ts
 * import { decide, type Basis } from 'email-tracking-consent'
 * const basis: Basis = decide(await store.get('c_42'), 'marketing').basis
 * // 'consent': the contact opted in; 'legacy-no-objection': collected before 2026-04-14 and did not object;
 * // 'exempt': exempt category or list-hygiene open; 'none': nothing is tracked
 * console.log(`tracking basis for c_42: ${basis}`)
 * ```
 */
export type Basis = 'consent' | 'legacy-no-objection' | 'exempt' | 'none'

/**
 * The outcome of {@link decide}: whether to send, what may be tracked, and why.
 *
 * @example
 * ```ts
 * import { decide, type Decision } from 'email-tracking-consent'
 * const d: Decision = decide(await store.get('c_42'), 'marketing')
 * if (d.send) {
 *   // d.opens / d.clicks: what may be tracked in this message
 *   log.info({ contactId: 'c_42', opens: d.opens, clicks: d.clicks, basis: d.basis, reasons: d.reasons, policy: d.policy })
 * }
 * ```
 */
export interface Decision {
  /** `false` only when the message must not be sent at all. */
  send: boolean
  /** A per-recipient open pixel may be added. */
  opens: boolean
  /** Per-recipient click-tracking links may be added. */
  clicks: boolean
  /** The legal basis for the tracking, or `none`/`exempt`. */
  basis: Basis
  /** Stable reason codes, for logs and audits. See README "Reason codes". */
  reasons: string[]
  /** The policy id and version that decided, e.g. `cnil-2026@1`. */
  policy: string
  /** `true` when the only tracking allowed is the list-hygiene open (date only). */
  listHygiene?: boolean
}

/**
 * Policy data: every date and duration the rules use. Build one with
 * {@link cnilPolicy}, or write your own (for example with the Italian
 * Garante's dates).
 *
 * @example
 * ```ts
 * import { cnilPolicy, decide, type Policy } from 'email-tracking-consent'
 * const policy: Policy = {
 *   ...cnilPolicy(),
 *   id: 'acme-2026',
 *   version: 1,
 *   requestCooldownMonths: 12, // ask again after a year rather than six months
 * }
 * decide(await store.get('c_42'), 'marketing', { policy }).policy // 'acme-2026@1'
 * ```
 */
export interface Policy {
  /** Identifier, e.g. `cnil-2026`. */
  id: string
  /** Bumped whenever the data changes meaning. Shown as `id@version`. */
  version: number
  /** IANA time zone in which calendar days are counted. Default `Europe/Paris`. */
  timeZone: string
  /** First day (YYYY-MM-DD) on which newly collected contacts need opt-in. */
  regimeStart: string
  /** Last day (YYYY-MM-DD, inclusive) of the transition for legacy contacts. */
  transitionEnd: string
  /** After the transition: `no-objection` tracks informed legacy contacts who did not object; `strict` treats silence as refusal. */
  legacy: 'no-objection' | 'strict'
  /** Months to wait after an unanswered or refused consent request before asking again. */
  requestCooldownMonths: number
  /** Global kill switch: `false` turns every kind of tracking off. */
  trackingEnabled: boolean
  /** Categories exempt from the rules and left untouched. Default `['transactional']`. */
  exemptCategories: Category[]
  /** List-hygiene mode: an open pixel that keeps only the date of the last open. Off by default. */
  listHygiene: boolean
}
