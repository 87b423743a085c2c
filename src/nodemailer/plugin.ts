import { EventEmitter } from 'node:events'
import { cnilPolicy } from '../policy/cnil.js'
import { decide } from '../policy/decide.js'
import type { Category, ConsentRecord, Policy } from '../policy/types.js'
import { looksLikeEmail } from '../lib/personal-data.js'
import { CATEGORIES } from '../policy/validate.js'
import { compile, transform, type TransformOptions, type TransformResult } from '../transform.js'
import { isRawPart, PARTS, readPart, writePart, type MailMessageLike, type Part } from './content.js'
import { ConsentPluginError, SendSkippedError } from './errors.js'
import { readHeaders } from './headers.js'
import { applyHeaders, fallbackPolicy, isMessageId, notify, outcomeOf, transporterDkim } from './message.js'
import { lookupWithin, ownRecord } from './lookup.js'
import { NO_CONSENT, rememberOutcome, renderedOutcome } from './outcome.js'
import { countRecipients } from './recipients.js'
import { DEFAULT_TEMPLATE_CACHE, TemplateCache } from './templates.js'
import type { ConsentOutcome, ConsentTrackingOptions, FallbackReason } from './types.js'

/** Default wait for the store before sending untracked. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 2000

/**
 * A Nodemailer `compile` plugin (give it to `transporter.use('compile', …)`)
 * that also reports what it decided for every message.
 *
 * @example
 * ```ts
 * import { consentTracking, type ConsentTrackingPlugin } from 'email-tracking-consent/nodemailer'
 * const plugin: ConsentTrackingPlugin = consentTracking({ store, tokens, baseUrl: 'https://t.example.com/email' })
 * plugin.on('decision', (outcome) => metrics.increment(`email.${outcome.status}`, { fallback: outcome.fallback ?? 'none' }))
 * transporter.use('compile', plugin)
 * ```
 */
export interface ConsentTrackingPlugin {
  (mail: MailMessageLike, callback: (err?: Error | null) => void): void
  /** Listens to the outcome of every message (`decision`), including skipped ones. */
  on(event: 'decision', listener: (outcome: ConsentOutcome) => void): this
  /** Listens to the outcome of the next message only, then removes the listener. */
  once(event: 'decision', listener: (outcome: ConsentOutcome) => void): this
  /** Removes a listener added with `on` or `once`. */
  off(event: 'decision', listener: (outcome: ConsentOutcome) => void): this
}

/** The caller's `consent` field, read. */
interface ConsentRequest {
  category: Category
  contactId?: string
  /** Present when the caller gave the record (possibly `null`): no store lookup. */
  record?: ConsentRecord | null
  messageId?: string
  fallback?: FallbackReason
}

function isCategory(value: unknown): value is Category {
  return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value)
}

function readConsent(value: unknown, defaultCategory: Category): ConsentRequest {
  if (value == null || (typeof value === 'object' && NO_CONSENT in value)) return { category: defaultCategory, fallback: 'missing-consent' }
  if (typeof value !== 'object') return { category: defaultCategory, fallback: 'invalid-consent' }
  const given = value as Record<string, unknown>
  const invalid = (): ConsentRequest => ({
    category: isCategory(given.category) ? given.category : defaultCategory,
    ...(typeof given.contactId === 'string' && given.contactId && !looksLikeEmail(given.contactId) ? { contactId: given.contactId } : {}),
    fallback: 'invalid-consent',
  })
  if (given.category !== undefined && !isCategory(given.category)) return invalid()
  if (given.messageId !== undefined && !isMessageId(given.messageId)) return invalid()
  const category = (given.category as Category | undefined) ?? defaultCategory
  const messageId = given.messageId as string | undefined
  const base = { category, ...(messageId ? { messageId } : {}) }
  if (given.record !== undefined) {
    const record = given.record
    if (record !== null && (typeof record !== 'object' || typeof (record as ConsentRecord).contactId !== 'string')) return invalid()
    const recordId = (record as ConsentRecord | null)?.contactId
    if (given.contactId !== undefined && recordId !== undefined && given.contactId !== recordId) return invalid()
    const contactId = recordId ?? (typeof given.contactId === 'string' && given.contactId ? given.contactId : undefined)
    return { ...base, ...(contactId ? { contactId } : {}), record: record as ConsentRecord | null }
  }
  if (typeof given.contactId !== 'string' || given.contactId === '' || looksLikeEmail(given.contactId)) return invalid()
  return { ...base, contactId: given.contactId }
}

function checkOptions(options: ConsentTrackingOptions): void {
  const fail = (message: string, cause?: unknown): never => {
    throw new ConsentPluginError('invalid-options', `consentTracking: ${message}`, cause === undefined ? undefined : { cause })
  }
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  if (typeof options.store?.get !== 'function') fail('`store` must be a consent store (with get)')
  if (options.defaultCategory !== undefined && !isCategory(options.defaultCategory))
    fail(`\`defaultCategory\` must be one of ${CATEGORIES.join(', ')}`)
  const timeout = options.lookupTimeoutMs
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0))
    fail('`lookupTimeoutMs` must be a positive number of milliseconds')
  const cache = options.templateCache
  if (cache !== undefined && !(Number.isInteger(cache) && cache >= 0)) fail('`templateCache` must be a whole number of templates (0 turns it off)')
  for (const name of ['onDecision', 'now'] as const)
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(`\`${name}\` must be a function`)
  if (options.policy !== undefined) {
    try {
      decide(null, 'marketing', { policy: options.policy })
    } catch (cause) {
      fail('`policy` is not valid', cause)
    }
  }
}

/**
 * Consent-aware tracking for Nodemailer, as a `compile` plugin. Each message
 * names its single recipient with a `consent` field in the `sendMail()`
 * options; the plugin looks the contact up (bounded by `lookupTimeoutMs`),
 * calls `transform()` on the html, text and AMP parts read through
 * Nodemailer's own content resolution, and writes the parts and headers back.
 *
 * Fail closed: a missing or invalid `consent`, more than one recipient, a
 * store error or timeout, or a rewrite error sends the message untracked and
 * says why in the outcome (`fallback`). A message the policy says must not go
 * out (`decision.send === false`) fails with {@link SendSkippedError}.
 * Attachments, alternatives and custom headers pass through; when the plugin
 * sets List-Unsubscribe(-Post), the DKIM signature is made to cover them.
 *
 * @throws {ConsentPluginError} `invalid-options` for bad options.
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import { createTokens } from 'email-tracking-consent'
 * import { createSqliteStore } from 'email-tracking-consent/store/sqlite'
 * import { consentTracking } from 'email-tracking-consent/nodemailer'
 *
 * const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 })
 * transporter.use('compile', consentTracking({
 *   store: createSqliteStore({ database: 'consent.db' }),
 *   tokens: createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] }),
 *   baseUrl: 'https://t.example.com/email',
 * }))
 * await transporter.sendMail({
 *   from: 'news@example.com', to: 'ada@example.org', subject: 'Autumn news', html,
 *   consent: { contactId: 'c_42', category: 'marketing' },
 * })
 * ```
 */
export function consentTracking(options: ConsentTrackingOptions): ConsentTrackingPlugin {
  checkOptions(options)
  const { store, onDecision, defaultCategory: _d, lookupTimeoutMs: _l, now: _n, templateCache, ...transformOptions } = options
  const defaultCategory = options.defaultCategory ?? 'marketing'
  const timeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS
  const clock = options.now ?? (() => new Date())
  const policy = options.policy ?? cnilPolicy()
  const untrackedPolicy = fallbackPolicy(options.policy)
  const events = new EventEmitter()
  const base: TransformOptions = { ...transformOptions, policy }
  // Options transform() rejects fail here, once, rather than on every message.
  try {
    compile({}, base)
  } catch (cause) {
    throw new ConsentPluginError('invalid-options', `consentTracking: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
  }
  const templates = new TemplateCache(base, templateCache ?? DEFAULT_TEMPLATE_CACHE)

  const announce = (consent: unknown, outcome: ConsentOutcome): void => {
    rememberOutcome(consent, outcome)
    notify(onDecision, outcome)
    notify((o: ConsentOutcome) => events.emit('decision', o), outcome)
  }

  async function rewrite(mail: MailMessageLike): Promise<void> {
    const data = mail.data as Record<string, unknown>
    const rendered = renderedOutcome(data.consent)
    // sendCampaign already rendered this message and reported it.
    if (rendered) {
      data.consentTracking = rendered
      return
    }
    const request = readConsent(data.consent, defaultCategory)
    const recipients = countRecipients(data)
    const outcomeBase = {
      category: request.category,
      recipients,
      ...(request.contactId ? { contactId: request.contactId } : {}),
      ...(request.messageId ? { messageId: request.messageId } : {}),
    }
    if (data.raw != null || PARTS.some((p) => isRawPart(data[p]))) {
      const outcome: ConsentOutcome = { ...outcomeBase, status: 'untracked', fallback: 'raw-message', links: {}, removed: [], warnings: [] }
      data.consentTracking = outcome
      announce(data.consent, outcome)
      return
    }
    let fallback: FallbackReason | undefined =
      request.fallback ?? (recipients === 0 ? 'no-recipient' : recipients > 1 ? 'multiple-recipients' : undefined)
    let error: unknown
    const now = clock()

    // Exempt mail is left untouched whoever the contact is: decided without reading, parsing or a lookup.
    const exempt = policy.exemptCategories.includes(request.category) ? decide(null, request.category, { policy, now }) : undefined
    if (exempt && exempt.basis === 'exempt' && !exempt.opens && !exempt.clicks) {
      const outcome = outcomeOf(outcomeBase, { headers: {}, decision: exempt, links: {}, removed: [], warnings: [] }, fallback, undefined)
      data.consentTracking = outcome
      announce(data.consent, outcome)
      return
    }

    const [html, text, amp, watchHtml] = await Promise.all(PARTS.map((part) => readPart(mail, part)))
    const headers = readHeaders(data.headers)

    let record: ConsentRecord | null = null
    if (!fallback) {
      if (request.record !== undefined) record = request.record
      else {
        const looked = await lookupWithin(() => store.get(request.contactId!), timeoutMs)
        const found = looked.ok ? ownRecord(request.contactId!, looked.value) : looked
        if (found.ok) record = found.value
        else ({ reason: fallback, error } = found)
      }
    }

    const email = { html, text, amp, headers }
    const settings = (fellBack: boolean): TransformOptions => ({
      ...base,
      policy: fellBack ? untrackedPolicy : policy,
      now,
      ...(request.messageId ? { messageId: request.messageId } : {}),
    })
    let result: TransformResult
    try {
      result = fallback
        ? await transform(email, null, request.category, settings(true))
        : await templates.render(email, record, request.category, {
            now,
            ...(request.messageId ? { messageId: request.messageId } : {}),
            // An unknown contact still gets its own unsubscribe and consent links.
            ...(record === null && request.contactId ? { contactId: request.contactId } : {}),
          })
    } catch (err) {
      // A record the policy rejects, or a bug: send untracked. If even that throws, the send fails with it.
      fallback = 'transform-error'
      error = err
      result = await transform(email, null, request.category, settings(true))
    }

    const outcome = outcomeOf(outcomeBase, result, fallback, error)
    if (!result.decision.send) {
      data.consentTracking = outcome
      announce(data.consent, outcome)
      throw new SendSkippedError(outcome)
    }

    const rewritten: Record<Part, string | undefined> = { html: result.html, text: result.text, amp: result.amp, watchHtml }
    if (watchHtml !== undefined) {
      // The watch part gets no personal links of its own: always the untracked rewrite.
      const watch = await transform({ html: watchHtml }, null, request.category, settings(true))
      rewritten.watchHtml = watch.html
    }
    const before: Record<Part, string | undefined> = { html, text, amp, watchHtml }
    for (const part of PARTS) if (rewritten[part] !== before[part]) writePart(data, part, rewritten[part])
    applyHeaders(data, result, transporterDkim(mail.mailer), outcome)
    data.consentTracking = outcome
    announce(data.consent, outcome)
  }

  const plugin = ((mail: MailMessageLike, callback: (err?: Error | null) => void) => {
    let called = false
    const done = (err?: Error | null) => {
      if (called) return
      called = true
      callback(err ?? null)
    }
    rewrite(mail).then(
      () => done(),
      (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
    )
  }) as ConsentTrackingPlugin
  plugin.on = (event, listener) => (events.on(event, listener), plugin)
  plugin.once = (event, listener) => (events.once(event, listener), plugin)
  plugin.off = (event, listener) => (events.off(event, listener), plugin)
  return plugin
}
