// Shared fixture of the HTTP tests: real tokens, a real memory store, the
// handler on a clock the test moves, and hooks and a logger that keep what
// they were given.
import { randomBytes } from 'node:crypto'
import { createHandler } from '../../src/http/index.js'
import type { HandlerOptions, Logger } from '../../src/http/index.js'
import { createMemoryStore } from '../../src/store/index.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import type { SignInput, TokenPurpose } from '../../src/tokens/types.js'

export const ORIGIN = 'https://mail.example.com'
export const BASE = '/t'
/** A desktop Chrome, as a person would use. */
export const HUMAN_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

export interface Fixture {
  tokens: ReturnType<typeof createTokens>
  store: ConsentStore
  handler: ReturnType<typeof createHandler>
  clock: { ms: number; advance(ms: number): void }
  calls: Record<string, unknown[]>
  logs: { level: 'error' | 'warn'; message: string; details?: Record<string, unknown> }[]
  sign(purpose: TokenPurpose, input?: Partial<SignInput>): Promise<string>
  /** A Request to `${ORIGIN}${BASE}${path}` from a human browser unless headers say otherwise. */
  request(path: string, init?: RequestInit & { ip?: string }): [Request, { remoteAddress?: string }]
  fetch(path: string, init?: RequestInit & { ip?: string }): Promise<Response>
  events(contactId?: string): Promise<ConsentEvent[]>
  grant(contactId: string, purposes?: ('opens' | 'clicks')[]): Promise<void>
}

export function makeFixture(options: Partial<HandlerOptions> = {}): Fixture {
  const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
  const clock = {
    ms: Date.now(),
    advance(ms: number) {
      clock.ms += ms
    },
  }
  const store = options.store ?? createMemoryStore({ clock: () => new Date(clock.ms) })
  const calls: Record<string, unknown[]> = {}
  const keep = (name: string) => (report: unknown) => {
    ;(calls[name] ??= []).push(report)
  }
  const logs: Fixture['logs'] = []
  const logger: Logger = {
    error: (message, details) => logs.push({ level: 'error', message, ...(details ? { details } : {}) }),
    warn: (message, details) => logs.push({ level: 'warn', message, ...(details ? { details } : {}) }),
  }
  const handler = createHandler({
    tokens,
    store,
    basePath: BASE,
    now: () => new Date(clock.ms),
    logger,
    hooks: {
      onOpen: keep('onOpen'),
      onClick: keep('onClick'),
      onWithdraw: keep('onWithdraw'),
      onConsent: keep('onConsent'),
      onUnsubscribe: keep('onUnsubscribe'),
      onPreferences: keep('onPreferences'),
    },
    ...options,
  })
  const request: Fixture['request'] = (path, init = {}) => {
    const { ip, ...rest } = init
    const headers = new Headers(rest.headers)
    if (!headers.has('user-agent')) headers.set('user-agent', HUMAN_UA)
    return [new Request(`${ORIGIN}${BASE}${path}`, { ...rest, headers }), ip === undefined ? {} : { remoteAddress: ip }]
  }
  const fixture: Fixture = {
    tokens,
    store,
    handler,
    clock,
    calls,
    logs,
    sign: (purpose, input = {}) => tokens.sign({ purpose, contactId: 'c_1', messageId: 'm_1', ...input }),
    request,
    fetch: (path, init) => handler(...request(path, init)),
    async events(contactId) {
      const out: ConsentEvent[] = []
      for await (const e of contactId ? store.history(contactId) : store.export()) out.push(e)
      return out
    },
    async grant(contactId, purposes = ['opens', 'clicks']) {
      await store.record({ contactId, type: 'grant', purposes, at: new Date(clock.ms - 60_000), source: 'form', noticeVersion: 'v1' })
    },
  }
  return fixture
}

/** Fields as an urlencoded POST body. */
export function formPost(fields: Record<string, string>, init: RequestInit & { ip?: string } = {}): RequestInit & { ip?: string } {
  const headers = new Headers(init.headers)
  headers.set('content-type', 'application/x-www-form-urlencoded')
  return { ...init, method: 'POST', headers, body: new URLSearchParams(fields).toString() }
}

/** The nonce of the first form in a page. */
export function nonceOf(html: string): string {
  const m = /name="nonce" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no nonce in page')
  return m[1]!
}
