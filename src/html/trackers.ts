/**
 * Tracker detection data: which URLs are open pixels, which links are
 * click-tracking redirects (and whether their destination can be read
 * without following them), and which query parameters identify a recipient.
 *
 * This is data, not code paths: extend it per call with
 * `TransformOptions.trackers` (`{ rules, params }`) or by spreading
 * {@link knownTrackers} into your own list.
 */

/**
 * How the destination of a click-tracking redirect is written into its URL.
 *
 * @example
 * ```ts
 * import type { RedirectDestination, TrackerRule } from 'email-tracking-consent'
 * // https://go.acme-mail.example/r?to=https%3A%2F%2Fshop.example%2Fsale → https://shop.example/sale
 * const inQuery: RedirectDestination = { param: 'to' }
 * // https://go.acme-mail.example/redirect/https:%2F%2Fshop.example%2Fsale/ → the same
 * const inPath: RedirectDestination = { pathAfter: '/redirect/' }
 * const rule: TrackerRule = { name: 'acme-mail', kind: 'click', pattern: /\bgo\.acme-mail\.example\/r\?/i, destination: inQuery }
 * ```
 */
export type RedirectDestination =
  /** A query parameter holding the destination, percent-encoded or `hex`-encoded UTF-8. */
  | { param: string; encoding?: 'percent' | 'hex' }
  /** A path segment right after `after` holding the percent-encoded destination (Amazon SES `…/L0/https:%2F%2F…/`). */
  | { pathAfter: string }

/**
 * One entry of the tracker list.
 *
 * @example
 * ```ts
 * import { transform, type TrackerRule } from 'email-tracking-consent'
 * const pixel: TrackerRule = { name: 'acme-mail', kind: 'pixel', pattern: /\bopen\.acme-mail\.example\/o\.gif/i }
 * // An opaque redirect: never followed, made anonymous by dropping its `rid` parameter.
 * const click: TrackerRule = { name: 'acme-mail', kind: 'click', pattern: /\bclick\.acme-mail\.example\//i, params: ['rid'] }
 * const result = await transform({ html }, await store.get('c_42'), 'marketing', {
 *   tokens, baseUrl: 'https://t.example.com/mail', trackers: { rules: [pixel, click] },
 * })
 * // result.removed may now hold { kind: 'pixel', reason: 'known-pixel:acme-mail', … }
 * ```
 */
export interface TrackerRule {
  /** Who runs it (ESP or tool); appears in removal reasons, e.g. `known-pixel:mailchimp`. */
  name: string
  /** `pixel`: an open-tracking image; `click`: a click-tracking redirect link. */
  kind: 'pixel' | 'click'
  /** Tested against the absolute URL (entities decoded). */
  pattern: RegExp
  /**
   * For `click` rules: where the real destination is. Absent means an opaque
   * redirect: it is never followed (following it would record a click) and
   * is kept, with a warning, unless `params` can make it anonymous.
   */
  destination?: RedirectDestination
  /** Query parameters of this tracker's URLs that identify the recipient; dropped when untracked. */
  params?: readonly string[]
}

/**
 * Open pixels and click redirects of the common ESPs and mail trackers. The
 * patterns are deliberately narrow: a false positive removes a real image or
 * changes a real link.
 *
 * @example
 * ```ts
 * import { knownTrackers } from 'email-tracking-consent'
 * const url = 'https://acme.us1.list-manage.com/track/open.php?u=1&id=2&e=3'
 * const rule = knownTrackers.find((r) => r.pattern.test(url)) // { name: 'mailchimp', kind: 'pixel', … }
 * const vendors = new Set(knownTrackers.map((r) => r.name)) // 'mailchimp', 'sendgrid', 'amazon-ses', …
 * // Add your own rules per call with `trackers: { rules }` (see TrackerOptions).
 * ```
 */
export const knownTrackers: readonly TrackerRule[] = Object.freeze([
  // Open pixels.
  { name: 'mailchimp', kind: 'pixel', pattern: /\blist-manage\d*\.com\/track\/open\.php/i },
  { name: 'sendgrid', kind: 'pixel', pattern: /\/wf\/open\?upn=/i },
  { name: 'mailjet', kind: 'pixel', pattern: /\bmjt\.lu\/oo\//i },
  { name: 'postmark', kind: 'pixel', pattern: /\bpstmrk\.it\/open/i },
  { name: 'sparkpost', kind: 'pixel', pattern: /\b(?:spgo\.io|sparkpostmail\d*\.com)\/q\//i },
  { name: 'amazon-ses', kind: 'pixel', pattern: /\bawstrack\.me\/I0\//i },
  { name: 'hubspot', kind: 'pixel', pattern: /\/e[12]t\/o\/|\btrack\.hubspot\.com\/__ptq\.gif/i },
  { name: 'campaign-monitor', kind: 'pixel', pattern: /\b(?:cmail\d+|createsend\d*)\.com\/t\/[^/?#]+\/o\.gif/i },
  { name: 'constant-contact', kind: 'pixel', pattern: /\brs6\.net\/on\.jsp/i },
  { name: 'activecampaign', kind: 'pixel', pattern: /\/lt\.php\?(?=[^#]*\bl=open\b)/i },
  { name: 'brevo', kind: 'pixel', pattern: /\/tr\/op\//i },
  { name: 'salesforce-mc', kind: 'pixel', pattern: /\/open\.aspx\?ffcb10-/i },
  { name: 'marketo', kind: 'pixel', pattern: /\/trk\?t=1&(?:amp;)?mkt_tok=/i },
  { name: 'keap', kind: 'pixel', pattern: /\binfusionsoft\.com\/app\/emailOpened\//i },
  { name: 'rapidmail', kind: 'pixel', pattern: /\bemailsys\d*[a-z]?\.net\/o\//i },
  { name: 'convertkit', kind: 'pixel', pattern: /\bopen\.convertkit-mail\d*\.com\//i },
  { name: 'mailtrack', kind: 'pixel', pattern: /\bmailtrack\.io\/trace\/mail\//i },
  { name: 'streak', kind: 'pixel', pattern: /\bmailfoogae\.appspot\.com\/t\?/i },
  { name: 'yesware', kind: 'pixel', pattern: /\bt\.yesware\.com\/t\//i },
  { name: 'google-analytics', kind: 'pixel', pattern: /\bgoogle-analytics\.com\/(?:r\/)?collect\?/i },

  // Click redirects whose destination is readable.
  { name: 'amazon-ses', kind: 'click', pattern: /\bawstrack\.me\/L0\//i, destination: { pathAfter: '/L0/' } },
  { name: 'google-redirect', kind: 'click', pattern: /^https?:\/\/(?:www\.)?google\.[a-z.]+\/url\?/i, destination: { param: 'q' } },
  { name: 'outlook-safelinks', kind: 'click', pattern: /\bsafelinks\.protection\.outlook\.com\/\?/i, destination: { param: 'url' } },
  { name: 'facebook-redirect', kind: 'click', pattern: /^https?:\/\/l\.facebook\.com\/l\.php\?/i, destination: { param: 'u' } },
  { name: 'statredirect', kind: 'click', pattern: /\/redirect\/\?(?=[^#]*\btarget=statredirect\b)/i, destination: { param: 'href', encoding: 'hex' } },

  // Opaque click redirects: never followed.
  { name: 'mailchimp', kind: 'click', pattern: /\blist-manage\d*\.com\/track\/click\?/i, params: ['e'] },
  { name: 'mailchimp', kind: 'click', pattern: /^https?:\/\/mailchi\.mp\//i, params: ['e'] },
  { name: 'sendgrid', kind: 'click', pattern: /\/ls\/click\?upn=/i },
  { name: 'mailjet', kind: 'click', pattern: /\bmjt\.lu\/lnk\//i },
  { name: 'postmark', kind: 'click', pattern: /\bclick\.pstmrk\.it\//i },
  { name: 'sparkpost', kind: 'click', pattern: /\b(?:spgo\.io|sparkpostmail\d*\.com)\/f\/a\//i },
  { name: 'hubspot', kind: 'click', pattern: /\/e[123]t\/c(?:tc)?\//i },
  { name: 'constant-contact', kind: 'click', pattern: /\brs6\.net\/tn\.jsp/i },
  { name: 'keap', kind: 'click', pattern: /\binfusionsoft\.com\/app\/linkClick\//i },
  { name: 'rapidmail', kind: 'click', pattern: /\bemailsys\d*[a-z]?\.net\/c\//i },
  { name: 'campaign-monitor', kind: 'click', pattern: /\b(?:cmail\d+|createsend\d*)\.com\/t\/[^/?#]+\/[a-z]\//i },
  { name: 'salesforce-mc', kind: 'click', pattern: /^https?:\/\/click\.[^/]+\/\?qs=/i },
] satisfies TrackerRule[])

/**
 * Query parameters that carry a per-recipient identifier, whatever the host
 * (HubSpot, Mailchimp, Marketo, Klaviyo, Eloqua, Vero, ConvertKit, MailerLite,
 * Omnisend, Listrak…). Campaign-level parameters such as `utm_*` or
 * `mc_cid` are kept.
 *
 * @example
 * ```ts
 * import { personalParams } from 'email-tracking-consent'
 * const url = new URL('https://shop.example/sale?utm_source=news&mc_eid=8f3a2c&_hsenc=p2ANqtz')
 * for (const name of [...url.searchParams.keys()]) {
 *   if (personalParams.includes(name.toLowerCase())) url.searchParams.delete(name)
 * }
 * url.href // 'https://shop.example/sale?utm_source=news'
 * ```
 */
export const personalParams: readonly string[] = Object.freeze([
  'mc_eid',
  '_hsenc',
  '_hsmi',
  '__hstc',
  '__hssc',
  '__hsfp',
  'hsctatracking',
  'mkt_tok',
  '_ke',
  '_kx',
  'elqtrackid',
  'elqtrack',
  'vero_id',
  'vero_conv',
  'ck_subscriber_id',
  'ml_subscriber',
  'ml_subscriber_hash',
  'omnisendcontactid',
  'oly_enc_id',
  'oly_anon_id',
  'trk_contact',
  'trk_msg',
  'trk_sid',
  'sfmc_sub',
  'sfmc_id',
  'wickedid',
  'dm_i',
  '_bta_tid',
  '_bta_c',
])

/** Tracker data after merging user additions; built once per compile. */
export interface TrackerData {
  rules: readonly TrackerRule[]
  params: ReadonlySet<string>
}

/**
 * User additions to the tracker data (`TransformOptions.trackers`).
 *
 * @example
 * ```ts
 * import { compile, type TrackerOptions } from 'email-tracking-consent'
 * const trackers: TrackerOptions = {
 *   rules: [{ name: 'acme-mail', kind: 'pixel', pattern: /\bopen\.acme-mail\.example\//i }],
 *   params: ['acme_rid'], // dropped from links whatever the host, like `personalParams`
 * }
 * const campaign = compile({ html }, { tokens, baseUrl: 'https://t.example.com/mail', trackers })
 * ```
 */
export interface TrackerOptions {
  /** Extra rules, tested before the shipped ones. */
  rules?: readonly TrackerRule[]
  /** Extra per-recipient query parameter names (case-insensitive). */
  params?: readonly string[]
}

/** Merges user additions with the shipped lists. */
export function trackerData(extra?: TrackerOptions): TrackerData {
  const rules = extra?.rules ? [...extra.rules, ...knownTrackers] : knownTrackers
  const params = new Set(personalParams)
  for (const p of extra?.params ?? []) params.add(p.toLowerCase())
  return { rules, params }
}

/** The first rule of `kind` matching `url`. */
export function matchRule(data: TrackerData, kind: TrackerRule['kind'], url: string): TrackerRule | undefined {
  for (const rule of data.rules) {
    if (rule.kind !== kind) continue
    rule.pattern.lastIndex = 0
    if (rule.pattern.test(url)) return rule
  }
  return undefined
}

// Parameter names that usually identify a person when their value is not trivial.
const ID_PARAM = /^(?:uid|user|userid|user_id|u|e|eid|email|mail|recipient|rcpt|rid|subscriber|subscriber_id|sid|contact|contact_id|cid|mid|id|token|tk|hash|sig|jwt|upn|qs)$/i
const TOKEN_LIKE = /^[A-Za-z0-9_=.~%-]{16,}$/
const HAS_DIGIT = /\d/
const HAS_LETTER = /[A-Za-z]/
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

/**
 * Whether an image URL carries something that looks like a per-recipient
 * identifier: an id-named query parameter with a real value, a long random
 * token in the query or path, a UUID, or a run of numeric path segments.
 * Static assets (`/images/spacer.gif`) do not.
 */
export function looksPersonal(url: string): boolean {
  const hash = url.indexOf('#')
  const clean = hash < 0 ? url : url.slice(0, hash)
  const q = clean.indexOf('?')
  const path = pathOf(q < 0 ? clean : clean.slice(0, q))
  if (q >= 0) {
    for (const pair of clean.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=')
      const name = eq < 0 ? pair : pair.slice(0, eq)
      const value = eq < 0 ? '' : pair.slice(eq + 1)
      if (value.length >= 3 && ID_PARAM.test(name)) return true
      if (value.includes('@') || value.includes('%40')) return true
      if (TOKEN_LIKE.test(value) && HAS_DIGIT.test(value) && HAS_LETTER.test(value)) return true
    }
  }
  if (UUID.test(path)) return true
  let numeric = 0
  for (const segment of path.split('/')) {
    const stem = segment.replace(/\.(?:gif|png|jpe?g|webp|bmp)$/i, '')
    if (/^\d+$/.test(stem)) numeric++
    if (TOKEN_LIKE.test(stem) && HAS_DIGIT.test(stem) && HAS_LETTER.test(stem)) return true
  }
  return numeric >= 3
}

function pathOf(urlWithoutQuery: string): string {
  const scheme = urlWithoutQuery.indexOf('//')
  if (scheme < 0) return urlWithoutQuery
  const slash = urlWithoutQuery.indexOf('/', scheme + 2)
  return slash < 0 ? '' : urlWithoutQuery.slice(slash)
}

/** A recipient-identifying or tracking change made to one URL. */
export interface UrlChange {
  kind: 'tracked-link' | 'param'
  reason: string
}

/** Result of {@link cleanUrl}. */
export interface CleanedUrl {
  url: string
  changes: UrlChange[]
  /** Name of an opaque click tracker left in place (never followed). */
  opaque?: string
}

const MAX_UNWRAP = 4

/**
 * Removes tracking from a link target without following it: unwraps
 * redirects whose destination is written in the URL (nested ones too), then
 * drops per-recipient query parameters. Opaque redirects are reported, not
 * followed.
 */
export function cleanUrl(data: TrackerData, url: string): CleanedUrl {
  const changes: UrlChange[] = []
  let current = url
  let opaque: string | undefined
  for (let i = 0; i < MAX_UNWRAP; i++) {
    const rule = matchRule(data, 'click', current)
    if (!rule) break
    const destination = rule.destination ? readDestination(current, rule.destination) : undefined
    if (destination === undefined) {
      if (rule.params?.length) {
        const dropped = dropParams(current, (name) => rule.params!.includes(name))
        if (dropped.removed.length) {
          current = dropped.url
          for (const name of dropped.removed) changes.push({ kind: 'param', reason: `param:${rule.name}:${name}` })
        }
      } else {
        opaque = rule.name
      }
      break
    }
    changes.push({ kind: 'tracked-link', reason: `redirect:${rule.name}` })
    current = destination
  }
  const dropped = dropParams(current, (name) => data.params.has(name.toLowerCase()))
  if (dropped.removed.length) {
    current = dropped.url
    for (const name of dropped.removed) changes.push({ kind: 'param', reason: `param:${name}` })
  }
  const result: CleanedUrl = { url: current, changes }
  if (opaque !== undefined) result.opaque = opaque
  return result
}

const HTTP = /^https?:\/\//i

function readDestination(url: string, where: RedirectDestination): string | undefined {
  let raw: string | undefined
  if ('pathAfter' in where) {
    const at = url.indexOf(where.pathAfter)
    if (at < 0) return undefined
    const from = at + where.pathAfter.length
    const end = url.indexOf('/', from)
    raw = safeDecode(url.slice(from, end < 0 ? url.length : end))
  } else {
    const value = queryParam(url, where.param)
    if (value === undefined) return undefined
    raw = where.encoding === 'hex' ? hexDecode(value) : safeDecode(value.replace(/\+/g, ' '))
  }
  return raw !== undefined && HTTP.test(raw) && !/[\s<>"]/.test(raw) ? raw : undefined
}

function queryParam(url: string, name: string): string | undefined {
  const hash = url.indexOf('#')
  const q = url.indexOf('?')
  if (q < 0 || (hash >= 0 && hash < q)) return undefined
  const query = url.slice(q + 1, hash < 0 ? url.length : hash)
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=')
    if (eq > 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1)
  }
  return undefined
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

function hexDecode(value: string): string | undefined {
  if (value.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(value)) return undefined
  const bytes = new Uint8Array(value.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(value.slice(i * 2, i * 2 + 2), 16)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/**
 * Drops the query parameters whose (percent-decoded) name matches, keeping
 * every other byte of the URL as written.
 */
export function dropParams(url: string, drop: (name: string) => boolean): { url: string; removed: string[] } {
  const hash = url.indexOf('#')
  const q = url.indexOf('?')
  if (q < 0 || (hash >= 0 && hash < q)) return { url, removed: [] }
  const end = hash < 0 ? url.length : hash
  const pairs = url.slice(q + 1, end).split('&')
  const kept: string[] = []
  const removed: string[] = []
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const name = safeDecode(eq < 0 ? pair : pair.slice(0, eq)) ?? pair
    if (name !== '' && drop(name)) removed.push(name)
    else kept.push(pair)
  }
  if (removed.length === 0) return { url, removed }
  const query = kept.join('&')
  return { url: url.slice(0, q) + (query ? `?${query}` : '') + url.slice(end), removed }
}
