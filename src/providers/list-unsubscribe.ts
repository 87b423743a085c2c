/**
 * `TransformOptions.unsubscribe`: how the one-click unsubscribe route is announced.
 *
 * @example
 * ```ts
 * import { transform, type UnsubscribeOptions } from 'email-tracking-consent'
 * const unsubscribe: UnsubscribeOptions = { mailto: 'unsubscribe@example.com' }
 * const { headers } = await transform({ html }, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail', unsubscribe })
 * headers['List-Unsubscribe'] // '<https://t.example.com/mail/u/…>, <mailto:unsubscribe@example.com>'
 * headers['List-Unsubscribe-Post'] // 'List-Unsubscribe=One-Click'
 * ```
 */
export interface UnsubscribeOptions {
  /** Also offer `mailto:` unsubscription (RFC 2369), e.g. `unsubscribe@example.com`. */
  mailto?: string
}

/**
 * `List-Unsubscribe` (RFC 2369) with the personal `/u/` URL first, and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058) when that
 * URL is HTTPS, as RFC 8058 §3.1 requires. Both must be covered by the
 * message's DKIM signature, which the sending MTA adds after us.
 *
 * @example
 * ```ts
 * listUnsubscribeHeaders('https://t.example.com/u/tok', { mailto: 'unsub@example.com' })
 * // → { 'List-Unsubscribe': '<https://t.example.com/u/tok>, <mailto:unsub@example.com>',
 * //     'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
 * ```
 */
export function listUnsubscribeHeaders(url: string, options: UnsubscribeOptions = {}): Record<string, string> {
  const targets = [`<${url}>`]
  if (options.mailto) targets.push(`<mailto:${options.mailto}>`)
  const headers: Record<string, string> = { 'List-Unsubscribe': targets.join(', ') }
  if (/^https:\/\//i.test(url)) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click'
  return headers
}
