import type { JWK } from 'jose'

/** What a token lets its bearer do. A token of one purpose never verifies as another. */
export type TokenPurpose = 'open' | 'click' | 'withdraw' | 'preferences' | 'consent' | 'unsubscribe'

/** A symmetric HS256 key. `secret` is at least 32 bytes (raw bytes or base64url). */
export interface HmacKeyInput {
  kid: string
  alg?: 'HS256'
  secret: Uint8Array | string
}

/**
 * An Ed25519 key pair as JWK. A verify-only deployment passes only `publicJwk`.
 * `macSecret` keys the purpose tags and click-target MACs (a symmetric secret,
 * at least 32 bytes, shared with verifiers).
 */
export interface EdDsaKeyInput {
  kid: string
  alg: 'EdDSA'
  publicJwk: JWK
  privateJwk?: JWK
  macSecret: Uint8Array | string
}

/** A key of the ring. The first key signs; every key verifies. */
export type KeyInput = HmacKeyInput | EdDsaKeyInput

/** Options of {@link createTokens}. */
export interface TokensOptions {
  /** The key ring. The first key signs; all verify, chosen by `kid`. */
  keys: KeyInput[]
  /** `iss` claim written and required. Default `etc`. */
  issuer?: string
  /** Default lifetime of tokens, in seconds. Default: none (no `exp`). */
  expiresIn?: number
}

/** What to sign. */
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

/** Claims of a verified token. */
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

/** Options of {@link Tokens.verify}. */
export interface VerifyOptions {
  purpose: TokenPurpose
  /** Clock for expiry checks. Default: now. */
  now?: Date
}

/**
 * One signature for one recipient-message: every purpose's URL token is
 * derived from it with a cheap MAC tag.
 */
export interface MessageTokens {
  /** The URL token for one purpose. */
  token(purpose: TokenPurpose): string
  readonly tokenId: string
  readonly linkScope: string
}

/** Signs and verifies the personal tokens in links. Made by {@link createTokens}. */
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
