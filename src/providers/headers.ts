import type { ProviderName } from './types.js'

/** What the ESP itself may track in one message. */
export interface ProviderTracking {
  opens: boolean
  clicks: boolean
}

/**
 * Amazon SES configuration sets to name per message (tracking lives in the set).
 *
 * @example
 * ```ts
 * import { transform, type SesConfigurationSets } from 'email-tracking-consent'
 * const ses: SesConfigurationSets = { untracked: 'newsletter-untracked', tracked: 'newsletter-tracked' }
 * const result = await transform({ html }, await store.get('c_42'), 'marketing', {
 *   tokens, baseUrl: 'https://t.example.com/mail', providers: ['ses'], tracker: 'provider', ses,
 * })
 * result.headers['X-SES-CONFIGURATION-SET'] // 'newsletter-tracked' when consent allows tracking, else 'newsletter-untracked'
 * ```
 */
export interface SesConfigurationSets {
  /** Set without open/click tracking, used for every untracked message. */
  untracked: string
  /** Set with tracking, used in `tracker: 'provider'` mode when consent allows. */
  tracked?: string
}

/** Options of {@link providerHeaders}. */
export interface ProviderHeaderOptions {
  ses?: SesConfigurationSets
}

/** Headers to set, plus warnings for headers that could not be merged. */
export interface ProviderHeaderResult {
  headers: Record<string, string>
  warnings: string[]
}

/**
 * Per-message tracking switches of each selected ESP, merged into the
 * message's existing headers (JSON headers such as `X-SMTPAPI` keep their
 * other settings). Click tracking, when on, is HTML-only so the withdrawal
 * URL of the text part is never wrapped.
 *
 * @example
 * ```ts
 * providerHeaders(['postmark'], { opens: false, clicks: false }, {})
 * // → { headers: { 'X-PM-TrackOpens': 'false', 'X-PM-TrackLinks': 'None' }, warnings: [] }
 * ```
 */
export function providerHeaders(
  providers: readonly ProviderName[],
  tracking: ProviderTracking,
  existing: Record<string, string>,
  options: ProviderHeaderOptions = {},
): ProviderHeaderResult {
  const headers: Record<string, string> = {}
  const warnings: string[] = []
  const { opens, clicks } = tracking
  for (const provider of providers) {
    switch (provider) {
      case 'sendgrid': {
        const merged = mergeJson(existing, 'X-SMTPAPI', (json) => {
          const filters = objectAt(json, 'filters')
          objectAt(objectAt(filters, 'clicktrack'), 'settings').enable = clicks ? 1 : 0
          objectAt(objectAt(filters, 'clicktrack'), 'settings').enable_text = 0
          objectAt(objectAt(filters, 'opentrack'), 'settings').enable = opens ? 1 : 0
        })
        if (merged === undefined) warnings.push('header-unmergeable:X-SMTPAPI')
        else headers['X-SMTPAPI'] = merged
        break
      }
      case 'mailgun':
        headers['X-Mailgun-Track'] = opens || clicks ? 'yes' : 'no'
        headers['X-Mailgun-Track-Clicks'] = clicks ? 'htmlonly' : 'no'
        headers['X-Mailgun-Track-Opens'] = opens ? 'yes' : 'no'
        break
      case 'postmark':
        headers['X-PM-TrackOpens'] = opens ? 'true' : 'false'
        headers['X-PM-TrackLinks'] = clicks ? 'HtmlOnly' : 'None'
        break
      case 'mailjet':
        headers['X-Mailjet-TrackOpen'] = opens ? '1' : '0'
        headers['X-Mailjet-TrackClick'] = clicks ? '1' : '0'
        break
      case 'sparkpost': {
        const merged = mergeJson(existing, 'X-MSYS-API', (json) => {
          const o = objectAt(json, 'options')
          o.open_tracking = opens
          o.click_tracking = clicks
        })
        if (merged === undefined) warnings.push('header-unmergeable:X-MSYS-API')
        else headers['X-MSYS-API'] = merged
        break
      }
      case 'ses': {
        const set = opens || clicks ? options.ses?.tracked : options.ses?.untracked
        if (set !== undefined) headers['X-SES-CONFIGURATION-SET'] = set
        break
      }
      case 'mandrill':
        // Mandrill has no documented per-message "off" header; its links are protected by mc:disable-tracking.
        break
    }
  }
  return { headers, warnings }
}

/** The value of `name` in `headers`, matched case-insensitively. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase()
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return headers[key]
  return undefined
}

/** Sets `name` in `headers`, replacing any case variant of it. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase()
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower && key !== name) delete headers[key]
  headers[name] = value
}

type Json = Record<string, unknown>

function objectAt(parent: Json, key: string): Json {
  const v = parent[key]
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Json
  const created: Json = {}
  parent[key] = created
  return created
}

function mergeJson(existing: Record<string, string>, name: string, edit: (json: Json) => void): string | undefined {
  const current = headerValue(existing, name)
  let json: Json = {}
  if (current !== undefined && current.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(current)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined
      json = parsed as Json
    } catch {
      return undefined
    }
  }
  edit(json)
  return JSON.stringify(json)
}
