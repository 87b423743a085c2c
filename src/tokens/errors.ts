import { ConsentTrackingError } from '../lib/errors.js'

/**
 * Stable codes of {@link TokenError}.
 *
 * @example
 * ```ts
 * import { TokenError, type TokenErrorCode } from 'email-tracking-consent'
 * try { await tokens.verify(token, { purpose: 'preferences' }) }
 * catch (err) {
 *   if (!(err instanceof TokenError)) throw err
 *   const code: TokenErrorCode = err.code
 *   if (code === 'expired') res.status(410).send('This link has expired.')
 *   else if (code === 'unknown-key') res.status(410).send('This link was signed with a retired key.')
 *   else res.status(400).send('Invalid link.') // malformed, bad-signature, wrong-purpose, forbidden-header…
 * }
 * ```
 */
export type TokenErrorCode =
  /** Not a token of this library (wrong shape, bad encoding, too long, bad JSON). */
  | 'malformed'
  /** The signature or the purpose tag does not verify. */
  | 'bad-signature'
  /** The header names a `kid` that is not in the key ring. */
  | 'unknown-key'
  /** The header's `alg` is not the one of the key it names (e.g. `none`, or HS/EdDSA confusion). */
  | 'bad-algorithm'
  /** The header carries key material or key locations (`jku`, `jwk`, `x5u`, `x5c`) or `crit`. */
  | 'forbidden-header'
  /** Past its `exp`. */
  | 'expired'
  /** Valid, but issued for another purpose. */
  | 'wrong-purpose'
  /** Required claims missing or of the wrong type, wrong issuer, or issued in the future. */
  | 'invalid-claims'
  /** A contactId that looks like an email address: no personal data in URLs. */
  | 'personal-data'
  /** `sign()` input is incomplete or of the wrong type. */
  | 'invalid-input'
  /** A key of the ring is unusable (too short, wrong type, duplicate kid). */
  | 'invalid-key'
  /** The ring's first key has no private part, so this instance only verifies. */
  | 'no-signing-key'

/**
 * Thrown by `createTokens()` and its methods. Switch on `code`, which is stable.
 *
 * @example
 * ```ts
 * try { await tokens.verify(t, { purpose: 'withdraw' }) }
 * catch (err) { if (err instanceof TokenError && err.code === 'expired') showExpiredPage() }
 * ```
 */
export class TokenError extends ConsentTrackingError<TokenErrorCode> {}

/**
 * A {@link TokenError} built without a stack trace, for the refusals of
 * token checks: an endpoint refuses forged and broken tokens by the
 * thousand, and capturing a stack costs more than checking a token.
 * `verify()` hands its callers errors with their own stack. Internal.
 */
export function refusal(code: TokenErrorCode, message: string, options?: { cause?: unknown }): TokenError {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 0
  try {
    return new TokenError(code, message, options)
  } finally {
    Error.stackTraceLimit = limit
  }
}
