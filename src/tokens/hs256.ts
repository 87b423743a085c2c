// A synchronous HS256 check for the tokens this library issues itself. Web
// Crypto's HMAC verify is asynchronous and costs more than the rest of a pixel
// hit; HMAC-SHA256 with a precomputed key state costs a few microseconds.
// (Signing is synchronous too, in create.ts: the same bytes jose writes.)
//
// It applies only to a token whose protected header is, byte for byte, the one
// this library writes for a ring key ({"alg":"HS256","kid":…,"typ":"etc+jwt"}):
// no header field is parsed, so no header can ask for anything else (`none`,
// `jku`, `crit`, `b64`…). Any other token goes through jose. The claims checks
// are jose's `jwtVerify` checks for the options `verify()` passes it; a
// property test holds the two paths to the same answers.
import { encodeBase64url, isBase64urlBytesOf } from '../lib/base64url.js'
import { hmac, hmacKeyAfter, type HmacKey } from '../lib/sha256.js'
import { readClaimsJson } from './claims-json.js'
import { refusal, TokenError } from './errors.js'

const encoder = new TextEncoder()
const strictDecoder = new TextDecoder('utf-8', { fatal: true })
// Scratch space for the expected signature: verification is synchronous.
const DIGEST = new Uint8Array(32)
// A forged signature is the refusal a flood of bad links brings: returned, one shared instance, never thrown.
const BAD_SIGNATURE = refusal('bad-signature', 'The token signature does not verify')

/** The protected header segment this library writes for an HS256 key. */
export function canonicalHeader(kid: string, typ: string): string {
  return encodeBase64url(encoder.encode(JSON.stringify({ alg: 'HS256', kid, typ })))
}

/**
 * An HS256 key, with the HMAC state after the first 64 bytes that every
 * signing input of this library's tokens for it shares: the header, the dot,
 * and the start of a payload that begins `{"iss":<issuer>,"sub":"`. A token
 * that starts with them costs one compression less to check or sign.
 */
export interface JwsKey {
  key: HmacKey
  /** The shared first 64 bytes, when there are that many. */
  prefix?: Uint8Array
  /** `key` after absorbing `prefix`. */
  after?: HmacKey
}

/** The {@link JwsKey} of `key` for tokens with this header segment and issuer. */
export function jwsKey(key: HmacKey, header: string, issuer: string): JwsKey {
  const start = encoder.encode(`{"iss":${JSON.stringify(issuer)},"sub":"`)
  // Only whole 3-byte groups fix their base64url characters.
  const fixed = `${header}.${encodeBase64url(start.subarray(0, start.length - (start.length % 3)))}`
  const bytes = encoder.encode(fixed)
  if (bytes.length < 64) return { key }
  const prefix = bytes.slice(0, 64)
  return { key, prefix, after: hmacKeyAfter(key, prefix) }
}

/** The HS256 MAC of the ASCII bytes `chars[0, end)`, into `out`. */
export function jwsMac(jws: JwsKey, chars: Uint8Array, end: number, out: Uint8Array): Uint8Array {
  const { prefix, after } = jws
  if (prefix && after && end >= 64) {
    // The prefix is public (a header and an issuer): comparing it need not take constant time.
    let same = true
    for (let i = 0; i < 64 && same; i++) same = chars[i] === prefix[i]
    if (same) return hmac(after, chars, out, 64, end)
  }
  return hmac(jws.key, chars, out, 0, end)
}

/** What `verify()` asks of the claims, as it asks jose. */
export interface ClaimChecks {
  issuer: string
  /** The one-letter audience of the purpose. */
  audience: string
  /** Seconds since the epoch, rounded down as jose does. */
  now: number
}

function claimFailed(claim: string, purpose: string): TokenError {
  if (claim === 'aud') return refusal('wrong-purpose', `The token was not issued for "${purpose}"`)
  return refusal('invalid-claims', `Invalid token claim "${claim}"`)
}

function numericDate(claims: Record<string, unknown>, claim: string, purpose: string): number | undefined {
  const value = claims[claim]
  if (value === undefined) return undefined
  if (typeof value !== 'number') throw claimFailed(claim, purpose)
  return value
}

/**
 * Verifies the signature of a compact JWS held as ASCII bytes in `chars`:
 * the signing input (`header.payload`) is `chars[0, signedEnd)` and the
 * signature `chars[signedEnd + 1, end)`. Returns the checked claims set,
 * or the `bad-signature` refusal (returned, not thrown: the common refusal
 * costs no exception); `payload` is the decoded payload segment.
 *
 * @throws {TokenError} `malformed`, `wrong-purpose`, `invalid-claims` or `expired`, as the jose path would.
 */
export function verifyHs256(
  key: JwsKey,
  chars: Uint8Array,
  signedEnd: number,
  end: number,
  payload: Uint8Array,
  checks: ClaimChecks,
  purpose: string,
): Record<string, unknown> | TokenError {
  if (!isBase64urlBytesOf(chars, signedEnd + 1, end, jwsMac(key, chars, signedEnd, DIGEST))) return BAD_SIGNATURE
  let claims: unknown
  try {
    const text = strictDecoder.decode(payload)
    claims = readClaimsJson(text) ?? JSON.parse(text)
  } catch (cause) {
    throw refusal('malformed', 'The token is malformed', { cause })
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw refusal('malformed', 'The token is malformed')
  const set = claims as Record<string, unknown>
  // Presence, in jose's order: iss, aud, then the required claims.
  for (const claim of ['iss', 'aud', 'iat', 'jti', 'sub'])
    if (!Object.hasOwn(set, claim)) throw claimFailed(claim, purpose)
  if (set.iss !== checks.issuer) throw claimFailed('iss', purpose)
  const aud = set.aud
  if (!(typeof aud === 'string' ? aud === checks.audience : Array.isArray(aud) && aud.includes(checks.audience))) throw claimFailed('aud', purpose)
  numericDate(set, 'iat', purpose)
  const nbf = numericDate(set, 'nbf', purpose)
  if (nbf !== undefined && nbf > checks.now) throw claimFailed('nbf', purpose)
  const exp = numericDate(set, 'exp', purpose)
  if (exp !== undefined && exp <= checks.now) throw refusal('expired', 'The token has expired')
  return set
}
