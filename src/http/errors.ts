import { ConsentTrackingError } from '../lib/errors.js'

/**
 * Stable codes of {@link HttpError}, each with the status it answers.
 *
 * @example
 * ```ts
 * import { createHandler, type HttpErrorCode } from 'email-tracking-consent/http'
 * // Failures the handler contains reach the logger with their code: `store-unavailable` (503) or `internal` (500).
 * const logger = { warn: console.warn, error(message: string, details?: Record<string, unknown>) {
 *   switch (details?.code as HttpErrorCode | undefined) {
 *     case 'store-unavailable': metrics.increment('consent_store_down'); break
 *     default: console.error(message, details) // 'internal', a throwing hook, a failed error page
 *   }
 * } }
 * const handler = createHandler({ tokens, store, logger })
 * ```
 */
export type HttpErrorCode =
  /** No route at this path (404). */
  | 'not-found'
  /** The route exists but not for this method (405, with `Allow`). */
  | 'method-not-allowed'
  /** The token is malformed, forged, of another purpose or otherwise invalid (400). */
  | 'invalid-token'
  /** The token is past its expiry (410). */
  | 'expired-token'
  /** The click target is missing, not http(s), or not the one bound to the token (400). */
  | 'bad-target'
  /** The body is larger than `maxBodyBytes` (413). */
  | 'payload-too-large'
  /** The body is not a form (`application/x-www-form-urlencoded` or `multipart/form-data`) (415). */
  | 'unsupported-media-type'
  /** The body could not be read or parsed (client gone, malformed multipart) (400). */
  | 'bad-request'
  /** The form's nonce is missing, altered, for another token, or too old (400). */
  | 'invalid-form'
  /** The form came back sooner than `forms.minDelayMs` after its page (429). */
  | 'form-too-fast'
  /** A known link scanner or an automated client tried to submit a form (403). */
  | 'automated-request'
  /** The consent store failed (503). */
  | 'store-unavailable'
  /** A `createHandler()` option is invalid (thrown at creation, never answered). */
  | 'invalid-option'
  /** A defect of this library (500); logged. */
  | 'internal'

/**
 * An HTTP failure with a stable `code`. Route code throws it; the handler turns
 * it into a response in one place (a localized page, or the GIF on the pixel route).
 *
 * @example
 * ```ts
 * import { createHandler, HttpError } from 'email-tracking-consent/http'
 * try { createHandler({ tokens, store, basePath: 'no-slash' }) }
 * catch (err) { if (err instanceof HttpError && err.code === 'invalid-option') console.error(err.message) }
 * ```
 */
export class HttpError extends ConsentTrackingError<HttpErrorCode> {
  /** The response status for this code. */
  get status(): number {
    return STATUS[this.code]
  }
}

const STATUS: Record<HttpErrorCode, number> = {
  'not-found': 404,
  'method-not-allowed': 405,
  'invalid-token': 400,
  'expired-token': 410,
  'bad-target': 400,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'bad-request': 400,
  'invalid-form': 400,
  'form-too-fast': 429,
  'automated-request': 403,
  'store-unavailable': 503,
  'invalid-option': 500,
  internal: 500,
}
