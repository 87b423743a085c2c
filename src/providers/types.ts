/** ESPs whose per-message tracking switches and per-link no-track attributes the library knows. */
export type ProviderName = 'sendgrid' | 'mailgun' | 'postmark' | 'mailjet' | 'sparkpost' | 'ses' | 'mandrill'

/** Every provider, in the order headers are written. */
export const PROVIDER_NAMES: readonly ProviderName[] = Object.freeze([
  'sendgrid',
  'mailgun',
  'postmark',
  'mailjet',
  'sparkpost',
  'ses',
  'mandrill',
] as ProviderName[])

/** Which ESPs to address: every known one (default), none, or a list. */
export type ProviderSelection = 'all' | 'none' | readonly ProviderName[]
