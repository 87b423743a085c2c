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
  const result = (send: boolean, opens: boolean, clicks: boolean, basis: Basis, reasons: string[]): Decision => ({
    send,
    opens,
    clicks,
    basis,
    reasons,
    policy: policyId,
  })

  if (policy.exemptCategories.includes(category)) return result(true, false, false, 'exempt', [`${category}-exempt`])
  if (consent?.subscribed === false) return result(false, false, false, 'none', ['unsubscribed'])
  if (category === 'consent-request') return decideConsentRequest(consent, policy, now, result)
  if (!policy.trackingEnabled) return result(true, false, false, 'none', ['kill-switch'])
  if (consent == null) {
    if (policy.listHygiene) return { ...result(true, true, false, 'exempt', ['unknown-contact', 'opens:list-hygiene']), listHygiene: true }
    return result(true, false, false, 'none', ['unknown-contact'])
  }

  const today = dayOf(now, policy.timeZone)
  const opens = decidePurpose(consent, 'opens', policy, now, today)
  const clicks = decidePurpose(consent, 'clicks', policy, now, today)
  const reasons = [opens.reason, clicks.reason]
  const bases = [opens.basis, clicks.basis]
  const basis: Basis = bases.includes('legacy-no-objection') ? 'legacy-no-objection' : bases.includes('consent') ? 'consent' : 'none'
  if (!opens.allowed && policy.listHygiene && consent.opens.status === 'unknown') {
    // The hygiene exemption never overrides an explicit refusal, only silence.
    reasons.push('opens:list-hygiene')
    const hygieneBasis = basis === 'none' ? 'exempt' : basis
    return { ...result(true, true, clicks.allowed, hygieneBasis, reasons), listHygiene: true }
  }
  return result(true, opens.allowed, clicks.allowed, basis, reasons)
}

function decidePurpose(consent: ConsentRecord, purpose: Purpose, policy: Policy, now: Date, today: string): PurposeOutcome {
  const state: PurposeState = consent[purpose]
  switch (state.status) {
    case 'granted':
      // A grant dated after the send (clock skew, a future-dated import) is not consent yet.
      if (state.at && state.at.getTime() > now.getTime()) return { allowed: false, reason: `${purpose}:granted-later` }
      return { allowed: true, basis: 'consent', reason: `${purpose}:granted` }
    case 'denied':
      return { allowed: false, reason: `${purpose}:denied` }
    case 'withdrawn':
      return { allowed: false, reason: `${purpose}:withdrawn` }
    case 'unknown':
      break
  }
  if (!consent.collectedAt) return { allowed: false, reason: `${purpose}:collected-unknown` }
  if (dayOf(consent.collectedAt, policy.timeZone) >= policy.regimeStart) return { allowed: false, reason: `${purpose}:opt-in-required` }
  if (today <= policy.transitionEnd) return { allowed: true, basis: 'legacy-no-objection', reason: `${purpose}:legacy-transition` }
  if (policy.legacy === 'strict') return { allowed: false, reason: `${purpose}:legacy-strict` }
  if (!consent.informedAt || consent.informedAt.getTime() > now.getTime())
    return { allowed: false, reason: `${purpose}:legacy-not-informed` }
  return { allowed: true, basis: 'legacy-no-objection', reason: `${purpose}:legacy-no-objection` }
}

function decideConsentRequest(
  consent: ConsentRecord | null | undefined,
  policy: Policy,
  now: Date,
  result: (send: boolean, opens: boolean, clicks: boolean, basis: Basis, reasons: string[]) => Decision,
): Decision {
  if (consent == null) return result(true, false, false, 'none', ['consent-request'])
  if (consent.opens.status === 'granted' && consent.clicks.status === 'granted')
    return result(false, false, false, 'none', ['already-granted'])
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
    if (!answeredSince && dayOf(now, policy.timeZone) < askAgainFrom) return result(false, false, false, 'none', ['request-cooldown'])
  }
  return result(true, false, false, 'none', ['consent-request'])
}
