import type { ProviderName } from './types.js'

/**
 * One ESP's per-link "do not rewrite this link" attribute.
 *
 * @example
 * ```ts
 * import { NO_TRACK_ATTRIBUTES, type NoTrackAttribute } from 'email-tracking-consent'
 * const attr: NoTrackAttribute | undefined = NO_TRACK_ATTRIBUTES.find((a) => a.provider === 'sparkpost')
 * // → { provider: 'sparkpost', name: 'data-msys-clicktrack', value: '0' }
 * const text = attr === undefined ? '' : attr.value === '' ? attr.name : `${attr.name}="${attr.value}"`
 * ```
 */
export interface NoTrackAttribute {
  provider: ProviderName
  /** Attribute name as written in HTML. */
  name: string
  /** Value; `''` for a bare boolean attribute. */
  value: string
}

/**
 * Per-link no-track attributes: stamped on withdrawal, preference,
 * consent and unsubscribe links so an ESP's click tracking never wraps them.
 * Mailgun and Mailjet have no such attribute; their tracking is switched per
 * message by header instead.
 *
 * @example
 * ```ts
 * import { NO_TRACK_ATTRIBUTES } from 'email-tracking-consent'
 * // Stamp a link of your own so Postmark and SES never rewrite it:
 * const stamp = NO_TRACK_ATTRIBUTES.filter((a) => a.provider === 'postmark' || a.provider === 'ses')
 *   .map((a) => (a.value === '' ? a.name : `${a.name}="${a.value}"`))
 *   .join(' ')
 * const link = `<a href="https://example.com/account" ${stamp}>My account</a>` // data-pm-no-track ses:no-track
 * ```
 */
export const NO_TRACK_ATTRIBUTES: readonly NoTrackAttribute[] = Object.freeze([
  { provider: 'sendgrid', name: 'clicktracking', value: 'off' },
  { provider: 'postmark', name: 'data-pm-no-track', value: '' },
  { provider: 'ses', name: 'ses:no-track', value: '' },
  { provider: 'mandrill', name: 'mc:disable-tracking', value: '' },
  { provider: 'sparkpost', name: 'data-msys-clicktrack', value: '0' },
] satisfies NoTrackAttribute[])

/** The attributes for the selected providers. */
export function noTrackAttributes(providers: readonly ProviderName[]): NoTrackAttribute[] {
  return NO_TRACK_ATTRIBUTES.filter((a) => providers.includes(a.provider))
}

/** `attr="value"` text for insertion into a start tag, skipping names already present. */
export function stampText(attributes: readonly NoTrackAttribute[], present: readonly string[]): string {
  let out = ''
  for (const a of attributes) {
    if (present.includes(a.name)) continue
    out += a.value === '' ? ` ${a.name}` : ` ${a.name}="${a.value}"`
  }
  return out
}
