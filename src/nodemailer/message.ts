// What the plugin and the campaign sender do alike once a message is
// rewritten: build its outcome, and lay the rewrite's headers on the message.
import { looksLikeEmail } from '../lib/personal-data.js'
import { cnilPolicy } from '../policy/cnil.js'
import type { Category, Policy } from '../policy/types.js'
import type { TransformResult } from '../transform.js'
import { LIST_UNSUBSCRIBE_HEADERS, selectConfigurationSet, signHeaders } from './delivery.js'
import { readHeaders, writeHeaders } from './headers.js'
import type { ConsentOutcome, FallbackReason } from './types.js'

/** What `transform()` accepts as a message id: opaque, at most 256 characters, not an address. */
export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && /^[\w.:@+-]{1,256}$/.test(value) && !looksLikeEmail(value)
}

/** The policy for fallbacks: the caller's, without the list-hygiene pixel, so a fallback is never tracked. */
export function fallbackPolicy(policy: Policy | undefined): Policy {
  return { ...(policy ?? cnilPolicy()), listHygiene: false }
}

/** Whether the rewritten message carries a tracker of ours (or, with `tracker: 'provider'`, the ESP's). */
export function isTracked(result: TransformResult): boolean {
  return result.decision.opens || result.decision.clicks
}

/** Who and what a message is for, known before the rewrite. */
export interface MessageFacts {
  category: Category
  recipients: number
  contactId?: string | undefined
  messageId?: string | undefined
}

/** The outcome of a rewritten message. */
export function outcomeOf(facts: MessageFacts, result: TransformResult, fallback: FallbackReason | undefined, error: unknown): ConsentOutcome {
  return {
    status: !result.decision.send ? 'skipped' : isTracked(result) ? 'tracked' : 'untracked',
    ...(fallback ? { fallback } : {}),
    ...(facts.contactId ? { contactId: facts.contactId } : {}),
    category: facts.category,
    ...(facts.messageId ? { messageId: facts.messageId } : {}),
    decision: result.decision,
    recipients: facts.recipients,
    links: result.links,
    removed: result.removed,
    warnings: [...result.warnings],
    ...(error !== undefined ? { error } : {}),
  }
}

/** Calls a listener without letting it break the send; its error becomes a process warning. */
export function notify<T>(listener: ((value: T) => void) | undefined, value: T): void {
  if (!listener) return
  try {
    listener(value)
  } catch (err) {
    process.emitWarning(`email-tracking-consent: a listener threw: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** The transporter-level DKIM options of a Nodemailer transporter (`mail.mailer`), in Nodemailer 6 to 10. */
export function transporterDkim(mailer: unknown): Record<string, unknown> | undefined {
  const m = mailer as { dkim?: { options?: unknown } | false; options?: { dkim?: unknown } } | undefined
  const options = (m?.dkim && m.dkim.options) || m?.options?.dkim
  return options && typeof options === 'object' ? (options as Record<string, unknown>) : undefined
}

/** Removes `unsubscribe` from a copy of Nodemailer's `list` option; returns whether there was one. */
function dropListUnsubscribe(data: Record<string, unknown>): boolean {
  const list = data.list
  if (!list || typeof list !== 'object') return false
  const key = Object.keys(list).find((k) => k.trim().toLowerCase() === 'unsubscribe')
  if (key === undefined) return false
  const { [key]: _dropped, ...rest } = list as Record<string, unknown>
  data.list = rest
  return true
}

/**
 * Writes the rewrite's headers on the message (on a copy of its header
 * object), makes DKIM cover the List-Unsubscribe headers it set (a `list:
 * { unsubscribe }` option, which would add a second List-Unsubscribe, is
 * dropped with a warning), and mirrors the chosen SES configuration set.
 */
export function applyHeaders(data: Record<string, unknown>, result: TransformResult, dkim: Record<string, unknown> | undefined, outcome: ConsentOutcome): void {
  const before = new Map(Object.entries(readHeaders(data.headers)).map(([k, v]) => [k.toLowerCase(), v]))
  writeHeaders(data, result.headers)
  const listHeaders = Object.entries(result.headers)
    .filter(([k, v]) => LIST_UNSUBSCRIBE_HEADERS.some((n) => n.toLowerCase() === k.toLowerCase()) && before.get(k.toLowerCase()) !== v)
    .map(([k]) => k)
  if (listHeaders.length > 0 && dropListUnsubscribe(data)) outcome.warnings.push('list-unsubscribe-replaced')
  signHeaders(data, dkim, listHeaders)
  selectConfigurationSet(data, result.headers)
}
