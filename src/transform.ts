// The orchestrator: decide → sign once → splice HTML, text and AMP → headers.
import { randomId } from './lib/base64url.js'
import { ConsentTrackingError } from './lib/errors.js'
import { normalizeBaseUrl } from './lib/routes.js'
import { looksLikeEmail } from './lib/personal-data.js'
import { cnilPolicy } from './policy/cnil.js'
import { decide, type DecideOptions } from './policy/decide.js'
import type { Category, ConsentRecord, Decision, Policy } from './policy/types.js'
import { noTrackAttributes } from './providers/attributes.js'
import { providerHeaders, setHeader, type SesConfigurationSets } from './providers/headers.js'
import { listUnsubscribeHeaders, type UnsubscribeOptions } from './providers/list-unsubscribe.js'
import { PROVIDER_NAMES, type ProviderName, type ProviderSelection } from './providers/types.js'
import type { TokenPurpose, Tokens } from './tokens/types.js'
import { escapeAttribute } from './html/escape.js'
import { toLocale } from './html/fragments.js'
import type { Removal } from './html/plan.js'
import { identityVariant, personalUrls, renderVariant, type RenderUrls, type Variant } from './html/splice.js'
import { CompiledTemplate, VARIANT_KEYS, type EmailVariant, type VariantKey } from './html/template.js'
import { trackerData, type TrackerOptions } from './html/trackers.js'
import { timeBudget } from './html/budget.js'

/**
 * An email as parts. A plain string is taken as `{ html }`.
 *
 * @example
 * ```ts
 * import { transform, type EmailInput } from 'email-tracking-consent'
 * const email: EmailInput = {
 *   html: '<p>Hello!</p><p><a href="https://example.com/sale">See the sale</a></p>',
 *   text: 'Hello!\nSee the sale: https://example.com/sale',
 *   headers: { 'X-Campaign': 'nov-2026' },
 * }
 * const result = await transform(email, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail' })
 * ```
 */
export interface EmailInput {
  html?: string
  text?: string
  /** The `text/x-amp-html` part. */
  amp?: string
  headers?: Record<string, string>
}

/**
 * Options of {@link transform} and {@link compile}.
 *
 * @example
 * ```ts
 * import { cnilPolicy, transform, type TransformOptions } from 'email-tracking-consent'
 * const options: TransformOptions = {
 *   tokens,
 *   baseUrl: 'https://t.example.com/mail',
 *   policy: cnilPolicy({ strict: true }),
 *   locale: 'fr',
 *   providers: ['postmark'],
 *   unsubscribe: { mailto: 'unsubscribe@example.com' },
 * }
 * const result = await transform({ html, text }, await store.get('c_42'), 'marketing', options)
 * ```
 */
export interface TransformOptions {
  /** Signs the personal links (`createTokens(...)`). */
  tokens: Tokens
  /** Where the HTTP handler is mounted, e.g. `https://t.example.com/mail`. http(s), no query or fragment. */
  baseUrl: string
  /** Id of the message, bound into the tokens. Default: a random id per render. */
  messageId?: string
  /** The recipient's opaque id when `consent` is null (unknown to the store), so consent and unsubscribe links can still be signed. Ignored when a record is given. */
  contactId?: string
  /** Clock of the decision. Default: now. */
  now?: Date
  /** The rules. Default: `cnilPolicy()`. */
  policy?: Policy
  /** Language of inserted lines: `fr*` gives French, anything else English. Default `en`. */
  locale?: string
  /** ESPs to send per-message tracking switches and no-track attributes for. Default `'all'`. */
  providers?: ProviderSelection
  /**
   * Who tracks when consent allows it. `'self'` (default): our pixel and click
   * links, ESP tracking off. `'provider'`: no pixel of ours, the ESP's tracking
   * turned on by header only for contacts whose consent allows it; the
   * withdrawal link is still ours.
   */
  tracker?: 'self' | 'provider'
  /**
   * Announce the one-click unsubscribe route (`{baseUrl}/u/…`): adds
   * `List-Unsubscribe` and, for an HTTPS base, `List-Unsubscribe-Post:
   * List-Unsubscribe=One-Click` (RFC 8058), and fills
   * `data-tracking="unsubscribe"` markers. Default: off.
   */
  unsubscribe?: boolean | UnsubscribeOptions
  /** Amazon SES configuration sets to name in `X-SES-CONFIGURATION-SET`. Default: none. */
  ses?: SesConfigurationSets
  /** Extra tracker rules and per-recipient parameters, added to the shipped lists. */
  trackers?: TrackerOptions
  /**
   * Scope of the click-target MACs. Default: a random id per `compile()` or
   * `transform()` call. Set it only to make output reproducible (tests).
   */
  linkScope?: string
  /**
   * Most wall-clock time, in milliseconds, one `transform()` or `compile()`
   * may spend locating and planning the email. It is checked before and after
   * every parse, so it can be overrun by at most one parse of the largest
   * part. Once spent, the email goes out untracked (`error:time-budget` in
   * `decision.reasons` or `warnings`): without trackers when it was already
   * located, else as written with ESP tracking off. `Infinity` turns it off.
   * Default 5,000.
   */
  timeBudgetMs?: number
}

/** Default of {@link TransformOptions.timeBudgetMs}. */
export const DEFAULT_TIME_BUDGET_MS = 5000

/**
 * Personal links placed in the email, as raw URLs.
 *
 * @example
 * ```ts
 * import { transform, type TransformLinks } from 'email-tracking-consent'
 * const { links } = await transform({ html }, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail' })
 * const placed: TransformLinks = links
 * placed.pixel // 'https://t.example.com/mail/o/…' when opens are tracked, else undefined
 * placed.withdraw // 'https://t.example.com/mail/w/…' when a withdrawal link was placed
 * ```
 */
export interface TransformLinks {
  pixel?: string
  withdraw?: string
  preferences?: string
  consent?: string
  unsubscribe?: string
}

/**
 * The rewritten email and why it looks the way it does.
 *
 * @example
 * ```ts
 * import { transform, type TransformResult } from 'email-tracking-consent'
 * const result: TransformResult = await transform({ html, text }, await store.get('c_42'), 'marketing', { tokens, baseUrl: 'https://t.example.com/mail' })
 * if (result.decision.send) await transporter.sendMail({ to, subject, html: result.html, text: result.text, headers: result.headers })
 * log.info({ reasons: result.decision.reasons, removed: result.removed.map((r) => r.reason), warnings: result.warnings })
 * ```
 */
export interface TransformResult {
  html?: string
  text?: string
  amp?: string
  headers: Record<string, string>
  /** What `decide()` allowed, with `error:*` reasons added when the engine had to fall back to untracked. */
  decision: Decision
  links: TransformLinks
  /** Every tracker removed, with its reason. */
  removed: Removal[]
  /** Things to look at: Gmail clipping size, skipped markers or links, dropped AMP, opaque redirects kept. */
  warnings: string[]
}

/**
 * Options of {@link CompiledEmail.render}.
 *
 * @example
 * ```ts
 * import { compile, type RenderOptions } from 'email-tracking-consent'
 * const campaign = compile({ html }, { tokens, baseUrl: 'https://t.example.com/mail' })
 * // contactId lets the consent link be signed for a contact the store does not know yet
 * const options: RenderOptions = { contactId: 'c_42', messageId: 'm_nov_c_42' }
 * const r = await campaign.render(await store.get('c_42'), 'consent-request', options)
 * ```
 */
export interface RenderOptions {
  messageId?: string
  now?: Date
  /** The recipient's opaque id when `consent` is null (unknown to the store), so consent and unsubscribe links can still be signed. */
  contactId?: string
}

/**
 * A template compiled once for a campaign.
 *
 * @example
 * ```ts
 * import { compile, type CompiledEmail } from 'email-tracking-consent'
 * const campaign: CompiledEmail = compile({ html, text }, { tokens, baseUrl: 'https://t.example.com/mail' })
 * const ids = ['c_42', 'c_43']
 * const records = await store.getMany(ids)
 * for (const contactId of ids) {
 *   const r = await campaign.render(records.get(contactId) ?? null, 'marketing', { contactId, messageId: `m_nov_${contactId}` })
 *   if (r.decision.send) queue.push({ contactId, html: r.html, text: r.text, headers: r.headers })
 * }
 * ```
 */
export interface CompiledEmail {
  /**
   * Renders for one recipient: decides, signs one token, concatenates. No
   * HTML parsing. Same output as `transform()` with the same inputs.
   */
  render(consent: ConsentRecord | null | undefined, category: Category, options?: RenderOptions): Promise<TransformResult>
}

/**
 * Stable codes of {@link TransformError}.
 *
 * @example
 * ```ts
 * import { compile, TransformError, type TransformErrorCode } from 'email-tracking-consent'
 * try { compile({ html }, { tokens, baseUrl: process.env.TRACKING_BASE_URL! }) }
 * catch (err) {
 *   if (!(err instanceof TransformError)) throw err
 *   const code: TransformErrorCode = err.code
 *   // 'invalid-email': the template; 'invalid-tokens' | 'invalid-base-url' | 'invalid-option': the configuration
 *   console.error(code === 'invalid-email' ? 'Fix the template:' : 'Fix the configuration:', err.message)
 * }
 * ```
 */
export type TransformErrorCode = 'invalid-email' | 'invalid-tokens' | 'invalid-base-url' | 'invalid-option'

/**
 * Thrown by `transform()` and `compile()` for invalid options or input, never for a rewriting problem (those fail closed).
 *
 * @example
 * ```ts
 * try { compile(html, { tokens, baseUrl: 'ftp://nope' }) }
 * catch (err) { if (err instanceof TransformError && err.code === 'invalid-base-url') console.error(err.message) }
 * ```
 */
export class TransformError extends ConsentTrackingError<TransformErrorCode> {}

/** Where an internal test can find the edits of a result: source ranges and the text written there. */
export const EDITS: unique symbol = Symbol.for('email-tracking-consent.edits')

/** The variant and URLs a result part was rendered from (for tests of the minimal-diff invariant). */
export interface RenderedPart {
  variant: Variant
  urls: RenderUrls
}

interface Settings {
  tokens: Tokens
  base: string
  escapedBase: string
  messageId: string | undefined
  contactId: string | undefined
  now: Date | undefined
  policy: Policy | undefined
  providers: ProviderName[]
  tracker: 'self' | 'provider'
  unsubscribe: UnsubscribeOptions | undefined
  ses: SesConfigurationSets | undefined
  linkScope: string
  timeBudgetMs: number
}

interface Parts {
  html?: string
  text?: string
  amp?: string
  headers: Record<string, string>
}

// Gmail clips messages whose HTML passes about 102 KB.
const GMAIL_CLIP_BYTES = 102 * 1024
const ID = /^[\w.:@+-]{1,256}$/

function fail(code: TransformErrorCode, message: string): never {
  throw new TransformError(code, message)
}

function normalizeOptions(options: TransformOptions): Settings {
  if (typeof options !== 'object' || options === null) fail('invalid-option', 'options are required: { tokens, baseUrl }')
  const { tokens } = options
  if (typeof tokens !== 'object' || tokens === null || typeof tokens.signMessage !== 'function' || typeof tokens.linkMac !== 'function')
    fail('invalid-tokens', 'options.tokens must come from createTokens({ keys })')
  if (typeof options.baseUrl !== 'string') fail('invalid-base-url', 'options.baseUrl must be a string')
  let url: URL
  try {
    url = new URL(options.baseUrl)
  } catch {
    fail('invalid-base-url', `options.baseUrl is not an absolute URL: ${JSON.stringify(options.baseUrl)}`)
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password || /[\s"'<>]/.test(options.baseUrl))
    fail('invalid-base-url', 'options.baseUrl must be an http(s) URL without credentials, query or fragment')
  const base = normalizeBaseUrl(options.baseUrl)
  let providers: ProviderName[]
  const p = options.providers ?? 'all'
  if (p === 'all') providers = [...PROVIDER_NAMES]
  else if (p === 'none') providers = []
  else if (Array.isArray(p) && p.every((n) => PROVIDER_NAMES.includes(n))) providers = [...p]
  else fail('invalid-option', `options.providers must be 'all', 'none' or a list of ${PROVIDER_NAMES.join(', ')}`)
  const tracker = options.tracker ?? 'self'
  if (tracker !== 'self' && tracker !== 'provider') fail('invalid-option', "options.tracker must be 'self' or 'provider'")
  let unsubscribe: UnsubscribeOptions | undefined
  if (options.unsubscribe === true) unsubscribe = {}
  else if (typeof options.unsubscribe === 'object' && options.unsubscribe !== null) {
    const mailto = options.unsubscribe.mailto
    if (mailto !== undefined && (typeof mailto !== 'string' || !/^[^\s<>,"@]+@[^\s<>,"@]+$/.test(mailto)))
      fail('invalid-option', 'options.unsubscribe.mailto must be a bare address such as unsubscribe@example.com')
    unsubscribe = { ...options.unsubscribe }
  } else if (options.unsubscribe !== undefined && options.unsubscribe !== false) fail('invalid-option', 'options.unsubscribe must be a boolean or { mailto? }')
  const ses = options.ses
  if (ses !== undefined) {
    const name = /^[A-Za-z0-9_-]{1,64}$/
    if (typeof ses !== 'object' || ses === null || !name.test(String(ses.untracked)) || (ses.tracked !== undefined && !name.test(String(ses.tracked))))
      fail('invalid-option', 'options.ses must be { untracked, tracked? } with configuration set names')
  }
  for (const [field, value] of [['messageId', options.messageId], ['linkScope', options.linkScope]] as const) {
    if (value !== undefined && (typeof value !== 'string' || !ID.test(value) || looksLikeEmail(value)))
      fail('invalid-option', `options.${field} must be an opaque id of at most 256 characters`)
  }
  if (options.contactId !== undefined && (typeof options.contactId !== 'string' || options.contactId === ''))
    fail('invalid-option', 'options.contactId must be a non-empty string')
  if (options.now !== undefined && !(options.now instanceof Date && !Number.isNaN(options.now.getTime())))
    fail('invalid-option', 'options.now must be a valid Date')
  const timeBudgetMs = options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS
  if (typeof timeBudgetMs !== 'number' || Number.isNaN(timeBudgetMs) || timeBudgetMs < 0)
    fail('invalid-option', 'options.timeBudgetMs must be a non-negative number of milliseconds (or Infinity)')
  if (options.trackers !== undefined) {
    const t = options.trackers
    const rulesOk = t.rules === undefined || (Array.isArray(t.rules) && t.rules.every((r) => r && typeof r.name === 'string' && r.pattern instanceof RegExp && (r.kind === 'pixel' || r.kind === 'click')))
    const paramsOk = t.params === undefined || (Array.isArray(t.params) && t.params.every((x) => typeof x === 'string'))
    if (!rulesOk || !paramsOk) fail('invalid-option', 'options.trackers must be { rules?: TrackerRule[], params?: string[] }')
  }
  return {
    tokens,
    base,
    escapedBase: escapeAttribute(base),
    messageId: options.messageId,
    contactId: options.contactId,
    now: options.now,
    policy: options.policy,
    providers,
    tracker,
    unsubscribe,
    ses,
    linkScope: options.linkScope ?? randomId(12),
    timeBudgetMs,
  }
}

function normalizeEmail(email: EmailInput | string): Parts {
  if (typeof email === 'string') return { html: email, headers: {} }
  if (typeof email !== 'object' || email === null) fail('invalid-email', 'email must be an HTML string or { html?, text?, amp?, headers? }')
  const parts: Parts = { headers: {} }
  for (const key of ['html', 'text', 'amp'] as const) {
    const v = email[key]
    if (v === undefined) continue
    if (typeof v !== 'string') fail('invalid-email', `email.${key} must be a string`)
    parts[key] = v
  }
  if (email.headers !== undefined) {
    if (typeof email.headers !== 'object' || email.headers === null) fail('invalid-email', 'email.headers must be an object')
    for (const [k, v] of Object.entries(email.headers)) {
      if (typeof v !== 'string') fail('invalid-email', `email.headers[${JSON.stringify(k)}] must be a string`)
      parts.headers[k] = v
    }
  }
  return parts
}

function template(parts: Parts, settings: Settings, options: TransformOptions): CompiledTemplate {
  const { tokens, linkScope } = settings
  return new CompiledTemplate(parts, {
    base: settings.base,
    trackers: trackerData(options.trackers),
    locale: toLocale(options.locale),
    stamp: noTrackAttributes(settings.providers),
    unsubscribe: settings.unsubscribe !== undefined,
    linkMac: (url) => tokens.linkMac(linkScope, url),
    budget: timeBudget(settings.timeBudgetMs),
  })
}

/**
 * Rewrites one email for one recipient exactly as the decision requires, and
 * changes nothing else: tracked (our pixel, signed click links, a withdrawal
 * link) or untracked (every known tracker removed, ESP tracking switched
 * off). Transactional mail comes back byte-identical by default.
 *
 * Never throws for a rewriting problem: any error yields an untracked,
 * still-sendable result with an `error:*` reason.
 *
 * @throws {TransformError} for invalid options (no tokens, a bad `baseUrl`…) or a malformed email object.
 * @example
 * ```ts
 * import { createTokens, transform } from 'email-tracking-consent'
 * const tokens = createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] })
 * const result = await transform({ html, text }, await store.get('c_42'), 'marketing', {
 *   tokens,
 *   baseUrl: 'https://t.example.com/mail',
 *   locale: 'fr',
 * })
 * await transporter.sendMail({ to, subject, html: result.html, text: result.text, headers: result.headers })
 * ```
 */
export async function transform(
  email: EmailInput | string,
  consent: ConsentRecord | null | undefined,
  category: Category,
  options: TransformOptions,
): Promise<TransformResult> {
  const settings = normalizeOptions(options)
  const parts = normalizeEmail(email)
  const compiled = template(parts, settings, options)
  return renderEmail(compiled, parts, settings, consent, category, {})
}

/**
 * Compiles an email once for a campaign: parses and plans every variant
 * (untracked, tracked, provider-tracked, consent request) up front, so each
 * `render()` only decides, signs one token and concatenates.
 *
 * @throws {TransformError} for invalid options or a malformed email object.
 * @example
 * ```ts
 * import { compile } from 'email-tracking-consent'
 * const campaign = compile({ html, text }, { tokens, baseUrl: 'https://t.example.com/mail' })
 * for (const contact of contacts) {
 *   const r = await campaign.render(await store.get(contact.id), 'marketing', { messageId: `m_${contact.id}` })
 *   if (r.decision.send) await transporter.sendMail({ to: contact.address, html: r.html, text: r.text, headers: r.headers })
 * }
 * ```
 */
export function compile(email: EmailInput | string, options: TransformOptions): CompiledEmail {
  const settings = normalizeOptions(options)
  const parts = normalizeEmail(email)
  const compiled = template(parts, settings, options)
  for (const key of VARIANT_KEYS) compiled.variant(key)
  return {
    render: (consent, category, renderOptions = {}) => renderEmail(compiled, parts, settings, consent, category, renderOptions ?? {}),
  }
}

function policyIdOf(policy: Policy | undefined): string {
  const p = policy !== null && typeof policy === 'object' ? policy : cnilPolicy()
  return `${String(p.id)}@${String(p.version)}`
}

function errorCode(cause: unknown, fallback: string): string {
  return cause instanceof ConsentTrackingError ? String(cause.code) : fallback
}

/** The decision as sent: no tracking, with the reason the engine fell back. */
function untrackedDecision(decision: Decision, reason: string): Decision {
  return { ...decision, opens: false, clicks: false, basis: 'none', reasons: [...decision.reasons, reason] }
}

async function renderEmail(
  compiled: CompiledTemplate,
  parts: Parts,
  settings: Settings,
  consent: ConsentRecord | null | undefined,
  category: Category,
  options: RenderOptions,
): Promise<TransformResult> {
  let decision: Decision
  try {
    const now = options.now ?? settings.now
    const decideOptions: DecideOptions = {}
    if (settings.policy !== undefined) decideOptions.policy = settings.policy
    if (now !== undefined) decideOptions.now = now
    decision = decide(consent, category, decideOptions)
  } catch (cause) {
    // A malformed record or policy is never consent: send untracked.
    decision = { send: true, opens: false, clicks: false, basis: 'none', reasons: [`error:${errorCode(cause, 'decide')}`], policy: policyIdOf(settings.policy) }
  }
  if (decision.basis === 'exempt' && !decision.opens && !decision.clicks) return passthrough(parts, decision)
  try {
    return await renderDecided(compiled, parts, settings, consent, category, decision, options)
  } catch (cause) {
    const failed = untrackedDecision(decision, `error:render:${errorCode(cause, cause instanceof Error ? cause.name : 'unknown')}`)
    try {
      return await renderUntracked(compiled, parts, settings, failed, [], undefined)
    } catch {
      return lastResort(parts, settings, failed)
    }
  }
}

/** When even the untracked render failed: the email as written, AMP dropped, ESP tracking off if possible. */
function lastResort(parts: Parts, settings: Settings, decision: Decision): TransformResult {
  const result = passthrough({ ...parts, amp: undefined }, decision)
  result.warnings.push('error:untracked-render')
  try {
    for (const [k, v] of Object.entries(providerHeaders(settings.providers, { opens: false, clicks: false }, parts.headers).headers)) setHeader(result.headers, k, v)
  } catch {
    result.warnings.push('error:headers')
  }
  return result
}

function passthrough(parts: Parts, decision: Decision): TransformResult {
  const result: TransformResult = { headers: { ...parts.headers }, decision, links: {}, removed: [], warnings: [] }
  if (parts.html !== undefined) result.html = parts.html
  if (parts.text !== undefined) result.text = parts.text
  if (parts.amp !== undefined) result.amp = parts.amp
  return result
}

function variantKey(decision: Decision, category: Category, tracker: Settings['tracker']): VariantKey {
  if (!decision.send) return 'strip'
  if (category === 'consent-request') return 'consent'
  if (!decision.opens && !decision.clicks) return 'strip'
  if (tracker === 'provider') return 'provider'
  return decision.opens && decision.clicks ? 'track:oc' : decision.opens ? 'track:o' : 'track:c'
}

async function sign(
  settings: Settings,
  contactId: string,
  messageId: string | undefined,
  purposes: TokenPurpose[],
): Promise<Partial<Record<TokenPurpose, string>>> {
  // A random message id is drawn only when something is signed.
  const mt = await settings.tokens.signMessage({ contactId, messageId: messageId ?? randomId(12), purposes, linkScope: settings.linkScope })
  const tokens: Partial<Record<TokenPurpose, string>> = {}
  for (const p of purposes) tokens[p] = mt.token(p)
  return tokens
}

async function renderDecided(
  compiled: CompiledTemplate,
  parts: Parts,
  settings: Settings,
  consent: ConsentRecord | null | undefined,
  category: Category,
  decision: Decision,
  options: RenderOptions,
): Promise<TransformResult> {
  const key = variantKey(decision, category, settings.tracker)
  const messageId = options.messageId ?? settings.messageId
  const contactId = consent?.contactId ?? options.contactId ?? settings.contactId
  if (key === 'strip') return renderUntracked(compiled, parts, settings, decision, [], { contactId, messageId })
  const variant = compiled.variant(key)
  if (variant.failure !== undefined) return renderUntracked(compiled, parts, settings, untrackedDecision(decision, variant.failure), [], { contactId, messageId })
  // A personal link needs a contact id; without one the message goes out untracked (a consent request without its link).
  if (contactId === undefined) return renderUntracked(compiled, parts, settings, untrackedDecision(decision, key === 'consent' ? 'consent-link:no-contact' : 'error:no-contact'), [], undefined)
  const purposes = withUnsubscribe(variant.purposes, settings)
  let tokens: Partial<Record<TokenPurpose, string>>
  try {
    tokens = await sign(settings, contactId, messageId, purposes)
  } catch (cause) {
    return renderUntracked(compiled, parts, settings, untrackedDecision(decision, `error:sign:${errorCode(cause, 'unknown')}`), [], undefined)
  }
  const espTracking = key === 'provider' ? { opens: decision.opens, clicks: decision.clicks } : { opens: false, clicks: false }
  return assemble(parts, settings, variant, decision, tokens, espTracking, [])
}

function withUnsubscribe(purposes: TokenPurpose[], settings: Settings): TokenPurpose[] {
  return settings.unsubscribe !== undefined && !purposes.includes('unsubscribe') ? [...purposes, 'unsubscribe'] : purposes
}

/** The untracked variant; signs only for preference/unsubscribe links, and never fails. */
async function renderUntracked(
  compiled: CompiledTemplate,
  parts: Parts,
  settings: Settings,
  decision: Decision,
  warnings: string[],
  signing: { contactId: string | undefined; messageId: string | undefined } | undefined,
): Promise<TransformResult> {
  const variant = compiled.variant('strip')
  if (variant.failure !== undefined) {
    // Even the untracked rewrite failed: send the email as written, with ESP tracking off.
    const fallback: EmailVariant = { key: 'strip', purposes: [], removed: [], warnings: [variant.failure] }
    if (parts.html !== undefined) fallback.html = identityVariant(parts.html)
    if (parts.text !== undefined) fallback.text = identityVariant(parts.text)
    if (parts.amp !== undefined) fallback.amp = null
    return assemble(parts, settings, fallback, untrackedDecision(decision, variant.failure), {}, { opens: false, clicks: false }, warnings)
  }
  let tokens: Partial<Record<TokenPurpose, string>> = {}
  const purposes = withUnsubscribe(variant.purposes, settings)
  if (purposes.length > 0 && signing?.contactId !== undefined) {
    try {
      tokens = await sign(settings, signing.contactId, signing.messageId, purposes)
    } catch (cause) {
      warnings = [...warnings, `error:sign:${errorCode(cause, 'unknown')}`]
    }
  }
  return assemble(parts, settings, variant, decision, tokens, { opens: false, clicks: false }, warnings)
}

// The ESP switches depend only on the email's headers, the options and on/off: computed once per template and state.
const espCache = new WeakMap<Parts, Map<string, { headers: [string, string][]; warnings: string[] }>>()

function espHeaders(parts: Parts, settings: Settings, tracking: { opens: boolean; clicks: boolean }): { headers: [string, string][]; warnings: string[] } {
  let byState = espCache.get(parts)
  if (byState === undefined) espCache.set(parts, (byState = new Map()))
  const key = `${tracking.opens ? 1 : 0}${tracking.clicks ? 1 : 0}`
  let found = byState.get(key)
  if (found === undefined) {
    const esp = providerHeaders(settings.providers, tracking, parts.headers, settings.ses ? { ses: settings.ses } : {})
    found = { headers: Object.entries(esp.headers), warnings: esp.warnings }
    byState.set(key, found)
  }
  return found
}

function assemble(
  parts: Parts,
  settings: Settings,
  variant: EmailVariant,
  decision: Decision,
  tokens: Partial<Record<TokenPurpose, string>>,
  espTracking: { opens: boolean; clicks: boolean },
  extraWarnings: string[],
): TransformResult {
  const htmlUrls = personalUrls(settings.escapedBase, tokens, true)
  const rawUrls = personalUrls(settings.base, tokens, false)
  const warnings = [...variant.warnings, ...extraWarnings]
  // A preference or unsubscribe marker stays as written when there is no contact to sign for.
  for (const p of variant.purposes) if (tokens[p] === undefined) warnings.push(`marker-skipped:${p}:no-token`)
  const result: TransformResult = { headers: { ...parts.headers }, decision, links: {}, removed: variant.removed.slice(), warnings }
  const rendered: { html?: RenderedPart; text?: RenderedPart; amp?: RenderedPart } = {}
  if (variant.html) {
    const html = renderVariant(variant.html, htmlUrls)
    result.html = html
    rendered.html = { variant: variant.html, urls: htmlUrls }
    if (html.length + variant.html.extraBytes > GMAIL_CLIP_BYTES) {
      const bytes = new TextEncoder().encode(html).length
      if (bytes > GMAIL_CLIP_BYTES) warnings.push(`gmail-clipping:${bytes}`)
    }
  }
  if (variant.text) {
    result.text = renderVariant(variant.text, rawUrls)
    rendered.text = { variant: variant.text, urls: rawUrls }
  }
  if (variant.amp) {
    result.amp = renderVariant(variant.amp, htmlUrls)
    rendered.amp = { variant: variant.amp, urls: htmlUrls }
  }
  const placed = (p: 'withdraw' | 'consent') =>
    (variant.html?.placed[p] ?? 0) + (variant.text?.placed[p] ?? 0) > 0 && rawUrls[p] !== undefined
  if (variant.html?.placed.pixel && rawUrls.open !== undefined) result.links.pixel = rawUrls.open
  if (placed('withdraw')) result.links.withdraw = rawUrls.withdraw!
  if (placed('consent')) result.links.consent = rawUrls.consent!
  if (rawUrls.preferences !== undefined) result.links.preferences = rawUrls.preferences
  if (rawUrls.unsubscribe !== undefined) result.links.unsubscribe = rawUrls.unsubscribe

  const esp = espHeaders(parts, settings, espTracking)
  for (const [k, v] of esp.headers) setHeader(result.headers, k, v)
  for (const w of esp.warnings) warnings.push(w)
  if (settings.unsubscribe !== undefined) {
    if (rawUrls.unsubscribe !== undefined) {
      for (const [k, v] of Object.entries(listUnsubscribeHeaders(rawUrls.unsubscribe, settings.unsubscribe))) setHeader(result.headers, k, v)
    } else warnings.push('list-unsubscribe-skipped:no-token')
  }
  Object.defineProperty(result, EDITS, { value: rendered, enumerable: false })
  return result
}
