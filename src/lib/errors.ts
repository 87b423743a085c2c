/**
 * Base class of every error this library throws on purpose. Each subclass
 * narrows `code` to its own union of stable string codes, so
 * `switch (err.code)` can be relied on across versions.
 *
 * @example
 * ```ts
 * import { ConsentTrackingError } from 'email-tracking-consent'
 * try { await tokens.verify(token, { purpose: 'withdraw' }) }
 * catch (err) { if (err instanceof ConsentTrackingError) log.warn({ code: err.code }, err.message) }
 * ```
 */
export class ConsentTrackingError<Code extends string = string> extends Error {
  /** A stable, machine-readable code. Never reworded between versions. */
  readonly code: Code

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}
