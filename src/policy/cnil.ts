import type { Category, Policy } from './types.js'
import { validatePolicy } from './validate.js'

/**
 * Options of {@link cnilPolicy}. Each defaults to the CNIL reading in README "Compliance map".
 *
 * @example
 * ```ts
 * import { cnilPolicy, type CnilPolicyOptions } from 'email-tracking-consent'
 * const options: CnilPolicyOptions = { listHygiene: true, timeZone: 'Europe/Brussels' }
 * const policy = cnilPolicy(options)
 * policy.id // 'cnil-2026' ('cnil-2026-strict' with `strict: true`)
 * ```
 */
export interface CnilPolicyOptions {
  /** After the transition, treat a legacy contact's silence as refusal. Default `false`. */
  strict?: boolean
  /** Allow the date-only list-hygiene open pixel for contacts who never answered. Default `false`. */
  listHygiene?: boolean
  /** Global kill switch; `false` turns all tracking off. Default `true`. */
  trackingEnabled?: boolean
  /** Categories left untouched. Default `['transactional']`. */
  exemptCategories?: Category[]
  /** Time zone in which days are counted. Default `Europe/Paris`. */
  timeZone?: string
}

/**
 * The policy of the CNIL recommendation on email tracking pixels
 * (Délibération n° 2026-042): opt-in from 2026-04-14, a transition for
 * existing contacts until 2026-07-14 inclusive, then tracking of informed
 * legacy contacts who did not object, and a 6-month wait between consent
 * requests.
 *
 * @example
 * ```ts
 * import { cnilPolicy, decide } from 'email-tracking-consent'
 * const policy = cnilPolicy({ strict: true })
 * decide(record, 'marketing', { policy }).policy // 'cnil-2026-strict@1'
 * ```
 */
export function cnilPolicy(options: CnilPolicyOptions = {}): Policy {
  const strict = options.strict ?? false
  return validatePolicy({
    id: strict ? 'cnil-2026-strict' : 'cnil-2026',
    version: 1,
    timeZone: options.timeZone ?? 'Europe/Paris',
    regimeStart: '2026-04-14',
    transitionEnd: '2026-07-14',
    legacy: strict ? 'strict' : 'no-objection',
    requestCooldownMonths: 6,
    trackingEnabled: options.trackingEnabled ?? true,
    exemptCategories: options.exemptCategories ?? ['transactional'],
    listHygiene: options.listHygiene ?? false,
  })
}
