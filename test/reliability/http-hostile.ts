// Hostile requests for the reliability suites: a handler on a real SQLite
// store, random requests to every route, the payload lists (reflected XSS,
// open redirect, header injection), and the checks on what came back.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Element } from 'hast'
import { fromHtml } from 'hast-util-from-html'
import { visit } from 'unist-util-visit'
import { expect } from 'vitest'
import { createHandler, type HandlerOptions, type Logger } from '../../src/http/index.js'
import { createSqliteStore } from '../../src/store/sqlite.js'
import type { ConsentEvent, ConsentStore } from '../../src/store/types.js'
import { createTokens } from '../../src/tokens/index.js'
import type { TokenPurpose } from '../../src/tokens/types.js'

export const ORIGIN = 'https://mail.example.com'
export const BASE = '/t'
export const HUMAN_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
export const PURPOSES: readonly TokenPurpose[] = ['open', 'click', 'withdraw', 'preferences', 'consent', 'unsubscribe']
export const SEGMENT: Record<TokenPurpose, string> = { open: 'o', click: 'c', withdraw: 'w', preferences: 'p', consent: 'consent', unsubscribe: 'u' }
/** Click targets the fixture's click tokens are bound to (by MAC under LINK_SCOPE). */
export const BOUND = ['https://shop.example.com/sale?utm_source=news&x=1', 'http://example.org/a/b', 'https://shop.example.com/caf%C3%A9']
export const LINK_SCOPE = 'scope-rel'

/** Strings that would run script, load content or navigate if a page echoed them unescaped. */
export const XSS_PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</title><script>alert(1)</script>',
  '</style><script>alert(1)</script>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '" autofocus onfocus="alert(1)',
  "' onmouseover='alert(1)",
  '<a href="javascript:alert(1)">x</a>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
  '<base href="https://evil.example/">',
  '<form action="https://evil.example/"><button>x</button></form>',
  '<!--<script>alert(1)</script>-->',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
  'javascript:alert(1)',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<img src=x onerror=alert(1)//',
]

/** Attempts to make `/c/` send a visitor somewhere the sender never linked to. */
export const REDIRECT_ATTACKS = [
  'https://evil.example/',
  '//evil.example/',
  '/\\evil.example/',
  '\\\\evil.example',
  'https:evil.example',
  'https:/evil.example',
  'javascript:alert(document.domain)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'https://shop.example.com@evil.example/',
  'https://shop.example.com.evil.example/sale',
  'https://evil.example/#https://shop.example.com/sale?utm_source=news&x=1',
  'https://evil.example/?https://shop.example.com/sale?utm_source=news&x=1',
  `${BOUND[0]}@evil.example`,
  `${BOUND[0]}/../../evil`,
  `${BOUND[0]}#@evil.example`,
  ` ${BOUND[0]}`,
  `${BOUND[0]} `,
  BOUND[0]!.toUpperCase(),
  BOUND[0]!.replace('shop.example.com', 'SHOP.EXAMPLE.COM'),
  BOUND[0]!.replace('shop.example.com', 'shop.example.com.'),
  BOUND[0]!.replace('https://', 'https:\\\\'),
  BOUND[0]!.replace('https://', 'https:\t//'),
  BOUND[0]!.replace('?', '%3F'),
  BOUND[1]!.replace('http:', 'https:'),
  'https://ѕhop.example.com/sale?utm_source=news&x=1',
  'https://evil.example/\r\nSet-Cookie: owned=1',
  '',
]

/** Request headers whose values a page might be tempted to reflect. */
export const REFLECTABLE_HEADERS = ['user-agent', 'accept-language', 'referer', 'cookie', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'origin', 'x-forwarded-host', 'content-type']

/** A handler on a real SQLite file, with hooks and a logger that keep what they were given. */
export interface HttpFixture {
  tokens: ReturnType<typeof createTokens>
  store: ConsentStore
  handler: ReturnType<typeof createHandler>
  clock: { ms: number }
  hookEvents: ConsentEvent[]
  hookCalls: number
  logs: { level: string; message: string }[]
  /** One valid token per purpose for contact `c_fuzz_<n>`, clicks scoped to LINK_SCOPE. */
  tokenFor(purpose: TokenPurpose, n?: number): Promise<string>
  request(path: string, init?: RequestInit & { ip?: string }): Promise<Response>
  events(): Promise<ConsentEvent[]>
  close(): Promise<void>
}

export async function httpFixture(options: Partial<HandlerOptions> = {}): Promise<HttpFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'etc-rel-http-'))
  const tokens = createTokens({ keys: [{ kid: 'k1', secret: randomBytes(32) }] })
  const store = createSqliteStore({ database: join(dir, 'consent.db') })
  const clock = { ms: Date.now() }
  const logs: HttpFixture['logs'] = []
  const logger: Logger = {
    error: (message) => logs.push({ level: 'error', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
  }
  const fixture: HttpFixture = {
    tokens,
    store,
    clock,
    hookEvents: [],
    hookCalls: 0,
    logs,
    handler: undefined as never,
    async tokenFor(purpose, n = 0) {
      return tokens.sign({ purpose, contactId: `c_fuzz_${n}`, messageId: `m_${n}`, linkScope: LINK_SCOPE, ...(purpose === 'consent' ? { noticeVersion: 'v1' } : {}) })
    },
    request(path, init = {}) {
      const { ip, ...rest } = init
      const headers = new Headers(rest.headers)
      if (!headers.has('user-agent')) headers.set('user-agent', HUMAN_UA)
      return fixture.handler(new Request(`${ORIGIN}${BASE}${path}`, { ...rest, headers }), ip === undefined ? {} : { remoteAddress: ip })
    },
    async events() {
      const out: ConsentEvent[] = []
      for await (const e of store.export()) out.push(e)
      return out
    },
    async close() {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  const change = (report: { events: ConsentEvent[] }) => {
    fixture.hookCalls++
    fixture.hookEvents.push(...report.events)
  }
  fixture.handler = createHandler({
    tokens,
    store,
    basePath: BASE,
    now: () => new Date(clock.ms),
    logger,
    hooks: { onWithdraw: change, onConsent: change, onUnsubscribe: change, onPreferences: change },
    ...options,
  })
  return fixture
}

/** Seeds one granted contact per index, so withdrawals and changes would really change something. */
export async function seedContacts(f: HttpFixture, count: number): Promise<void> {
  const at = new Date(f.clock.ms - 86_400_000)
  await f.store.recordMany!(
    Array.from({ length: count }, (_, n) => ({ contactId: `c_fuzz_${n}`, type: 'grant' as const, purposes: ['opens' as const, 'clicks' as const], at, source: 'form' as const, noticeVersion: 'v1' })),
  )
}

const ALLOWED_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'div', 'header', 'img', 'p', 'main', 'h1', 'form', 'input', 'button', 'footer', 'fieldset', 'legend', 'label', 'a', 'strong'])

/**
 * A page the handler served: parsed, it has only the elements our pages use,
 * no script, no event handler attribute, no script or data URL, and none of
 * the payloads appears verbatim.
 */
export function expectInertPage(html: string, payloads: readonly string[], where: string): void {
  for (const p of payloads) if (/[<>"']/.test(p)) expect(html.includes(p), `${where}: payload echoed verbatim: ${p}`).toBe(false)
  const tree = fromHtml(html)
  visit(tree, 'element', (el: Element) => {
    expect(ALLOWED_TAGS.has(el.tagName), `${where}: unexpected <${el.tagName}>`).toBe(true)
    for (const [name, value] of Object.entries(el.properties)) {
      expect(/^on/i.test(name), `${where}: event handler ${name} on <${el.tagName}>`).toBe(false)
      if (['href', 'src', 'action', 'formAction'].includes(name)) expect(String(value), `${where}: ${name}`).not.toMatch(/^\s*(?:javascript|data|vbscript):/i)
    }
  })
}

/** The headers every response of the handler carries, and none it must never send. */
export function expectSafeHeaders(res: Response, where: string): void {
  expect(res.status, `${where}: status`).toBeLessThan(500)
  expect(res.headers.get('cache-control'), where).toBe('no-store')
  expect(res.headers.get('referrer-policy'), where).toBe('no-referrer')
  expect(res.headers.get('set-cookie'), where).toBeNull()
  const type = res.headers.get('content-type') ?? ''
  if (type.startsWith('text/html')) {
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp, where).toMatch(/default-src 'none'/)
    expect(csp, where).not.toMatch(/script-src|unsafe-inline|unsafe-eval/)
    expect(['en', 'fr'], where).toContain(res.headers.get('content-language'))
  }
  const location = res.headers.get('location')
  if (location !== null) expect(location, `${where}: control characters in Location`).not.toMatch(/[\0-\x1f\x7f]/)
}

/** Random requests to every route: tokens valid or not, any method, headers, body and content type. */
export function hostileRequest(pool: Record<TokenPurpose, string[]>, nonces: Record<string, string>): fc.Arbitrary<{ path: string; init: RequestInit; label: string }> {
  const purpose = fc.constantFrom(...PURPOSES)
  const token = fc.oneof(
    { weight: 10, arbitrary: fc.tuple(purpose, fc.nat()).map(([p, i]) => pool[p][i % pool[p].length]!) },
    { weight: 1, arbitrary: fc.tuple(purpose, fc.nat(), fc.nat(), fc.constantFrom('A', '_', '-', '.', '')).map(([p, i, at, c]) => {
      const t = pool[p][i % pool[p].length]!
      const k = at % t.length
      return t.slice(0, k) + c + t.slice(k + 1)
    }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    { weight: 1, arbitrary: fc.constantFrom(...XSS_PAYLOADS, '..', '%2e%2e', 'eyJhbGciOiJub25lIn0.e30.', '\u0000', '%00', '%ZZ') },
  )
  const segment = fc.oneof({ weight: 15, arbitrary: purpose.map((p) => SEGMENT[p]) }, { weight: 1, arbitrary: fc.constantFrom('x', '', 'O', 'w.', 'consent/x') })
  const method = fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')
  const nonce = fc.constantFrom(...Object.keys(nonces), 'none', 'garbage')
  const field = fc.tuple(fc.constantFrom('nonce', 'opens', 'clicks', 'subscribed', 'List-Unsubscribe', 'x', 'nonce'), fc.constantFrom('on', 'One-Click', 'one-click', 'off', '', ...XSS_PAYLOADS.slice(0, 4)))
  const body = fc
    .tuple(nonce, fc.array(field, { maxLength: 4 }), fc.constantFrom('urlencoded', 'multipart', 'raw'), fc.string({ maxLength: 200 }))
    .map(([n, fields, shape, raw]) => {
      const all: [string, string][] = []
      if (n !== 'none') all.push(['nonce', n === 'garbage' ? 'a.b.c' : nonces[n]!])
      all.push(...fields)
      if (shape === 'raw') return { body: raw, shape }
      if (shape === 'urlencoded') return { body: new URLSearchParams(all).toString(), shape }
      const form = all.map(([k, v]) => `--zz\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + '--zz--\r\n'
      return { body: form, shape }
    })
  const contentType = fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'multipart/form-data; boundary=zz',
    'multipart/form-data',
    'text/plain',
    'application/json',
    '',
    'APPLICATION/X-WWW-FORM-URLENCODED',
    'multipart/form-data; boundary="zz"',
  )
  const userAgent = fc.constantFrom(HUMAN_UA, HUMAN_UA, 'curl/8.0', 'Mozilla/5.0', '', 'Googlebot/2.1', 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)', 'Barracuda Sentinel', XSS_PAYLOADS[0]!)
  const header = fc.tuple(fc.constantFrom(...REFLECTABLE_HEADERS.filter((h) => h !== 'user-agent' && h !== 'content-type')), fc.constantFrom(...XSS_PAYLOADS, 'fr', 'fr-CA;q=0.9, en;q=0.1', '*', 'de', '10.0.0.1'))
  const query = fc.array(fc.tuple(fc.constantFrom('u', 'h', 'nonce', 'lang', 'locale', 'redirect', 'next', 'x'), fc.constantFrom(...BOUND, ...REDIRECT_ATTACKS.slice(0, 8), ...XSS_PAYLOADS.slice(0, 4), 'abc')), { maxLength: 3 })
  return fc
    .record({ segment, token, method, body, contentType, userAgent, headers: fc.array(header, { maxLength: 3 }), query, extra: fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '/x', '//') }) })
    .map(({ segment: seg, token: tok, method: m, body: b, contentType: ct, userAgent: ua, headers: hs, query: q, extra }) => {
      const headers = new Headers({ 'user-agent': ua })
      for (const [k, v] of hs) headers.set(k, v)
      if (ct !== '') headers.set('content-type', ct)
      const init: RequestInit = { method: m, headers }
      if (m !== 'GET' && m !== 'HEAD') init.body = b.body
      const search = q.length ? `?${new URLSearchParams(q).toString()}` : ''
      return { path: `/${seg}/${encodeURIComponent(tok)}${extra}${search}`, init, label: `${m} /${seg}/${tok.slice(0, 24)}… ${ct || 'no type'} ${b.shape}` }
    })
}

/** A fixture with 20 granted contacts and 20 valid tokens per purpose. */
export async function fuzzSetup(): Promise<{ f: HttpFixture; pool: Record<TokenPurpose, string[]> }> {
  const f = await httpFixture()
  await seedContacts(f, 20)
  const pool = {} as Record<TokenPurpose, string[]>
  for (const p of PURPOSES) pool[p] = await Promise.all(Array.from({ length: 20 }, (_, n) => f.tokenFor(p, n)))
  return { f, pool }
}

/**
 * Nonces a scanner or an attacker could hold for the pool's tokens: issued
 * just now (too fast), too old, in the future, for a token outside the pool
 * (right timing, wrong token), or for another purpose.
 */
export async function fuzzNonces(f: HttpFixture, pool: Record<TokenPurpose, string[]>): Promise<Record<string, string>> {
  const nonces: Record<string, string> = {}
  for (const p of ['withdraw', 'preferences', 'consent', 'unsubscribe'] as const) {
    const claims = await f.tokens.verify(pool[p][0]!, { purpose: p })
    nonces[`${p}:fresh`] = f.tokens.formNonce(claims, f.clock.ms)
    nonces[`${p}:stale`] = f.tokens.formNonce(claims, f.clock.ms - 2 * 86_400_000)
    nonces[`${p}:future`] = f.tokens.formNonce(claims, f.clock.ms + 3_600_000)
    const outsider = await f.tokens.verify(await f.tokenFor(p, 99), { purpose: p })
    nonces[`${p}:other-token`] = f.tokens.formNonce(outsider, f.clock.ms - 10_000)
    nonces[`${p}:other-purpose`] = f.tokens.formNonce({ ...claims, purpose: p === 'withdraw' ? 'preferences' : 'withdraw' }, f.clock.ms - 10_000)
  }
  return nonces
}

/** Figures of one route fuzz. */
export interface RouteFuzzFigures {
  requests: number
  statuses: Record<number, number>
  oneClick: number
  otherChanges: number
}

/**
 * Sends `runs` random requests and checks each response; afterwards reads the
 * store: the only events allowed are RFC 8058 one-click unsubscribes, every
 * event a hook reported is in the store, and the chain verifies.
 */
export async function runRouteFuzz(ctx: { f: HttpFixture; pool: Record<TokenPurpose, string[]>; nonces: Record<string, string> }, runs: number): Promise<RouteFuzzFigures> {
  const { f } = ctx
  const before = await f.events()
  const statuses: Record<number, number> = {}
  await fc.assert(
    fc.asyncProperty(hostileRequest(ctx.pool, ctx.nonces), async ({ path, init, label }) => {
      const res = await f.request(path, init)
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      expectSafeHeaders(res, label)
      const type = res.headers.get('content-type') ?? ''
      if (type.startsWith('text/html') && init.method !== 'HEAD') expectInertPage(await res.text(), XSS_PAYLOADS, label)
      else await res.arrayBuffer()
    }),
    { numRuns: runs },
  )
  const after = await f.events()
  const added = after.slice(before.length)
  // The only change a request without a nonce may make: the RFC 8058 one-click unsubscribe from a mailbox provider.
  for (const e of added) expect({ type: e.type, method: e.evidence.method }).toEqual({ type: 'unsubscribe', method: 'rfc8058-one-click' })
  // Nothing is reported as recorded that the store does not hold.
  const stored = new Set(after.map((e) => e.id))
  for (const e of f.hookEvents) expect(stored.has(e.id)).toBe(true)
  expect((await f.store.verify()).ok).toBe(true)
  expect(f.logs.filter((l) => l.level === 'error')).toEqual([])
  expect(Object.keys(statuses).filter((s) => Number(s) >= 500)).toEqual([])
  return { requests: Object.values(statuses).reduce((a, b) => a + b, 0), statuses, oneClick: added.length, otherChanges: 0 }
}

/** One line of figures for the log. */
export function describeRouteFuzz(r: RouteFuzzFigures): string {
  return `[reliability] HTTP fuzz: ${r.requests} requests, statuses ${JSON.stringify(r.statuses)}, ${r.oneClick} one-click unsubscribes, ${r.otherChanges} other changes, 0 5xx`
}
