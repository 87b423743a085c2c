import type { Category, ConsentRecord } from '../policy/types.js'
import { CATEGORIES } from '../policy/validate.js'
import type { ConsentStore } from '../store/types.js'
import type { CompiledEmail, TransformResult } from '../transform.js'
import { ConsentPluginError } from './errors.js'
import { combineHeaders } from './headers.js'
import { lookupWithin, ownRecord, type Lookup } from './lookup.js'
import { RENDERED } from './outcome.js'
import { looksLikeEmail } from '../lib/personal-data.js'
import { applyHeaders, isMessageId, notify, outcomeOf, transporterDkim } from './message.js'
import { countRecipients } from './recipients.js'
import type { ConsentOutcome, LookupOptions, FallbackReason } from './types.js'

/** Default number of contacts per `getMany` call. */
export const DEFAULT_BATCH_SIZE = 500
/** Default number of messages in flight. */
export const DEFAULT_CONCURRENCY = 8
/** Default wait for one `getMany` batch. */
export const DEFAULT_BATCH_TIMEOUT_MS = 10_000

/**
 * Anything with Nodemailer's promise `sendMail`: a transporter, pooled or not.
 *
 * @example
 * ```ts
 * import nodemailer from 'nodemailer'
 * import { sendCampaign, type MailTransport } from 'email-tracking-consent/nodemailer'
 * const transporter: MailTransport = nodemailer.createTransport({ pool: true, maxConnections: 8, host: 'smtp.example.com', port: 587 })
 * await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing', concurrency: 8 })
 * // In tests, a stand-in that keeps what would have been sent:
 * const outbox: unknown[] = []
 * const fake: MailTransport = { sendMail: async (mail) => (outbox.push(mail), { messageId: '<test@localhost>' }) }
 * ```
 */
export interface MailTransport {
  /** Sends one message; resolves with the transport's `info` once it is accepted, rejects when it is not. */
  sendMail(mail: never): Promise<unknown>
}

/**
 * One recipient of a campaign.
 *
 * @example
 * ```ts
 * import { sendCampaign, type CampaignRecipient } from 'email-tracking-consent/nodemailer'
 * const recipients: CampaignRecipient[] = [
 *   { contactId: 'c_42', to: { name: 'Ada Lovelace', address: 'ada@example.org' }, messageId: 'autumn-2026-c_42' },
 *   { contactId: 'c_43', to: 'grace@example.org', mail: { subject: 'Autumn news, Grace' } },
 * ]
 * await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing' })
 * ```
 */
export interface CampaignRecipient {
  /** The contact's opaque id in the consent store. */
  contactId: string
  /** The one address to deliver to (a string or `{ name, address }`). */
  to: string | { name?: string; address: string }
  /** Your id for this message, written into the tokens. */
  messageId?: string
  /** `sendMail()` options for this recipient only, merged over the campaign's `mail` (headers are merged one by one). */
  mail?: Record<string, unknown>
}

/**
 * Counts so far, given to `onProgress` after each recipient.
 *
 * @example
 * ```ts
 * import { sendCampaign, type CampaignProgress } from 'email-tracking-consent/nodemailer'
 * const onProgress = (p: CampaignProgress) => {
 *   if (p.done % 1000 === 0) console.log(`${p.done} done: ${p.tracked} tracked, ${p.untracked} untracked, ${p.skipped} skipped, ${p.failed} failed`)
 * }
 * await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing', onProgress })
 * ```
 */
export interface CampaignProgress {
  /** Recipients handled (sent, skipped or failed). */
  done: number
  tracked: number
  untracked: number
  skipped: number
  failed: number
}

/**
 * What happened to one recipient, given to `onMessage`.
 *
 * @example
 * ```ts
 * import { sendCampaign, type CampaignMessageReport } from 'email-tracking-consent/nodemailer'
 * const onMessage = ({ recipient, outcome, info, error }: CampaignMessageReport) => {
 *   if (error) console.error(`${recipient.contactId}: send failed`, error)
 *   else sends.insert({ contactId: recipient.contactId, status: outcome.status, fallback: outcome.fallback, info })
 * }
 * await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing', onMessage })
 * ```
 */
export interface CampaignMessageReport {
  recipient: CampaignRecipient
  outcome: ConsentOutcome
  /** What the transporter returned, when sent. */
  info?: unknown
  /** Why the send failed, when it did (`outcome.status` then says what would have been sent). */
  error?: unknown
}

/**
 * The campaign's result.
 *
 * @example
 * ```ts
 * import { sendCampaign, type CampaignSummary } from 'email-tracking-consent/nodemailer'
 * const summary: CampaignSummary = await sendCampaign(transporter, compiled, recipients, { store, category: 'marketing' })
 * console.log(`${summary.sent} sent in ${summary.durationMs} ms: ${summary.tracked} tracked, ${summary.skipped} skipped`)
 * if (summary.fallbacks['store-timeout']) console.warn(`${summary.fallbacks['store-timeout']} sent untracked: the store was too slow`)
 * for (const { contactId, error } of summary.failures) console.error(contactId, error)
 * ```
 */
export interface CampaignSummary extends CampaignProgress {
  /** Messages the transporter accepted. */
  sent: number
  /** Untracked sends per fallback reason (store errors, multi-recipient, …). */
  fallbacks: Partial<Record<FallbackReason, number>>
  /** Contacts whose send failed, with the error. */
  failures: { contactId: string; error: unknown }[]
  /** `true` when `signal` stopped the campaign before every recipient was handled. */
  aborted: boolean
  /** Wall-clock duration in milliseconds. */
  durationMs: number
}

/**
 * Options of {@link sendCampaign}.
 *
 * @example
 * ```ts
 * import { sendCampaign, type CampaignOptions } from 'email-tracking-consent/nodemailer'
 * const controller = new AbortController() // controller.abort() stops the campaign
 * const options: CampaignOptions = {
 *   store, category: 'marketing', mail: { from: 'news@example.com', subject: 'Autumn news' },
 *   batchSize: 1_000, concurrency: 5, lookupTimeoutMs: 15_000, signal: controller.signal,
 * }
 * const summary = await sendCampaign(transporter, compiled, recipients, options)
 * ```
 */
export interface CampaignOptions extends LookupOptions {
  /** Where consent records come from. Only `getMany` is used. */
  store: Pick<ConsentStore, 'getMany'>
  /** The kind of message, for every recipient. */
  category: Category
  /** `sendMail()` options shared by every message (from, subject, attachments, headers…). Content comes from `compiled`. */
  mail?: Record<string, unknown>
  /** Contacts per `getMany` call. Default 500. */
  batchSize?: number
  /** Messages in flight at once. Default 8; match your pool's `maxConnections`. */
  concurrency?: number
  /** Called after each recipient with the counts so far. */
  onProgress?: (progress: CampaignProgress) => void
  /** Called for each recipient with its outcome and the send's result. A throwing listener never stops the campaign. */
  onMessage?: (report: CampaignMessageReport) => void
  /** Stops the campaign: recipients not yet started are not sent. */
  signal?: AbortSignal
}

function checkOptions(compiled: CompiledEmail, options: CampaignOptions): void {
  const fail = (message: string): never => {
    throw new ConsentPluginError('invalid-options', `sendCampaign: ${message}`)
  }
  if (typeof compiled?.render !== 'function') fail('`compiled` must come from compile()')
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  if (typeof options.store?.getMany !== 'function') fail('`store` must be a consent store (with getMany)')
  if (!(CATEGORIES as readonly string[]).includes(options.category)) fail(`\`category\` must be one of ${CATEGORIES.join(', ')}`)
  const positive = (name: 'batchSize' | 'concurrency' | 'lookupTimeoutMs', integer: boolean) => {
    const value = options[name]
    if (value !== undefined && !(typeof value === 'number' && value > 0 && (integer ? Number.isInteger(value) : Number.isFinite(value))))
      fail(`\`${name}\` must be a positive ${integer ? 'integer' : 'number'}`)
  }
  positive('batchSize', true)
  positive('concurrency', true)
  positive('lookupTimeoutMs', false)
  for (const name of ['onProgress', 'onMessage', 'now'] as const)
    if (options[name] !== undefined && typeof options[name] !== 'function') fail(`\`${name}\` must be a function`)
  if (options.mail !== undefined && (typeof options.mail !== 'object' || options.mail === null)) fail('`mail` must be an object')
}

async function* batchesOf<T>(items: Iterable<T> | AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = []
  for await (const item of items) {
    batch.push(item)
    if (batch.length === size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** Runs `work` over `items` with at most `limit` in flight; never rejects (work handles its own errors). */
async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length && !stop()) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * Sends one message per recipient from a template compiled once with
 * `compile()`: consent is fetched in batches with `getMany` (bounded by
 * `lookupTimeoutMs`), each message is rendered for its recipient and sent with
 * at most `concurrency` in flight. Fails closed like the plugin: a store
 * error or timeout, or a recipient with more than one address, sends
 * untracked. A recipient the policy says must not be mailed is skipped and
 * counted, never sent. Works with or without the plugin on the transporter.
 *
 * @throws {ConsentPluginError} `invalid-options` for bad options (before anything is sent).
 * @example
 * ```ts
 * import { compile } from 'email-tracking-consent'
 * import { sendCampaign } from 'email-tracking-consent/nodemailer'
 *
 * const compiled = compile({ html, text }, { tokens, baseUrl: 'https://t.example.com/email' })
 * const summary = await sendCampaign(transporter, compiled, recipients, {
 *   store, category: 'marketing',
 *   mail: { from: 'news@example.com', subject: 'Autumn news' },
 *   onProgress: (p) => console.log(`${p.done} done`),
 * })
 * // summary → { sent: 1000, tracked: 412, untracked: 571, skipped: 17, failed: 0, … }
 * ```
 */
export async function sendCampaign(
  transporter: MailTransport,
  compiled: CompiledEmail,
  recipients: Iterable<CampaignRecipient> | AsyncIterable<CampaignRecipient>,
  options: CampaignOptions,
): Promise<CampaignSummary> {
  checkOptions(compiled, options)
  if (typeof (transporter as { sendMail?: unknown })?.sendMail !== 'function')
    throw new ConsentPluginError('invalid-options', 'sendCampaign: `transporter` must have sendMail (a Nodemailer transporter)')
  const started = performance.now()
  const { store, category, signal, onProgress, onMessage } = options
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
  const timeoutMs = options.lookupTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS
  const clock = options.now ?? (() => new Date())
  const shared = options.mail ?? {}
  const dkim = transporterDkim(transporter)
  const summary: CampaignSummary = {
    done: 0,
    sent: 0,
    tracked: 0,
    untracked: 0,
    skipped: 0,
    failed: 0,
    fallbacks: {},
    failures: [],
    aborted: false,
    durationMs: 0,
  }
  const stopped = () => signal?.aborted === true

  const lookup = (batch: CampaignRecipient[]): Promise<Lookup<Map<string, ConsentRecord>>> => {
    const ids = [...new Set(batch.map((r) => r?.contactId).filter((id): id is string => typeof id === 'string' && id !== ''))]
    return lookupWithin(() => store.getMany(ids), timeoutMs).then((found) =>
      // An answer that is not a Map is a broken store: the batch goes out untracked, never failed.
      found.ok && !(found.value instanceof Map) ? { ok: false, reason: 'store-error', error: new Error('getMany did not return a Map') } : found,
    )
  }

  async function deliver(recipient: CampaignRecipient, found: Lookup<Map<string, ConsentRecord>>): Promise<void> {
    const own = recipient?.mail && typeof recipient.mail === 'object' ? recipient.mail : {}
    const data: Record<string, unknown> = { ...shared, ...own, to: recipient?.to }
    const contactId = typeof recipient?.contactId === 'string' && recipient.contactId !== '' && !looksLikeEmail(recipient.contactId) ? recipient.contactId : undefined
    const messageId = isMessageId(recipient?.messageId) ? recipient.messageId : undefined
    const recipientCount = countRecipients(data)
    const invalid = !contactId || (recipient?.messageId !== undefined && !messageId)
    let fallback: FallbackReason | undefined = invalid
      ? 'invalid-consent'
      : recipientCount === 0
        ? 'no-recipient'
        : recipientCount > 1
          ? 'multiple-recipients'
          : found.ok
            ? undefined
            : found.reason
    let error: unknown = !found.ok && fallback === found.reason ? found.error : undefined
    let record: ConsentRecord | null = null
    if (!fallback && found.ok) {
      const own = ownRecord(contactId!, found.value.get(contactId!))
      if (own.ok) record = own.value
      else ({ reason: fallback, error } = own)
    }
    const renderOptions = {
      now: clock(),
      ...(messageId ? { messageId } : {}),
      // An unknown contact still gets its own unsubscribe and consent links; a fallback signs nothing personal.
      ...(!fallback && record === null ? { contactId: contactId! } : {}),
    }
    let result: TransformResult
    try {
      result = await compiled.render(record, category, renderOptions)
    } catch (err) {
      fallback = 'transform-error'
      error = err
      result = await compiled.render(null, category, renderOptions)
    }
    const outcome = outcomeOf({ category, recipients: recipientCount, contactId, messageId }, result, fallback, error)
    if (outcome.status === 'skipped') {
      summary.skipped++
      notify(onMessage, { recipient, outcome })
      return
    }
    for (const part of ['html', 'text', 'amp'] as const) {
      if (result[part] === undefined) delete data[part]
      else data[part] = result[part]
    }
    // Campaign headers, then the recipient's, then the rewrite's; the caller's objects are never modified.
    data.headers = combineHeaders(shared.headers, own.headers)
    applyHeaders(data, result, dkim, outcome)
    data.consent = { ...(contactId ? { contactId } : {}), category, [RENDERED]: outcome }
    try {
      const info = await transporter.sendMail(data as never)
      summary.sent++
      if (outcome.status === 'tracked') summary.tracked++
      else summary.untracked++
      if (fallback) summary.fallbacks[fallback] = (summary.fallbacks[fallback] ?? 0) + 1
      notify(onMessage, { recipient, outcome, info })
    } catch (err) {
      summary.failed++
      summary.failures.push({ contactId: contactId ?? String(recipient?.contactId), error: err })
      notify(onMessage, { recipient, outcome, error: err })
    }
  }

  const iterator = batchesOf(recipients, batchSize)[Symbol.asyncIterator]()
  let current = await iterator.next()
  let pending = current.done ? undefined : lookup(current.value)
  while (!current.done && pending) {
    if (stopped()) break
    const batch = current.value
    const found = await pending
    // Fetch the next batch's consent while this one is being sent.
    const next = await iterator.next()
    pending = next.done ? undefined : lookup(next.value)
    await eachLimited(
      batch,
      concurrency,
      async (recipient) => {
        try {
          await deliver(recipient, found)
        } catch (err) {
          // Even the untracked render threw (a configuration error): count it, keep going.
          summary.failed++
          summary.failures.push({ contactId: String(recipient?.contactId), error: err })
        }
        summary.done++
        notify(onProgress, {
          done: summary.done,
          tracked: summary.tracked,
          untracked: summary.untracked,
          skipped: summary.skipped,
          failed: summary.failed,
        })
      },
      stopped,
    )
    current = next
  }
  summary.aborted = stopped()
  summary.durationMs = performance.now() - started
  return summary
}
