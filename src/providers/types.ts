/**
 * ESPs whose per-message tracking switches and per-link no-track attributes the library knows.
 *
 * @example
 * ```ts
 * import { transform, type ProviderName } from 'email-tracking-consent'
 * const esp: ProviderName = 'mailgun'
 * const result = await transform({ html }, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail', providers: [esp] })
 * result.headers['X-Mailgun-Track'] // 'no': with the default `tracker: 'self'`, the ESP never tracks
 * ```
 */
export type ProviderName = 'sendgrid' | 'mailgun' | 'postmark' | 'mailjet' | 'sparkpost' | 'ses' | 'mandrill'

/**
 * Every provider, in the order headers are written.
 *
 * @example
 * ```ts
 * import { compile, PROVIDER_NAMES, type ProviderName } from 'email-tracking-consent'
 * const isProvider = (name: string): name is ProviderName => PROVIDER_NAMES.some((p) => p === name)
 * const providers = (process.env.ESPS ?? 'postmark').split(',').filter(isProvider)
 * const campaign = compile({ html }, { tokens, baseUrl: 'https://t.example.com/mail', providers })
 * ```
 */
export const PROVIDER_NAMES: readonly ProviderName[] = Object.freeze([
  'sendgrid',
  'mailgun',
  'postmark',
  'mailjet',
  'sparkpost',
  'ses',
  'mandrill',
] as ProviderName[])

/**
 * Which ESPs to address: every known one (default), none, or a list.
 *
 * @example
 * ```ts
 * import { compile, type ProviderSelection } from 'email-tracking-consent'
 * // 'all' (default): every known ESP's switches; 'none': no ESP header or attribute at all
 * const providers: ProviderSelection = process.env.ESP === 'smtp' ? 'none' : ['sendgrid', 'ses']
 * const campaign = compile({ html }, { tokens, baseUrl: 'https://t.example.com/mail', providers })
 * ```
 */
export type ProviderSelection = 'all' | 'none' | readonly ProviderName[]
