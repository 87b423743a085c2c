import { Deadlines } from './deadlines.js'
import { personalUrl } from '../../lib/routes.js'
import { decide } from '../../policy/decide.js'
import { validateRecord } from '../../policy/validate.js'
import type { ConsentRecord, Decision, Policy } from '../../policy/types.js'
import { READ_NOW, type ReadNow } from '../../store/read-now.js'
import type { ConsentEvent, ConsentEventInput, ConsentStore, Evidence } from '../../store/types.js'
import { TokenError } from '../../tokens/errors.js'
import { VERIFY_NOW, type VerifyNow } from '../../tokens/create.js'
import type { TokenClaims, TokenPurpose, Tokens } from '../../tokens/types.js'
import { HttpError } from '../errors.js'
import type { PageRenderer } from '../pages/render.js'
import type { ConsentChangeReport, HandlerHooks, Locale, Logger } from '../types.js'
import type { Classified } from './classify.js'
import { pageResponse, type PlainResponse } from './responses.js'

/** Everything a route needs that is fixed at `createHandler()` time. */
export interface HandlerEnv {
  tokens: Tokens
  store: ConsentStore
  policy: Policy
  hooks: HandlerHooks
  pages: PageRenderer
  logger: Logger
  classify: (userAgent: string, ip: string | undefined) => Classified
  basePath: string
  noticeVersion?: string
  minDelayMs: number
  maxAgeMs: number
  maxBodyBytes: number
  storeTimeoutMs: number
  /** The timer behind `storeTimeoutMs`, shared by every store call of the handler. */
  deadlines: Deadlines
  /** The message of a store call that timed out. */
  storeTimeoutMessage: string
}

/** One request as the routes see it. */
export interface Visit {
  request: Request
  /** The URL's path, as `new URL(request.url).pathname` gives it. */
  pathname: string
  /** The URL's query with its `?`, or `''`: read with `URLSearchParams`, the parameters of `new URL(request.url).searchParams`. */
  search: string
  locale: Locale
  /** The locale came from `Accept-Language` (so responses vary on it). */
  negotiated: boolean
  head: boolean
  /** The handler's clock when the request arrived. */
  at: Date
  /** The raw token from the path. */
  token: string
  userAgent: string
  ip: string | undefined
  /** Set once the token verified; the error path uses it to serve a form again. */
  claims?: TokenClaims
}

// Evidence values are capped by the store (1,024 UTF-8 bytes); a user agent is latin-1, at most 2 bytes a character.
const MAX_USER_AGENT = 500

/**
 * Verifies the path token for one purpose; a bad token becomes a 4xx, never a
 * 500. Checked without a promise first when {@link checkTokenNow} can.
 */
export async function verifyToken(env: HandlerEnv, visit: Visit, purpose: TokenPurpose): Promise<TokenClaims> {
  const checked = checkTokenNow(env, visit, purpose)
  if (checked instanceof TokenError) throw tokenFailure(checked)
  if (checked) return checked
  try {
    visit.claims = await env.tokens.verify(visit.token, { purpose, now: visit.at })
    return visit.claims
  } catch (err) {
    throw tokenFailure(err)
  }
}

/**
 * The token check without a promise, when the tokens come from
 * `createTokens()` and `tokens.verify` is still theirs: the claims, or the
 * {@link TokenError} of a refused token (built without a stack, so a route
 * that answers the same whatever the token, the pixel, builds no error at
 * all); `undefined` when only `tokens.verify()` can tell. With `explain`
 * false the refusal's code may be that of the first failed check rather than
 * `malformed` (see `VerifyNow`): for a route that answers every refusal alike.
 */
export function checkTokenNow(env: HandlerEnv, visit: Visit, purpose: TokenPurpose, explain = true): TokenClaims | TokenError | undefined {
  const fast = (env.tokens as { [VERIFY_NOW]?: VerifyNow })[VERIFY_NOW]
  if (fast?.verify !== env.tokens.verify) return undefined
  try {
    const checked = fast.now(visit.token, { purpose, now: visit.at }, explain)
    if (checked && !(checked instanceof TokenError)) visit.claims = checked
    return checked
  } catch (err) {
    if (err instanceof TokenError) return err
    throw err
  }
}

function tokenFailure(err: unknown): unknown {
  if (!(err instanceof TokenError)) return err
  if (err.code === 'expired') return new HttpError('expired-token', 'The link has expired', { cause: err })
  return new HttpError('invalid-token', `The link's token does not verify (${err.code})`, { cause: err })
}

/** Runs one store call, rejecting when it takes longer than `storeTimeoutMs` (the call itself may still finish later). */
function withinTimeout<T>(env: HandlerEnv, call: () => Promise<T>): Promise<T> {
  return env.deadlines.run(call, env.storeTimeoutMessage)
}

/**
 * The contact's current record: without a promise when the store offers a
 * synchronous read ({@link READ_NOW}: the memory and SQLite stores, while
 * `store.get` is still theirs), so a pixel hit can be answered at once. A
 * store that fails, hangs past `storeTimeoutMs`, or answers with something
 * other than this contact's well-formed record (a corrupt row) becomes
 * `store-unavailable` (thrown when read at once).
 */
export function readRecord(env: HandlerEnv, contactId: string): ConsentRecord | null | Promise<ConsentRecord | null> {
  const fast = (env.store as { [READ_NOW]?: ReadNow })[READ_NOW]
  if (fast?.get !== env.store.get) return readRecordLater(env, contactId)
  let record: ConsentRecord | null | undefined
  try {
    record = fast.now(contactId)
  } catch (cause) {
    throw new HttpError('store-unavailable', 'The consent store could not be read', { cause })
  }
  // `undefined`: only `get()` can answer now (a store still opening).
  return record === undefined ? readRecordLater(env, contactId) : usableRecord(record, contactId)
}

/** {@link readRecord} through `store.get()`, under the store timeout. */
async function readRecordLater(env: HandlerEnv, contactId: string): Promise<ConsentRecord | null> {
  let record: ConsentRecord | null | undefined
  try {
    record = await withinTimeout(env, () => env.store.get(contactId))
  } catch (cause) {
    throw new HttpError('store-unavailable', 'The consent store could not be read', { cause })
  }
  return usableRecord(record, contactId)
}

/** A record as the store answered it, once it is this contact's well-formed record (`null` for none). */
function usableRecord(record: ConsentRecord | null | undefined, contactId: string): ConsentRecord | null {
  if (record === null || record === undefined) return null
  try {
    validateRecord(record)
    if (record.contactId !== contactId) throw new Error('the store answered with the record of another contact')
  } catch (cause) {
    throw new HttpError('store-unavailable', 'The consent store returned an unusable record', { cause })
  }
  return record
}

/**
 * Appends events in order (one transaction when the store offers `recordMany`).
 * An id already recorded (a double submit) counts as done: the first write stands.
 */
export async function recordEvents(env: HandlerEnv, events: ConsentEventInput[]): Promise<ConsentEvent[]> {
  if (events.length === 0) return []
  try {
    // recordMany is optional in the store contract: one transaction when offered.
    if (env.store.recordMany) {
      const batch = env.store.recordMany
      return await withinTimeout(env, () => batch.call(env.store, events))
    }
    const stored: ConsentEvent[] = []
    for (const event of events) stored.push(await withinTimeout(env, () => env.store.record(event)))
    return stored
  } catch (cause) {
    if ((cause as { code?: unknown })?.code === 'idempotency-conflict') return []
    throw new HttpError('store-unavailable', 'The consent store could not record the change', { cause })
  }
}

/** The decision for a marketing message to this contact right now: what tracking the consent allows at this instant. */
export function decideNow(env: HandlerEnv, record: ConsentRecord | null, at: Date): Decision {
  return decide(record, 'marketing', { policy: env.policy, now: at })
}

/** Proof kept with an event: the token, the message, the client. */
export function evidenceOf(visit: Visit, claims: TokenClaims, extra: Record<string, string> = {}): Evidence {
  const evidence: Evidence = { tokenId: claims.tokenId }
  if (claims.messageId !== undefined) evidence.messageId = claims.messageId
  if (visit.ip) evidence.ip = visit.ip.slice(0, 64)
  if (visit.userAgent) evidence.userAgent = visit.userAgent.slice(0, MAX_USER_AGENT)
  return { ...evidence, ...extra }
}

/**
 * Runs a hook; a hook that throws or rejects is logged and contained. A
 * promise only when the hook returned one (await it to wait for the hook).
 */
export function runHook<K extends keyof HandlerHooks>(
  env: HandlerEnv,
  name: K,
  report: Parameters<NonNullable<HandlerHooks[K]>>[0],
  request: Request,
): Promise<void> | undefined {
  const hook = env.hooks[name] as ((report: unknown, request: Request) => unknown) | undefined
  if (!hook) return undefined
  const failed = (error: unknown) => {
    env.logger.error(`email-tracking-consent: hook ${name} failed; the response and any recorded event stand`, { error })
  }
  let result: unknown
  try {
    result = hook.call(env.hooks, report, request)
  } catch (error) {
    failed(error)
    return undefined
  }
  if (typeof (result as PromiseLike<unknown> | undefined)?.then !== 'function') return undefined
  return Promise.resolve(result).then(() => undefined, failed)
}

/** Signs a preference-center link for a done page; omitted when this instance cannot sign. */
export async function preferencesUrl(env: HandlerEnv, claims: TokenClaims): Promise<string | undefined> {
  try {
    const token = await env.tokens.sign({
      purpose: 'preferences',
      contactId: claims.contactId,
      ...(claims.messageId !== undefined ? { messageId: claims.messageId } : {}),
    })
    return personalUrl(env.basePath, 'preferences', token)
  } catch (error) {
    env.logger.warn('email-tracking-consent: could not sign a preference-center link', { error })
    return undefined
  }
}

/** An HTML page for this visit, with the page headers. */
export function sendPage(env: HandlerEnv, visit: Visit, html: string, status = 200, extraHeaders?: Record<string, string>): PlainResponse {
  return pageResponse(html, { status, locale: visit.locale, csp: env.pages.csp, head: visit.head, negotiated: visit.negotiated, ...(extraHeaders ? { extraHeaders } : {}) })
}

/** The report given to the change hooks. */
export function changeReport(visit: Visit, claims: TokenClaims, events: ConsentEvent[]): ConsentChangeReport {
  const report: ConsentChangeReport = { contactId: claims.contactId, tokenId: claims.tokenId, at: visit.at, events }
  if (claims.messageId !== undefined) report.messageId = claims.messageId
  return report
}
