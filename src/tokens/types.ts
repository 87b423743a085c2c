import type { JWK } from 'jose'

/**
 * What a token lets its bearer do. A token of one purpose never verifies as another.
 *
 * @example
 * ```ts
 * import type { TokenPurpose } from 'email-tracking-consent'
 * const purpose: TokenPurpose = 'withdraw'
 * const token = await tokens.sign({ purpose, contactId: 'c_42' })
 * await tokens.verify(token, { purpose: 'preferences' }) // throws TokenError 'wrong-purpose'
 * ```
 */
export type TokenPurpose = 'open' | 'click' | 'withdraw' | 'preferences' | 'consent' | 'unsubscribe'

/**
 * A symmetric HS256 key. `secret` is at least 32 bytes (raw bytes or base64url).
 *
 * @example
 * ```ts
 * import { createTokens, type HmacKeyInput } from 'email-tracking-consent'
 * // At least 32 random bytes, as bytes or base64url (`email-tracking-consent keygen` makes them).
 * const key: HmacKeyInput = { kid: '2026-11', secret: process.env.TRACKING_SECRET! }
 * const tokens = createTokens({ keys: [key] })
 * ```
 */
export interface HmacKeyInput {
  kid: string
  alg?: 'HS256'
  secret: Uint8Array | string
}

/**
 * An Ed25519 key pair as JWK. A verify-only deployment passes only `publicJwk`.
 * `macSecret` keys the purpose tags and click-target MACs (a symmetric secret,
 * at least 32 bytes, shared with verifiers).
 *
 * @example
 * ```ts
 * import { exportJWK, generateKeyPair } from 'jose'
 * import { createTokens, type EdDsaKeyInput } from 'email-tracking-consent'
 * const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
 * const key: EdDsaKeyInput = {
 *   kid: 'ed-2026-11', alg: 'EdDSA',
 *   publicJwk: await exportJWK(pair.publicKey),
 *   privateJwk: await exportJWK(pair.privateKey), // leave out on verify-only endpoints
 *   macSecret: process.env.TRACKING_MAC_SECRET!, // at least 32 bytes, shared with the verifiers
 * }
 * const signer = createTokens({ keys: [key] })
 * ```
 */
export interface EdDsaKeyInput {
  kid: string
  alg: 'EdDSA'
  publicJwk: JWK
  privateJwk?: JWK
  macSecret: Uint8Array | string
}

/**
 * A key of the ring. The first key signs; every key verifies.
 *
 * @example
 * ```ts
 * import { createTokens, type KeyInput } from 'email-tracking-consent'
 * const keys: KeyInput[] = [
 *   { kid: '2027-01', secret: process.env.TRACKING_SECRET_2027! }, // signs new links
 *   { kid: '2026-11', secret: process.env.TRACKING_SECRET_2026! }, // still verifies links already sent
 * ]
 * const tokens = createTokens({ keys }) // tokens.signingKid === '2027-01'
 * ```
 */
export type KeyInput = HmacKeyInput | EdDsaKeyInput

/**
 * Options of {@link createTokens}.
 *
 * @example
 * ```ts
 * import { createTokens, type TokensOptions } from 'email-tracking-consent'
 * const options: TokensOptions = {
 *   keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }],
 *   issuer: 'acme-mail',
 *   expiresIn: 400 * 24 * 3600, // tokens stop verifying after about 13 months
 * }
 * const tokens = createTokens(options)
 * ```
 */
export interface TokensOptions {
  /** The key ring. The first key signs; all verify, chosen by `kid`. */
  keys: KeyInput[]
  /** `iss` claim written and required. Default `etc`. */
  issuer?: string
  /** Default lifetime of tokens, in seconds. Default: none (no `exp`). */
  expiresIn?: number
}

/**
 * What to sign.
 *
 * @example
 * ```ts
 * import type { SignInput } from 'email-tracking-consent'
 * const input: SignInput = { purpose: 'preferences', contactId: 'c_42', messageId: 'm_2026_11', expiresIn: 30 * 24 * 3600 }
 * const url = `https://t.example.com/mail/p/${await tokens.sign(input)}`
 * ```
 */
export interface SignInput {
  purpose: TokenPurpose
  /** The sender's opaque contact id. An email address is refused. */
  contactId: string
  /** The message this link belongs to. */
  messageId?: string
  /** Lifetime in seconds, overriding the ring default. */
  expiresIn?: number
  /** Link scope: click targets MACed with this scope are bound to the token. */
  linkScope?: string
  /** Notice version shown on a consent page. */
  noticeVersion?: string
  /** For a `click` token: the one target it may redirect to (bound by hash, not stored in clear). */
  url?: string
}

/**
 * Claims of a verified token.
 *
 * @example
 * ```ts
 * import type { TokenClaims } from 'email-tracking-consent'
 * const claims: TokenClaims = await tokens.verify(token, { purpose: 'withdraw' })
 * claims.contactId // 'c_42'
 * claims.messageId // 'm_1', when signed with one
 * new Date(claims.issuedAt * 1000) // when the link was made
 * ```
 */
export interface TokenClaims {
  purpose: TokenPurpose
  contactId: string
  messageId?: string
  /** Unique token id (`jti`). */
  tokenId: string
  /** Issued at, seconds since the epoch. */
  issuedAt: number
  /** Expiry, seconds since the epoch, if any. */
  expiresAt?: number
  /** The key that signed it. */
  kid: string
  linkScope?: string
  noticeVersion?: string
  /** base64url SHA-256 prefix of the single bound click target, when signed with `url`. */
  urlHash?: string
}

/**
 * Options of {@link Tokens.verify}.
 *
 * @example
 * ```ts
 * import type { VerifyOptions } from 'email-tracking-consent'
 * const options: VerifyOptions = { purpose: 'click', now: new Date('2026-11-02T10:00:00Z') } // a fixed clock, e.g. in tests
 * const claims = await tokens.verify(token, options) // a withdraw token throws TokenError 'wrong-purpose'
 * ```
 */
export interface VerifyOptions {
  purpose: TokenPurpose
  /** Clock for expiry checks. Default: now. */
  now?: Date
}

/**
 * One signature for one recipient-message: every purpose's URL token is
 * derived from it with a cheap MAC tag.
 *
 * @example
 * ```ts
 * import type { MessageTokens } from 'email-tracking-consent'
 * const mt: MessageTokens = await tokens.signMessage({ contactId: 'c_42', messageId: 'm_1', purposes: ['open', 'withdraw'] })
 * const pixel = `https://t.example.com/mail/o/${mt.token('open')}`
 * const withdraw = `https://t.example.com/mail/w/${mt.token('withdraw')}`
 * // mt.token('click') throws: this message was not signed for it
 * ```
 */
export interface MessageTokens {
  /** The URL token for one purpose. */
  token(purpose: TokenPurpose): string
  readonly tokenId: string
  readonly linkScope: string
}

/**
 * Signs and verifies the personal tokens in links. Made by {@link createTokens}.
 *
 * @example
 * ```ts
 * import { createTokens, type Tokens } from 'email-tracking-consent'
 * const tokens: Tokens = createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] })
 * const token = await tokens.sign({ purpose: 'preferences', contactId: 'c_42' })
 * const claims = await tokens.verify(token, { purpose: 'preferences' })
 * const nonce = tokens.formNonce(claims, Date.now()) // embed in the preference form, then on POST:
 * const servedAt = tokens.checkFormNonce(claims, nonce) // ms since the epoch, or undefined if altered
 * ```
 */
export interface Tokens {
  /** Signs one token for one purpose. */
  sign(input: SignInput): Promise<string>
  /**
   * Signs once for a recipient-message and derives the token of each purpose
   * in `purposes`. This is the per-recipient fast path.
   */
  signMessage(input: Omit<SignInput, 'purpose'> & { purposes: readonly TokenPurpose[] }): Promise<MessageTokens>
  /** Verifies a token for exactly one purpose. Throws {@link TokenError}. */
  verify(token: string, options: VerifyOptions): Promise<TokenClaims>
  /** The MAC that binds a click target to a link scope. Synchronous and cheap. */
  linkMac(linkScope: string, url: string): string
  /**
   * Whether `url` is a click target bound to a verified click token: either the
   * `url` it was signed for, or a target whose `mac` (from {@link Tokens.linkMac})
   * matches the token's link scope and key. Constant time.
   */
  isBoundTarget(claims: TokenClaims, url: string, mac?: string): boolean
  /**
   * A form nonce for a page served for a verified token: a MAC (with the key
   * that signed the token) over the token's purpose, its id and `issuedAtMs`,
   * the time the page was served. The page embeds it in its form; the POST
   * hands it back to {@link Tokens.checkFormNonce}. Stateless: nothing is
   * stored between the GET and the POST. Synchronous and cheap.
   */
  formNonce(claims: Pick<TokenClaims, 'purpose' | 'tokenId' | 'kid'>, issuedAtMs: number): string
  /**
   * The time (ms since the epoch) at which {@link Tokens.formNonce} made `nonce`
   * for this token and purpose, or `undefined` when it was made for another
   * token, purpose or key, or was altered. Constant time in the MAC.
   */
  checkFormNonce(claims: Pick<TokenClaims, 'purpose' | 'tokenId' | 'kid'>, nonce: string): number | undefined
  /** The `kid` of the signing key. */
  readonly signingKid: string
}
