import { looksLikeEmail } from '../lib/personal-data.js'
import { sha256Hex } from '../lib/sha256.js'
import type { Purpose } from '../policy/types.js'
import type { ConsentEventInput, Evidence } from '../store/types.js'
import { ConsentFormError } from './errors.js'
import { escapeHtml } from './escape.js'
import { checkboxLabels, DEFAULT_TEXTS, pickLocale, type ConsentFieldLocale, type ConsentFieldTexts } from './texts.js'

/**
 * Options of {@link trackingConsentField}.
 *
 * @example
 * ```ts
 * import { trackingConsentField, type TrackingConsentFieldOptions } from 'email-tracking-consent'
 * const options: TrackingConsentFieldOptions = {
 *   formId: 'newsletter-signup',
 *   noticeVersion: '2026-04',
 *   noticeUrl: '/privacy/email-tracking',
 *   separatePurposes: true, // one checkbox for opens, one for clicks
 *   texts: { en: { opens: 'Yes, Acme may see when I open its newsletters.' } },
 * }
 * const field = trackingConsentField(options)
 * ```
 */
export interface TrackingConsentFieldOptions {
  /** Identifies the form in the evidence, e.g. `newsletter-signup`. At most 128 characters. */
  formId: string
  /** Version of the information notice this form shows, e.g. `2026-04`. Stored with every event. At most 128 characters. */
  noticeVersion: string
  /** Link to the full information notice (http(s) URL or a path). Default: none, the version is shown as text. */
  noticeUrl?: string
  /** Base name of the form fields. Default `tracking_consent`. */
  name?: string
  /** Ask opens and clicks with one checkbox (`false`, the default) or one checkbox each (`true`). */
  separatePurposes?: boolean
  /** Replaces some of the shipped texts, per locale. */
  texts?: Partial<Record<ConsentFieldLocale, Partial<ConsentFieldTexts>>>
}

/**
 * What the browser posted: `URLSearchParams`, `FormData`, or a parsed body such as Express's `req.body`.
 *
 * @example
 * ```ts
 * import type { ConsentFormSubmission } from 'email-tracking-consent'
 * // Any of these shapes is accepted:
 * const fromFetch: ConsentFormSubmission = await request.formData()
 * const fromRawBody: ConsentFormSubmission = new URLSearchParams(rawBody)
 * const fromExpress: ConsentFormSubmission = req.body // after express.urlencoded()
 * const events = field.toEvents(fromFetch, { contactId: 'c_42' })
 * ```
 */
export type ConsentFormSubmission =
  | {
      /** Every value posted under `name`, as `URLSearchParams` and `FormData` give them. */
      getAll(name: string): unknown[]
    }
  | Readonly<Record<string, unknown>>

/**
 * Who submitted the form, and the proof to keep with the events.
 *
 * @example
 * ```ts
 * import type { ConsentSubmissionContext } from 'email-tracking-consent'
 * const context: ConsentSubmissionContext = {
 *   contactId: 'c_42',
 *   at: new Date(),
 *   ip: req.ip,
 *   userAgent: req.get('user-agent'),
 *   submissionId: req.get('x-request-id'),
 * }
 * for (const event of field.toEvents(req.body, context)) await store.record(event)
 * ```
 */
export interface ConsentSubmissionContext {
  /** The sender's opaque id for the contact (never an email address). */
  contactId: string
  /** When the form was submitted. Default: now. */
  at?: Date
  /** The submitter's IP address, kept as evidence. */
  ip?: string
  /** The submitter's `User-Agent`, kept as evidence (cut to 512 characters). */
  userAgent?: string
  /** Your id for this submission; makes the event ids unique per submission when several share a second. */
  submissionId?: string
}

/**
 * The checkbox-and-notice snippet of a form and the reader of its submissions. Made by {@link trackingConsentField}.
 *
 * @example
 * ```ts
 * import { trackingConsentField, type TrackingConsentField } from 'email-tracking-consent'
 * const field: TrackingConsentField = trackingConsentField({ formId: 'newsletter-signup', noticeVersion: '2026-04' })
 * field.fieldNames // { checkboxes: ['tracking_consent'], noticeVersion: 'tracking_consent_notice' }
 * const page = `<form method="post" action="/signup">${field.render({ locale: 'en' })}<button>Subscribe</button></form>`
 * // on POST:
 * for (const event of field.toEvents(req.body, { contactId: 'c_42' })) await store.record(event)
 * ```
 */
export interface TrackingConsentField {
  /** The form id kept as evidence. */
  readonly formId: string
  /** The notice version rendered and expected back. */
  readonly noticeVersion: string
  /** Names of the checkbox fields (one, or `opens` then `clicks`) and of the hidden notice-version field. */
  readonly fieldNames: { checkboxes: string[]; noticeVersion: string }
  /**
   * The HTML snippet to put inside your `<form>`: the **unchecked** checkbox(es),
   * the information notice and a hidden field carrying its version. All text is escaped.
   */
  render(options?: { locale?: string }): string
  /**
   * Turns a submission into the events to record: one `collect` (source
   * `form`), then `grant` for the ticked purposes and `deny` for the others,
   * each with the notice version and evidence (`formId`, `ip`, `userAgent`).
   * Event ids are derived from the submission, so recording them twice stores them once.
   * @throws {ConsentFormError} `notice-mismatch` when the form showed another notice version; `invalid-submission` for a bad value or context.
   */
  toEvents(submission: ConsentFormSubmission, context: ConsentSubmissionContext): ConsentEventInput[]
}

const CHECKED_VALUE = 'yes'
const MAX_ID = 128
const MAX_USER_AGENT = 512
// Control characters never belong in ids shown in forms and kept as evidence.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function checkLabel(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_ID || CONTROL.test(value))
    throw new ConsentFormError('invalid-option', `${field} must be a non-empty string of at most ${MAX_ID} characters without control characters`)
  return value
}

function checkNoticeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  let parsed: URL
  try {
    parsed = new URL(url, 'https://relative.invalid')
  } catch {
    throw new ConsentFormError('invalid-option', `noticeUrl is not a URL: ${JSON.stringify(url)}`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new ConsentFormError('invalid-option', 'noticeUrl must be an http(s) URL or a path')
  return url
}

function fieldValues(submission: ConsentFormSubmission, name: string): unknown[] {
  if (typeof submission !== 'object' || submission === null)
    throw new ConsentFormError('invalid-submission', 'The submission must be URLSearchParams, FormData or an object of fields')
  if (typeof (submission as { getAll?: unknown }).getAll === 'function') return (submission as { getAll(n: string): unknown[] }).getAll(name)
  const value = Object.prototype.hasOwnProperty.call(submission, name) ? (submission as Record<string, unknown>)[name] : undefined
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

// An unticked checkbox is absent from the post; anything but our one value is tampering or a broken form.
function isTicked(submission: ConsentFormSubmission, name: string): boolean {
  const values = fieldValues(submission, name)
  if (values.length === 0) return false
  if (values.length === 1 && values[0] === CHECKED_VALUE) return true
  throw new ConsentFormError('invalid-submission', `Field ${name} must be absent (unticked) or "${CHECKED_VALUE}"`)
}

function idFragment(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]+/g, '-')
}

/**
 * The consent form helper: renders an **unchecked** tracking checkbox with a
 * versioned information notice (en, fr), and turns the submitted form into
 * `collect` plus `grant` or `deny` events with their evidence, ready for
 * `store.record()`. Consent is never pre-ticked and leaving the box unticked
 * records a refusal of tracking, never an unsubscription.
 *
 * @throws {ConsentFormError} `invalid-option` for a missing form id or notice version, or a bad notice URL.
 * @example
 * ```ts
 * import { trackingConsentField } from 'email-tracking-consent'
 * const field = trackingConsentField({ formId: 'newsletter-signup', noticeVersion: '2026-04', noticeUrl: '/privacy/email-tracking' })
 * const html = `<form method="post">…${field.render({ locale: 'fr' })}<button>OK</button></form>`
 * // on POST:
 * const events = field.toEvents(new URLSearchParams(body), { contactId: 'c_42', ip: req.ip, userAgent: req.get('user-agent') })
 * for (const event of events) await store.record(event)
 * ```
 */
export function trackingConsentField(options: TrackingConsentFieldOptions): TrackingConsentField {
  if (typeof options !== 'object' || options === null) throw new ConsentFormError('invalid-option', 'trackingConsentField needs { formId, noticeVersion }')
  const formId = checkLabel(options.formId, 'formId')
  const noticeVersion = checkLabel(options.noticeVersion, 'noticeVersion')
  const noticeUrl = checkNoticeUrl(options.noticeUrl)
  const name = options.name ?? 'tracking_consent'
  if (typeof name !== 'string' || !/^[A-Za-z][\w.-]{0,63}$/.test(name))
    throw new ConsentFormError('invalid-option', 'name must start with a letter and hold at most 64 letters, digits, _ . -')
  const separate = options.separatePurposes === true
  const boxes = checkboxLabels(separate).map((box) => ({ ...box, field: separate ? `${name}_${box.purposes[0]}` : name }))
  const noticeField = `${name}_notice`
  const idBase = `etc-${idFragment(formId)}-${idFragment(name)}`

  function textsFor(locale: ConsentFieldLocale): ConsentFieldTexts {
    return { ...DEFAULT_TEXTS[locale], ...options.texts?.[locale] }
  }

  return {
    formId,
    noticeVersion,
    fieldNames: { checkboxes: boxes.map((b) => b.field), noticeVersion: noticeField },

    render(renderOptions) {
      const locale = pickLocale(renderOptions?.locale)
      const t = textsFor(locale)
      const version = escapeHtml(noticeVersion)
      const noticeId = `${idBase}-notice`
      const withVersion = (text: string) => escapeHtml(text).split('{version}').join(version)
      const reference = noticeUrl
        ? `<a href="${escapeHtml(noticeUrl)}">${withVersion(t.noticeLink)}</a>`
        : withVersion(t.noticeVersion)
      const checkboxes = boxes
        .map(({ purposes, label }) => {
          const field = separate ? `${name}_${purposes[0]}` : name
          const id = separate ? `${idBase}-${purposes[0]}` : idBase
          // Never `checked`: consent must be an affirmative act (rule 3).
          return (
            `<p class="etc-consent__choice"><input type="checkbox" id="${id}" name="${field}" value="${CHECKED_VALUE}" aria-describedby="${noticeId}"> ` +
            `<label for="${id}">${escapeHtml(t[label])}</label></p>`
          )
        })
        .join('\n  ')
      return (
        `<div class="etc-consent" lang="${locale}" data-notice-version="${version}">\n` +
        `  <input type="hidden" name="${noticeField}" value="${version}">\n` +
        `  ${checkboxes}\n` +
        `  <p class="etc-consent__notice" id="${noticeId}">${escapeHtml(t.notice)} ${reference}</p>\n` +
        `</div>`
      )
    },

    toEvents(submission, context) {
      if (typeof context !== 'object' || context === null) throw new ConsentFormError('invalid-submission', 'toEvents needs { contactId }')
      const { contactId, ip, userAgent, submissionId } = context
      if (typeof contactId !== 'string' || contactId === '' || contactId.length > 256)
        throw new ConsentFormError('invalid-submission', 'contactId must be a non-empty string of at most 256 characters')
      if (looksLikeEmail(contactId)) throw new ConsentFormError('invalid-submission', 'contactId looks like an email address; use an opaque id')
      const at = context.at ?? new Date()
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new ConsentFormError('invalid-submission', 'at must be a valid Date')
      const shown = fieldValues(submission, noticeField)
      if (shown.length !== 1 || shown[0] !== noticeVersion)
        throw new ConsentFormError(
          'notice-mismatch',
          `The form showed notice version ${shown.length === 1 ? JSON.stringify(shown[0]) : '(none)'}, expected ${JSON.stringify(noticeVersion)}`,
        )
      const granted: Purpose[] = []
      const denied: Purpose[] = []
      for (const box of boxes) (isTicked(submission, box.field) ? granted : denied).push(...box.purposes)

      const evidence: Evidence = { formId }
      if (typeof ip === 'string' && ip !== '') evidence.ip = ip.slice(0, 64)
      if (typeof userAgent === 'string' && userAgent !== '') evidence.userAgent = userAgent.slice(0, MAX_USER_AGENT)
      if (typeof submissionId === 'string' && submissionId !== '') evidence.submissionId = submissionId.slice(0, MAX_ID)
      const idOf = (type: string) =>
        `form-${sha256Hex([formId, contactId, at.toISOString(), submissionId ?? '', type].join('\u0000')).slice(0, 40)}`
      const base = { contactId, at, source: 'form' as const, noticeVersion, evidence }

      const events: ConsentEventInput[] = [{ ...base, id: idOf('collect'), type: 'collect', evidence: { ...evidence } }]
      if (granted.length) events.push({ ...base, id: idOf('grant'), type: 'grant', purposes: granted, evidence: { ...evidence } })
      if (denied.length) events.push({ ...base, id: idOf('deny'), type: 'deny', purposes: denied, evidence: { ...evidence } })
      return events
    },
  }
}
