import { addMonths, dayOf } from './calendar.js'
import { cnilPolicy } from './cnil.js'
import type { Basis, Category, ConsentRecord, Decision, Policy, Purpose, PurposeState } from './types.js'
import { validateCategory, validateDate, validatePolicy, validateRecord } from './validate.js'

/**
 * Options of {@link decide}.
 *
 * @example
 * ```ts
 * import { cnilPolicy, decide, type DecideOptions } from 'email-tracking-consent'
 * const options: DecideOptions = { policy: cnilPolicy({ strict: true }), now: new Date('2026-09-01T08:00:00Z') }
 * decide(await store.get('c_42'), 'marketing', options).policy // 'cnil-2026-strict@1'
 * ```
 */
export interface DecideOptions {
  /** The rules to apply. Default: `cnilPolicy()`. */
  policy?: Policy
  /** The instant of the send. Default: now. */
  now?: Date
}

type PurposeOutcome = { allowed: boolean; basis?: 'consent' | 'legacy-no-objection'; reason: string }

/** The reason codes of one purpose, spelled once rather than for every decision. */
function reasonsOf(purpose: Purpose) {
  const reason = (what: string) => `${purpose}:${what}`
  return {
    granted: reason('granted'),
    grantedLater: reason('granted-later'),
    denied: reason('denied'),
    withdrawn: reason('withdrawn'),
    collectedUnknown: reason('collected-unknown'),
    optInRequired: reason('opt-in-required'),
    legacyTransition: reason('legacy-transition'),
    legacyStrict: reason('legacy-strict'),
    legacyNotInformed: reason('legacy-not-informed'),
    legacyNoObjection: reason('legacy-no-objection'),
  }
}
const REASONS = { opens: reasonsOf('opens'), clicks: reasonsOf('clicks') }

let defaultPolicy: Policy | undefined
// `id@version` of each policy object met: decisions are made per recipient and per pixel hit.
const policyIds = new WeakMap<Policy, string>()

function policyIdOf(policy: Policy): string {
  let id = policyIds.get(policy)
  if (id === undefined) policyIds.set(policy, (id = `${policy.id}@${policy.version}`))
  return id
}

/**
 * Decides what may be tracked in one message to one contact: a pure function
 * of the consent record, the category, the policy and the time.
 *
 * Reason codes are stable (README "Reason codes"); purpose-specific ones are
 * prefixed `opens:` or `clicks:`.
 *
 * @throws {PolicyError} for a malformed record, an unknown category or an invalid date or policy.
 * @example
 * ```ts
 * import { decide } from 'email-tracking-consent'
 * const d = decide(
 *   { contactId: 'c_42', opens: { status: 'granted', at: new Date('2026-05-02') }, clicks: { status: 'unknown' } },
 *   'marketing',
 *   { now: new Date('2026-09-01') },
 * )
 * // d → { send: true, opens: true, clicks: false, basis: 'consent', reasons: ['opens:granted', 'clicks:opt-in-required'], … }
 * ```
 */
export function decide(consent: ConsentRecord | null | undefined, category: Category, options: DecideOptions = {}): Decision {
  const policy = validatePolicy(options.policy ?? (defaultPolicy ??= cnilPolicy()))
  const now = options.now ?? new Date()
  validateDate(now, 'now')
  validateCategory(category)
  if (consent != null) validateRecord(consent)
  const policyId = policyIdOf(policy)

  if (policy.exemptCategories.includes(category)) return decision(true, false, false, 'exempt', [`${category}-exempt`], policyId)
  if (consent?.subscribed === false) return decision(false, false, false, 'none', ['unsubscribed'], policyId)
  if (category === 'consent-request') return decideConsentRequest(consent, policy, now, policyId)
  if (!policy.trackingEnabled) return decision(true, false, false, 'none', ['kill-switch'], policyId)
  if (consent == null) {
    if (policy.listHygiene) return { ...decision(true, true, false, 'exempt', ['unknown-contact', 'opens:list-hygiene'], policyId), listHygiene: true }
    return decision(true, false, false, 'none', ['unknown-contact'], policyId)
  }

  const opens = decidePurpose(consent, 'opens', policy, now)
  const clicks = decidePurpose(consent, 'clicks', policy, now)
  const reasons = [opens.reason, clicks.reason]
  const basis: Basis =
    opens.basis === 'legacy-no-objection' || clicks.basis === 'legacy-no-objection'
      ? 'legacy-no-objection'
      : opens.basis === 'consent' || clicks.basis === 'consent'
        ? 'consent'
        : 'none'
  if (!opens.allowed && policy.listHygiene && consent.opens.status === 'unknown') {
    // The hygiene exemption never overrides an explicit refusal, only silence.
    reasons.push('opens:list-hygiene')
    const hygieneBasis = basis === 'none' ? 'exempt' : basis
    return { ...decision(true, true, clicks.allowed, hygieneBasis, reasons, policyId), listHygiene: true }
  }
  return decision(true, opens.allowed, clicks.allowed, basis, reasons, policyId)
}

/** A decision: its fields always in this order, so every decision has one shape. */
function decision(send: boolean, opens: boolean, clicks: boolean, basis: Basis, reasons: string[], policy: string): Decision {
  return { send, opens, clicks, basis, reasons, policy }
}

function decidePurpose(consent: ConsentRecord, purpose: Purpose, policy: Policy, now: Date): PurposeOutcome {
  const state: PurposeState = consent[purpose]
  const reason = REASONS[purpose]
  switch (state.status) {
    case 'granted':
      // A grant dated after the send (clock skew, a future-dated import) is not consent yet.
      if (state.at && state.at.getTime() > now.getTime()) return { allowed: false, reason: reason.grantedLater }
      return { allowed: true, basis: 'consent', reason: reason.granted }
    case 'denied':
      return { allowed: false, reason: reason.denied }
    case 'withdrawn':
      return { allowed: false, reason: reason.withdrawn }
    case 'unknown':
      break
  }
  if (!consent.collectedAt) return { allowed: false, reason: reason.collectedUnknown }
  if (dayOf(consent.collectedAt, policy.timeZone) >= policy.regimeStart) return { allowed: false, reason: reason.optInRequired }
  // Today's date matters only to the legacy rules: a granted, denied or withdrawn purpose never asks for it.
  if (dayOf(now, policy.timeZone) <= policy.transitionEnd) return { allowed: true, basis: 'legacy-no-objection', reason: reason.legacyTransition }
  if (policy.legacy === 'strict') return { allowed: false, reason: reason.legacyStrict }
  if (!consent.informedAt || consent.informedAt.getTime() > now.getTime()) return { allowed: false, reason: reason.legacyNotInformed }
  return { allowed: true, basis: 'legacy-no-objection', reason: reason.legacyNoObjection }
}

function decideConsentRequest(
  consent: ConsentRecord | null | undefined,
  policy: Policy,
  now: Date,
  policyId: string,
): Decision {
  if (consent == null) return decision(true, false, false, 'none', ['consent-request'], policyId)
  if (consent.opens.status === 'granted' && consent.clicks.status === 'granted')
    return decision(false, false, false, 'none', ['already-granted'], policyId)
  // The last time the contact was asked or said no starts the wait.
  let last: Date | undefined = consent.lastRequestAt
  for (const state of [consent.opens, consent.clicks]) {
    if ((state.status === 'denied' || state.status === 'withdrawn') && state.at && (!last || state.at > last)) last = state.at
  }
  if (last) {
    const answeredSince = [consent.opens, consent.clicks].some(
      (s) => s.status === 'granted' && s.at !== undefined && s.at >= last!,
    )
    const askAgainFrom = addMonths(dayOf(last, policy.timeZone), policy.requestCooldownMonths)
    if (!answeredSince && dayOf(now, policy.timeZone) < askAgainFrom) return decision(false, false, false, 'none', ['request-cooldown'], policyId)
  }
  return decision(true, false, false, 'none', ['consent-request'], policyId)
}
