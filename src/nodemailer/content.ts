// Reads the message's text parts through Nodemailer's own content resolution
// (strings, Buffers, streams, { path }, { href }, data: URIs, with the
// transporter's disableFileAccess / disableUrlAccess policy) and writes the
// rewritten strings back.

/** The parts the plugin rewrites. */
export const PARTS = ['html', 'text', 'amp', 'watchHtml'] as const
export type Part = (typeof PARTS)[number]

/**
 * The piece of Nodemailer's `MailMessage` the plugin relies on.
 *
 * @example
 * ```ts
 * import type { ConsentOutcome, MailMessageLike } from 'email-tracking-consent/nodemailer'
 * // A compile plugin of your own, added after consentTracking(), reads what it decided.
 * transporter.use('compile', (mail: MailMessageLike, callback: (err?: Error | null) => void) => {
 *   const { consentTracking: outcome } = mail.data as { consentTracking?: ConsentOutcome }
 *   if (outcome?.fallback) console.warn(`sent untracked: ${outcome.fallback}`)
 *   callback()
 * })
 * ```
 */
export interface MailMessageLike {
  /** The `sendMail()` options, with the transporter's defaults applied. */
  data: object
  /** Nodemailer's content resolution (strings, Buffers, streams, paths, URLs), under the message's access policy. */
  resolveContent(data: object, key: string, callback: (err: Error | null, value?: unknown) => void): unknown
  /** The transporter (`Mail` instance), read for its DKIM options. */
  mailer?: unknown
}

function isContentObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && typeof (value as { pipe?: unknown }).pipe !== 'function'
}

/** Whether a part is given as a pregenerated MIME node (`{ raw }`), which cannot be read as text. */
export function isRawPart(value: unknown): boolean {
  return isContentObject(value) && (value as { raw?: unknown }).raw != null
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== ''
}

/** One part as a string, or `undefined` when the message has none. Rejects like Nodemailer would (missing file, access denied). */
export function readPart(mail: MailMessageLike, key: Part): Promise<string | undefined> {
  if (!present((mail.data as Record<string, unknown>)[key])) return Promise.resolve(undefined)
  return new Promise((resolve, reject) => {
    // The callback form exists in every Nodemailer version from 6.9 on.
    mail.resolveContent(mail.data, key, (err, value) => {
      if (err) return reject(err)
      if (typeof value === 'string') return resolve(value)
      if (Buffer.isBuffer(value)) return resolve(value.toString('utf8'))
      resolve(undefined)
    })
  })
}

/** Replaces one part's content, keeping the part's own options (headers, content type, encoding of the transfer). */
export function writePart(data: Record<string, unknown>, key: Part, content: string | undefined): void {
  if (content === undefined) {
    delete data[key]
    return
  }
  const current = data[key]
  if (isContentObject(current)) {
    const { content: _c, path: _p, href: _h, encoding: _e, httpHeaders: _hh, tls: _t, ...options } = current
    data[key] = { ...options, content }
  } else {
    data[key] = content
  }
}
