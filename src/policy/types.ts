/** The kind of message being sent. It selects which rules apply. */
export type Category = 'marketing' | 'transactional' | 'consent-request'

/** A tracking purpose the contact can consent to separately. */
export type Purpose = 'opens' | 'clicks'

/** The state of one purpose for one contact. */
export type ConsentStatus = 'granted' | 'denied' | 'withdrawn' | 'unknown'

/** One purpose's state and when it last changed. */
export interface PurposeState {
  /** `unknown` means the contact never answered. */
  status: ConsentStatus
  /** When the status was set (the event's `at`). Absent for `unknown`. */
  at?: Date
}

/**
 * What the sender knows about one contact's tracking choices: the fold of
 * the consent events in the store (`email-tracking-consent/store`).
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

/** Why a purpose may be tracked. */
export type Basis = 'consent' | 'legacy-no-objection' | 'exempt' | 'none'

/**
 * The outcome of {@link decide}: whether to send, what may be tracked, and why.
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
