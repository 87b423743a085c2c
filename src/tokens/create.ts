import { CompactSign, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import { asciiBytes, decodeBase64urlBytes, encodeBase64url, isBase64urlBytesOf, isCanonicalBase64url, randomId } from '../lib/base64url.js'
import { looksLikeEmail } from '../lib/personal-data.js'
import { hmac, sha256, timingSafeEqual, type HmacKey } from '../lib/sha256.js'
import { refusal, TokenError } from './errors.js'
import { canonicalHeader, jwsKey, jwsMac, verifyHs256, type JwsKey } from './hs256.js'
import { prepareKeys, type PreparedKey } from './keys.js'
import type { MessageTokens, SignInput, TokenClaims, TokenPurpose, Tokens, TokensOptions, VerifyOptions } from './types.js'

/**
 * Every purpose a token can be issued for.
 *
 * @example
 * ```ts
 * import { TOKEN_PURPOSES, type TokenPurpose } from 'email-tracking-consent'
 * function parsePurpose(value: string): TokenPurpose {
 *   const purpose = TOKEN_PURPOSES.find((p) => p === value)
 *   if (purpose === undefined) throw new Error(`purpose must be one of ${TOKEN_PURPOSES.join(', ')}`)
 *   return purpose
 * }
 * const claims = await tokens.verify(token, { purpose: parsePurpose(process.argv[2] ?? '') })
 * ```
 */
export const TOKEN_PURPOSES: readonly TokenPurpose[] = ['open', 'click', 'withdraw', 'preferences', 'consent', 'unsubscribe']

/** JWS `typ` header of every token; checked at verify time. */
export const TOKEN_TYPE = 'etc+jwt'
// One-letter audiences and a short issuer keep the token small: it is repeated in every click link.
const AUDIENCE: Readonly<Record<TokenPurpose, string>> = { open: 'o', click: 'c', withdraw: 'w', preferences: 'p', consent: 'k', unsubscribe: 'u' }
/** Default `iss` of tokens. */
export const DEFAULT_ISSUER = 'etc'
/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 2048
const MAX_ID_LENGTH = 256
const TAG_BYTES = 16
const FORBIDDEN_HEADERS = ['jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit', 'b64'] as const
// Future-dated `iat` beyond this skew means a clock problem or a forgery attempt.
const CLOCK_SKEW_SECONDS = 300
const encoder = new TextEncoder()
const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// Scratch space for the expected purpose tag and the JWS signature: signing and verification read them synchronously.
const TAG_DIGEST = new Uint8Array(32)
const SIGN_DIGEST = new Uint8Array(32)

const malformed = () => refusal('malformed', 'Not a token of this library')
// Returned, not thrown, and shared: with a forged signature, the refusals a flood of bad links brings.
const BAD_TAG = refusal('bad-signature', 'The purpose tag does not verify')

/** Whatever check failed first, a token that is not four canonical base64url segments is malformed. */
function explained(err: unknown, token: string): unknown {
  return err instanceof TokenError && !isWellFormed(token) ? malformed() : err
}

/**
 * The key under which tokens made by `createTokens()` offer `verify()`
 * without a promise to this package's HTTP handler. A registry symbol, so it
 * holds across the ESM and CJS builds.
 */
export const VERIFY_NOW: unique symbol = Symbol.for('email-tracking-consent.verify-now') as never

/** What tokens hold under {@link VERIFY_NOW}. */
export interface VerifyNow {
  /** The `verify` it stands for: a caller uses `now` only while `tokens.verify` is still this one (not replaced or spied on). */
  verify: Tokens['verify']
  /**
   * `verify()`'s claims, or its refusal returned (not thrown, and without a
   * stack), or `undefined` when only `verify()` can check the token; a misused
   * call (an unknown purpose) throws as `verify()` rejects. With `explain`
   * false, a refusal may carry the code of the check that failed first rather
   * than `malformed` for a token of the wrong shape: for a caller that answers
   * every refusal alike (the pixel).
   */
  now: (token: string, options: VerifyOptions, explain?: boolean) => TokenClaims | TokenError | undefined
}

/** Four base64url segments, each the canonical encoding of some bytes. */
function isWellFormed(token: string): boolean {
  if (!TOKEN_SHAPE.test(token)) return false
  const d1 = token.indexOf('.')
  const d2 = token.indexOf('.', d1 + 1)
  const d3 = token.indexOf('.', d2 + 1)
  return isCanonicalBase64url(token, 0, d1) && isCanonicalBase64url(token, d1 + 1, d2) && isCanonicalBase64url(token, d2 + 1, d3) && isCanonicalBase64url(token, d3 + 1)
}

/** `options.now`, or the current time. */
function checkedNow(options: VerifyOptions): Date {
  const now = options.now ?? new Date()
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new TokenError('invalid-input', 'now must be a valid Date')
  return now
}

const optionalString = (v: unknown) => v === undefined || typeof v === 'string'

/** The MAC binding a token id to one purpose (its first TAG_BYTES bytes are the tag), into `out` when given. */
function purposeMac(mac: HmacKey, purpose: TokenPurpose, tokenId: string, out?: Uint8Array): Uint8Array {
  return hmac(mac, `purpose\0${purpose}\0${tokenId}`, out)
}

function purposeTag(mac: HmacKey, purpose: TokenPurpose, tokenId: string): string {
  return encodeBase64url(purposeMac(mac, purpose, tokenId).subarray(0, TAG_BYTES))
}

/** The tag binding a click target to a message's link scope. */
function linkTag(mac: HmacKey, linkScope: string, url: string): string {
  return encodeBase64url(hmac(mac, `link\0${linkScope}\0${url}`).subarray(0, TAG_BYTES))
}

function formMac(mac: HmacKey, purpose: TokenPurpose, tokenId: string, issuedAt36: string): string {
  return encodeBase64url(hmac(mac, `form\0${purpose}\0${tokenId}\0${issuedAt36}`).subarray(0, TAG_BYTES))
}

const FORM_NONCE = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{22})$/

function urlHash(url: string): string {
  return encodeBase64url(sha256(url).subarray(0, TAG_BYTES))
}

function checkId(value: unknown, field: string, required: boolean): void {
  if (value === undefined && !required) return
  if (typeof value !== 'string' || value === '' || value.length > MAX_ID_LENGTH)
    throw new TokenError('invalid-input', `${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`)
  if (looksLikeEmail(value))
    throw new TokenError('personal-data', `${field} looks like an email address; use an opaque id (no personal data in URLs)`)
}

function checkPurpose(purpose: unknown): asserts purpose is TokenPurpose {
  if (!TOKEN_PURPOSES.includes(purpose as TokenPurpose))
    throw new TokenError('invalid-input', `Unknown purpose ${JSON.stringify(purpose)}: expected one of ${TOKEN_PURPOSES.join(', ')}`)
}

/** The library's error for a jose failure (exported for the tests that hold the HS256 fast path to jose). */
export function mapJoseError(err: unknown, purpose: TokenPurpose): TokenError {
  if (err instanceof TokenError) return err
  if (err instanceof joseErrors.JWTExpired) return new TokenError('expired', 'The token has expired', { cause: err })
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return new TokenError('bad-signature', 'The token signature does not verify', { cause: err })
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenError('wrong-purpose', `The token was not issued for "${purpose}"`, { cause: err })
    return new TokenError('invalid-claims', `Invalid token claim "${err.claim}"`, { cause: err })
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new TokenError('bad-algorithm', 'Algorithm not allowed', { cause: err })
  return new TokenError('malformed', 'The token is malformed', { cause: err })
}

/**
 * Creates the signer/verifier of personal link tokens: compact JWS (HS256 by
 * default, EdDSA optional) with a `kid` key ring, one audience per purpose and
 * a MAC tag per purpose, so one signature per recipient-message serves the
 * pixel, click, withdrawal and other links.
 *
 * @throws {TokenError} `invalid-key` when the ring is empty or a key is unusable.
 * @example
 * ```ts
 * import { createTokens } from 'email-tracking-consent'
 * const tokens = createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] })
 * const t = await tokens.sign({ purpose: 'withdraw', contactId: 'c_42', messageId: 'm_1' })
 * const claims = await tokens.verify(t, { purpose: 'withdraw' }) // claims.contactId === 'c_42'
 * ```
 */
export function createTokens(options: TokensOptions): Tokens {
  if (typeof options !== 'object' || options === null) throw new TokenError('invalid-key', 'createTokens needs { keys }')
  const ring = prepareKeys(options.keys)
  const byKid = new Map(ring.map((k) => [k.kid, k]))
  const signer = ring[0]!
  const issuer = options.issuer ?? DEFAULT_ISSUER
  const defaultExpiresIn = options.expiresIn
  // The exact header segment this library writes for each HS256 key: a token carrying one is checked synchronously.
  const ownHeaders = ring.flatMap((k) => {
    if (!k.jws) return []
    const header = canonicalHeader(k.kid, TOKEN_TYPE)
    return [[header, k, jwsKey(k.jws, header, issuer)] as const]
  })
  const signerHeader = canonicalHeader(signer.kid, TOKEN_TYPE)
  const signerJws = ownHeaders.find(([, k]) => k === signer)?.[2]

  async function signJws(input: Omit<SignInput, 'purpose'>, purposes: readonly TokenPurpose[]): Promise<{ jws: string; tokenId: string }> {
    if (typeof input !== 'object' || input === null) throw new TokenError('invalid-input', 'sign needs an object')
    checkId(input.contactId, 'contactId', true)
    checkId(input.messageId, 'messageId', false)
    checkId(input.linkScope, 'linkScope', false)
    checkId(input.noticeVersion, 'noticeVersion', false)
    if (input.url !== undefined && typeof input.url !== 'string') throw new TokenError('invalid-input', 'url must be a string')
    const expiresIn = input.expiresIn ?? defaultExpiresIn
    if (expiresIn !== undefined && !(Number.isFinite(expiresIn) && expiresIn > 0))
      throw new TokenError('invalid-input', 'expiresIn must be a positive number of seconds')
    if (!signer.signKey) throw new TokenError('no-signing-key', `Key "${signer.kid}" has no private part: this instance only verifies`)
    const iat = Math.floor(Date.now() / 1000)
    const tokenId = randomId(12)
    const payload: Record<string, unknown> = {
      iss: issuer,
      sub: input.contactId,
      aud: purposes.map((p) => AUDIENCE[p]),
      iat,
      jti: tokenId,
    }
    if (expiresIn !== undefined) payload.exp = iat + Math.ceil(expiresIn)
    if (input.messageId !== undefined) payload.mid = input.messageId
    if (input.linkScope !== undefined) payload.lks = input.linkScope
    if (input.noticeVersion !== undefined) payload.nv = input.noticeVersion
    if (input.url !== undefined) payload.uh = urlHash(input.url)
    if (signerJws) {
      // HS256: the same compact JWS jose writes (same header, same bytes), signed synchronously.
      const signingInput = `${signerHeader}.${encodeBase64url(encoder.encode(JSON.stringify(payload)))}`
      // base64url and a dot: always ASCII.
      const mac = jwsMac(signerJws, asciiBytes(signingInput)!, signingInput.length, SIGN_DIGEST)
      return { jws: `${signingInput}.${encodeBase64url(mac)}`, tokenId }
    }
    const jws = await new CompactSign(encoder.encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: TOKEN_TYPE })
      .sign(await signer.signKey)
    return { jws, tokenId }
  }

  async function verify(token: string, options: VerifyOptions): Promise<TokenClaims> {
    // A misused call (no or an unknown purpose) is reported as such, whatever the token.
    checkPurpose(options?.purpose)
    try {
      // Explained once, below.
      const checked = checkNow(token, options, false)
      if (checked instanceof TokenError) throw checked
      return checked ?? (await verifyForeign(token, options.purpose, options))
    } catch (err) {
      // Refusals are built without a stack: the caller gets one of its own.
      const refused = explained(err, token)
      throw refused instanceof TokenError ? new TokenError(refused.code, refused.message, refused.cause === undefined ? undefined : { cause: refused.cause }) : refused
    }
  }

  /**
   * `verify()` without a promise for a token of this library's own HS256
   * header, and for a token of no possible shape: its claims, or its
   * {@link TokenError} returned (without a stack, see `refusal`).
   * `undefined` for a well-formed token with another header, which only
   * `verify()` can check.
   */
  function checkNow(token: string, options: VerifyOptions, explain = true): TokenClaims | TokenError | undefined {
    const purpose = options?.purpose
    checkPurpose(purpose)
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return malformed()
    let checked: TokenClaims | TokenError | undefined
    try {
      checked = verifyOwn(token, purpose, options)
    } catch (err) {
      if (!(err instanceof TokenError)) throw err
      checked = err
    }
    if (checked instanceof TokenError) return explain ? (explained(checked, token) as TokenError) : checked
    if (!checked && !isWellFormed(token)) return malformed()
    return checked
  }

  /**
   * A token carrying the exact header this library writes for one of its
   * HS256 keys, checked synchronously over a byte copy of the token (no
   * string is split, decoded or built from it); `undefined` for any other
   * header. Its errors may come before the shape is checked: `verify()`
   * reports a token of the wrong shape as malformed.
   */
  function verifyOwn(token: string, purpose: TokenPurpose, options: VerifyOptions): TokenClaims | TokenError | undefined {
    const d1 = token.indexOf('.')
    let key: PreparedKey | undefined
    let jws: JwsKey | undefined
    for (const [header, own, ownJws] of ownHeaders) {
      if (d1 === header.length && token.startsWith(header)) {
        key = own
        jws = ownJws
        break
      }
    }
    if (!key || !jws) return undefined
    const d2 = token.indexOf('.', d1 + 1)
    const d3 = d2 < 0 ? -1 : token.indexOf('.', d2 + 1)
    if (d3 < 0 || token.includes('.', d3 + 1)) throw malformed()
    // The token's characters and its decoded payload live in scratch space: only the synchronous code below reads them.
    const chars = asciiBytes(token)
    if (!chars) throw malformed()
    // Strict decoding refuses non-canonical trailing bits, so no two strings carry the same token.
    const payloadBytes = decodeBase64urlBytes(chars, d1 + 1, d2)
    if (!payloadBytes) throw malformed()
    const now = checkedNow(options)
    const checks = { issuer, audience: AUDIENCE[purpose], now: Math.floor(now.getTime() / 1000) }
    const payload = verifyHs256(jws, chars, d2, d3, payloadBytes, checks, purpose)
    if (payload instanceof TokenError) return payload
    return claimsOf(payload, purpose, key, now, chars, d3 + 1, token.length)
  }

  /** Any other token of the ring's keys, through jose. */
  async function verifyForeign(token: string, purpose: TokenPurpose, options: VerifyOptions): Promise<TokenClaims> {
    if (!isWellFormed(token)) throw malformed()
    const d1 = token.indexOf('.')
    const d2 = token.indexOf('.', d1 + 1)
    const d3 = token.indexOf('.', d2 + 1)
    const now = checkedNow(options)
    const compact = token.slice(0, d3)
    let header: ReturnType<typeof decodeProtectedHeader>
    try {
      header = decodeProtectedHeader(compact)
    } catch (cause) {
      throw refusal('malformed', 'The token header is not valid JSON', { cause })
    }
    // Keys come from our ring only; a header that points elsewhere is an attack.
    for (const name of FORBIDDEN_HEADERS)
      if (name in header) throw refusal('forbidden-header', `Header "${name}" is not accepted`)
    if (header.typ !== TOKEN_TYPE) throw refusal('malformed', 'Not a token of this library (typ)')
    if (typeof header.kid !== 'string') throw refusal('malformed', 'The token names no key')
    const key = byKid.get(header.kid)
    if (!key) throw refusal('unknown-key', 'The token was signed with a key that is not in the ring')
    if (header.alg !== key.alg) throw refusal('bad-algorithm', `Algorithm ${String(header.alg)} is not the key's ${key.alg}`)
    let payload: Record<string, unknown>
    try {
      const result = await jwtVerify(compact, await key.verifyKey, {
        algorithms: [key.alg],
        typ: TOKEN_TYPE,
        issuer,
        audience: AUDIENCE[purpose],
        requiredClaims: ['sub', 'jti', 'iat', 'aud'],
        currentDate: now,
      })
      payload = result.payload as Record<string, unknown>
    } catch (err) {
      throw mapJoseError(err, purpose)
    }
    // Copied after the await: the shared byte scratch may have served another call meanwhile.
    const claims = claimsOf(payload, purpose, key, now, asciiBytes(token)!, d3 + 1, token.length)
    if (claims instanceof TokenError) throw claims
    return claims
  }

  /**
   * The claims of a signature-checked payload, once they and the purpose tag
   * in `chars[tagStart, tagEnd)` check out; a tag that does not is refused by
   * return, as a forged signature is.
   */
  function claimsOf(payload: Record<string, unknown>, purpose: TokenPurpose, key: PreparedKey, now: Date, chars: Uint8Array, tagStart: number, tagEnd: number): TokenClaims | TokenError {
    const { sub, jti, iat, exp, mid, lks, nv, uh } = payload
    if (
      typeof sub !== 'string' || sub === '' || looksLikeEmail(sub) ||
      typeof jti !== 'string' || jti === '' ||
      typeof iat !== 'number' || iat > now.getTime() / 1000 + CLOCK_SKEW_SECONDS ||
      !optionalString(mid) || !optionalString(lks) || !optionalString(nv) || !optionalString(uh)
    )
      throw refusal('invalid-claims', 'The token claims are invalid')
    if (!isBase64urlBytesOf(chars, tagStart, tagEnd, purposeMac(key.mac, purpose, jti, TAG_DIGEST), TAG_BYTES)) return BAD_TAG
    const claims: TokenClaims = { purpose, contactId: sub, tokenId: jti, issuedAt: iat, kid: key.kid }
    if (typeof exp === 'number') claims.expiresAt = exp
    if (mid !== undefined) claims.messageId = mid as string
    if (lks !== undefined) claims.linkScope = lks as string
    if (nv !== undefined) claims.noticeVersion = nv as string
    if (uh !== undefined) claims.urlHash = uh as string
    return claims
  }

  const tokens: Tokens = {
    signingKid: signer.kid,

    async sign(input) {
      checkPurpose(input?.purpose)
      const { jws, tokenId } = await signJws(input, [input.purpose])
      return `${jws}.${purposeTag(signer.mac, input.purpose, tokenId)}`
    },

    async signMessage(input) {
      const purposes = input?.purposes
      if (!Array.isArray(purposes) || purposes.length === 0) throw new TokenError('invalid-input', 'purposes must list at least one purpose')
      purposes.forEach(checkPurpose)
      const linkScope = input.linkScope ?? randomId(9)
      const { jws, tokenId } = await signJws({ ...input, linkScope }, purposes)
      const cache = new Map<TokenPurpose, string>()
      const messageTokens: MessageTokens = {
        tokenId,
        linkScope,
        token(purpose) {
          let t = cache.get(purpose)
          if (t === undefined) {
            if (!purposes.includes(purpose)) throw new TokenError('invalid-input', `This message was not signed for "${purpose}"`)
            t = `${jws}.${purposeTag(signer.mac, purpose, tokenId)}`
            cache.set(purpose, t)
          }
          return t
        },
      }
      return messageTokens
    },

    verify,

    linkMac(linkScope, url) {
      return linkTag(signer.mac, linkScope, url)
    },

    formNonce(claims, issuedAtMs) {
      const key = byKid.get(claims?.kid)
      if (!key) throw new TokenError('unknown-key', 'The token was signed with a key that is not in the ring')
      checkPurpose(claims.purpose)
      if (!Number.isSafeInteger(issuedAtMs) || issuedAtMs < 0) throw new TokenError('invalid-input', 'issuedAtMs must be a non-negative integer')
      const issuedAt36 = issuedAtMs.toString(36)
      return `${issuedAt36}.${formMac(key.mac, claims.purpose, claims.tokenId, issuedAt36)}`
    },

    checkFormNonce(claims, nonce) {
      const key = byKid.get(claims?.kid)
      const m = typeof nonce === 'string' ? FORM_NONCE.exec(nonce) : null
      if (!key || !m || !TOKEN_PURPOSES.includes(claims.purpose)) return undefined
      const [, issuedAt36, mac] = m as unknown as [string, string, string]
      if (!timingSafeEqual(mac, formMac(key.mac, claims.purpose, claims.tokenId, issuedAt36))) return undefined
      return parseInt(issuedAt36, 36)
    },

    isBoundTarget(claims, url, mac) {
      if (claims.purpose !== 'click' || typeof url !== 'string') return false
      if (claims.urlHash !== undefined) return timingSafeEqual(claims.urlHash, urlHash(url))
      const key = byKid.get(claims.kid)
      if (!key || claims.linkScope === undefined || typeof mac !== 'string') return false
      return timingSafeEqual(mac, linkTag(key.mac, claims.linkScope, url))
    },
  }
  // Not enumerable: spreading or logging the tokens object shows only the documented members.
  const fast: VerifyNow = { verify: tokens.verify, now: checkNow }
  Object.defineProperty(tokens, VERIFY_NOW, { value: fast })
  return tokens
}
