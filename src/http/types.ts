import type { Policy } from '../policy/types.js'
import type { ConsentEvent, ConsentStore } from '../store/types.js'
import type { Tokens } from '../tokens/types.js'
import type { PageTexts } from './pages/texts.js'

/**
 * A page language.
 *
 * @example
 * ```ts
 * import { createHandler, type Locale } from 'email-tracking-consent/http'
 * // One handler per site language instead of negotiating from Accept-Language.
 * const locale: Locale = site.language === 'fr' ? 'fr' : 'en'
 * const handler = createHandler({ tokens, store, locale })
 * ```
 */
export type Locale = 'en' | 'fr'

/**
 * What kind of client fetched a pixel or followed a link, guessed from its user agent.
 *
 * @example
 * ```ts
 * import type { DeviceClass, OpenReport } from 'email-tracking-consent/http'
 * const opensByDevice = new Map<DeviceClass, number>()
 * const onOpen = (report: OpenReport) => {
 *   if (report.mode === 'tracked' && !report.machine) opensByDevice.set(report.device, (opensByDevice.get(report.device) ?? 0) + 1)
 * }
 * ```
 */
export type DeviceClass = 'desktop' | 'mobile' | 'webmail' | 'unknown'

/**
 * Who fetched, when it was a machine rather than the reader:
 * - `apple-mpp`: Apple Mail Privacy Protection, which prefetches every image;
 * - `gmail-proxy`, `yahoo-proxy`, `outlook-proxy`: a mailbox provider's image proxy
 *   (a fetch through it can be the reader's, or a prefetch);
 * - `scanner`: a security scanner, link previewer, crawler or bare HTTP library.
 *
 * @example
 * ```ts
 * import type { MachineKind, OpenReport } from 'email-tracking-consent/http'
 * // Keep Apple MPP prefetches apart; ignore security scanners.
 * const onOpen = async (report: OpenReport) => {
 *   if (report.mode !== 'tracked') return
 *   const kind: MachineKind | undefined = report.machineKind
 *   if (kind !== 'scanner') await opens.insert({ contactId: report.contactId, at: report.at, prefetched: kind === 'apple-mpp' })
 * }
 * ```
 */
export type MachineKind = 'apple-mpp' | 'gmail-proxy' | 'yahoo-proxy' | 'outlook-proxy' | 'scanner'

/**
 * How a fetch was classified.
 *
 * @example
 * ```ts
 * import { createHandler, type FetchClass } from 'email-tracking-consent/http'
 * // Open and click reports carry a FetchClass's fields: device, machine, machineKind.
 * const label = ({ device, machine, machineKind }: FetchClass) => (machine ? `machine.${machineKind}` : `person.${device}`)
 * const handler = createHandler({ tokens, store, hooks: { onClick: (report) => metrics.increment(`click.${label(report)}`) } })
 * ```
 */
export interface FetchClass {
  device: DeviceClass
  /** `true` when a machine, not a person, most likely made the fetch. */
  machine: boolean
  /** Which machine, when `machine` is true. */
  machineKind?: MachineKind
}

/**
 * A signature of a machine fetcher, matched on the user agent or the client IP.
 * Extra signatures given to {@link HandlerOptions.machineSignatures} are tried
 * before the built-in ones.
 *
 * @example
 * ```ts
 * import { createHandler, type MachineSignature } from 'email-tracking-consent/http'
 * // Your own mail gateway, which fetches every link and image before delivery.
 * const gateway: MachineSignature = { kind: 'scanner', userAgent: /AcmeMailGuard\//, ipRanges: ['198.51.100.0/24', '2001:db8:42::/48'] }
 * const handler = createHandler({ tokens, store, machineSignatures: [gateway] })
 * ```
 */
export interface MachineSignature {
  kind: MachineKind
  /** Matched against the `User-Agent` header. */
  userAgent?: RegExp
  /** IPv4 or IPv6 CIDR ranges (`17.0.0.0/8`, `2620:149::/32`) matched against the client IP. */
  ipRanges?: readonly string[]
}

/**
 * An open the contact's consent allowed, reported to {@link HandlerHooks.onOpen}.
 *
 * @example
 * ```ts
 * import type { OpenReport, TrackedOpenReport } from 'email-tracking-consent/http'
 * const isPersonOpen = (report: OpenReport): report is TrackedOpenReport => report.mode === 'tracked' && !report.machine
 * const onOpen = async (report: OpenReport) => {
 *   if (isPersonOpen(report)) await opens.insert({ tokenId: report.tokenId, contactId: report.contactId, at: report.at, device: report.device })
 * }
 * ```
 */
export interface TrackedOpenReport {
  mode: 'tracked'
  contactId: string
  messageId?: string
  /** The token id (`jti`): the recipient-message. */
  tokenId: string
  /** When the pixel was fetched. */
  at: Date
  device: DeviceClass
  machine: boolean
  machineKind?: MachineKind
}

/**
 * An open under the policy's list-hygiene mode: only the calendar day (in the
 * policy's time zone) is kept, to overwrite the contact's last-open date.
 *
 * @example
 * ```ts
 * import type { ListHygieneOpenReport, OpenReport } from 'email-tracking-consent/http'
 * const onOpen = async (report: OpenReport) => {
 *   if (report.mode !== 'list-hygiene') return
 *   const { contactId, date }: ListHygieneOpenReport = report // date: '2026-11-02', and nothing else
 *   await contacts.update(contactId, { lastOpenDate: date })
 * }
 * ```
 */
export interface ListHygieneOpenReport {
  mode: 'list-hygiene'
  contactId: string
  /** `YYYY-MM-DD`. No time, no message, no device. */
  date: string
}

/**
 * What {@link HandlerHooks.onOpen} receives.
 *
 * @example
 * ```ts
 * import { createHandler, type OpenReport } from 'email-tracking-consent/http'
 * const onOpen = async (report: OpenReport) => {
 *   if (report.mode === 'tracked') await opens.insert({ contactId: report.contactId, messageId: report.messageId, at: report.at, machine: report.machine })
 *   else await contacts.update(report.contactId, { lastOpenDate: report.date }) // list-hygiene: the day only
 * }
 * const handler = createHandler({ tokens, store, hooks: { onOpen } })
 * ```
 */
export type OpenReport = TrackedOpenReport | ListHygieneOpenReport

/**
 * A click the contact's consent allowed, reported to {@link HandlerHooks.onClick}.
 *
 * @example
 * ```ts
 * import { createHandler, type ClickReport } from 'email-tracking-consent/http'
 * const onClick = async (report: ClickReport) => {
 *   if (report.machine) return // a scanner or proxy followed the link, not the reader
 *   await clicks.insert({ contactId: report.contactId, messageId: report.messageId, url: report.url, at: report.at })
 * }
 * const handler = createHandler({ tokens, store, hooks: { onClick } })
 * ```
 */
export interface ClickReport {
  contactId: string
  messageId?: string
  tokenId: string
  /** The target the visitor was redirected to. */
  url: string
  at: Date
  device: DeviceClass
  machine: boolean
  machineKind?: MachineKind
}

/**
 * A change of consent or subscription made through a page or the one-click POST.
 *
 * @example
 * ```ts
 * import { createHandler, type ConsentChangeReport } from 'email-tracking-consent/http'
 * // report.events holds what was stored: empty when nothing had to change.
 * const onChange = (report: ConsentChangeReport) => {
 *   for (const event of report.events) audit.log(`${report.contactId} ${event.type} ${event.purposes.join('+')} seq=${event.seq}`)
 * }
 * const handler = createHandler({ tokens, store, hooks: { onWithdraw: onChange, onConsent: onChange, onPreferences: onChange } })
 * ```
 */
export interface ConsentChangeReport {
  contactId: string
  messageId?: string
  tokenId: string
  at: Date
  /** The events as stored (empty when nothing had to change). */
  events: ConsentEvent[]
}

/**
 * Callbacks run after the fact. Each is awaited; one that throws or rejects is
 * logged and contained: the visitor gets the same response and recorded events
 * stay recorded. The `request` is passed for anything else the sender wants
 * (headers, IP via its own proxy rules).
 *
 * @example
 * ```ts
 * import { createHandler, type HandlerHooks } from 'email-tracking-consent/http'
 * const hooks: HandlerHooks = {
 *   onOpen: (report) => analytics.open(report),
 *   onClick: (report) => analytics.click(report.contactId, report.url),
 *   onUnsubscribe: async (report) => { await crm.markUnsubscribed(report.contactId) },
 * }
 * const handler = createHandler({ tokens, store, hooks })
 * ```
 */
export interface HandlerHooks {
  /** A pixel fetch that consent allowed (GET only; never HEAD). */
  onOpen?(report: OpenReport, request: Request): void | Promise<void>
  /** A redirect that consent allowed to report (GET only). */
  onClick?(report: ClickReport, request: Request): void | Promise<void>
  /** Tracking withdrawn through `/w/:token`. */
  onWithdraw?(report: ConsentChangeReport, request: Request): void | Promise<void>
  /** Tracking accepted through `/consent/:token`. */
  onConsent?(report: ConsentChangeReport, request: Request): void | Promise<void>
  /** Unsubscribed through `/u/:token` (page or RFC 8058 one-click). */
  onUnsubscribe?(report: ConsentChangeReport, request: Request): void | Promise<void>
  /** Preferences saved through `/p/:token`, with one event per change. */
  onPreferences?(report: ConsentChangeReport, request: Request): void | Promise<void>
}

/**
 * Where the handler reports contained failures (a throwing hook, a store that is down).
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * import { createHandler, type Logger } from 'email-tracking-consent/http'
 * const log = pino()
 * const logger: Logger = {
 *   error: (message, details) => log.error(details, message),
 *   warn: (message, details) => log.warn(details, message),
 * }
 * const handler = createHandler({ tokens, store, logger })
 * ```
 */
export interface Logger {
  /** A failure the handler contained (a store that is down, a throwing hook, a failed error page); `details` holds the code, route and cause. */
  error(message: string, details?: Record<string, unknown>): void
  /** A non-fatal concern (brand colors below WCAG AA, a preference-center link that could not be signed). */
  warn(message: string, details?: Record<string, unknown>): void
}

/**
 * Colors of the pages, as `#rgb` or `#rrggbb`. Defaults meet WCAG 2.1 AA contrast.
 *
 * @example
 * ```ts
 * import { createHandler, type BrandColors } from 'email-tracking-consent/http'
 * // Dark pages; pairs below WCAG AA contrast are reported through logger.warn.
 * const colors: BrandColors = { background: '#111827', text: '#f9fafb', primary: '#93c5fd', primaryText: '#111827' }
 * const handler = createHandler({ tokens, store, pages: { brand: { name: 'Acme', colors } } })
 * ```
 */
export interface BrandColors {
  /** Page background. Default `#ffffff`. */
  background?: string
  /** Body text. Default `#1f2937`. */
  text?: string
  /** Buttons and links. Default `#1d4ed8`. */
  primary?: string
  /** Text on buttons. Default `#ffffff`. */
  primaryText?: string
}

/**
 * The sender's brand on the pages.
 *
 * @example
 * ```ts
 * import { createHandler, type Brand } from 'email-tracking-consent/http'
 * const brand: Brand = { name: 'Acme', logoUrl: 'https://static.acme.example/logo.png', colors: { primary: '#0b5394' } }
 * const handler = createHandler({ tokens, store, pages: { brand } })
 * ```
 */
export interface Brand {
  /** Shown in titles and texts (`{brand}`). Default: a neutral "this sender" / "cet expéditeur". */
  name?: string
  /** An `https:` (or `http:`) image URL shown at the top; its origin is added to the CSP `img-src`. */
  logoUrl?: string
  colors?: BrandColors
}

/**
 * Customization of the pages.
 *
 * @example
 * ```ts
 * import { createHandler, type PageOptions } from 'email-tracking-consent/http'
 * const pages: PageOptions = {
 *   brand: { name: 'Acme', logoUrl: 'https://static.acme.example/logo.png' },
 *   noticeUrl: 'https://acme.example/privacy/email-tracking',
 *   texts: { en: { consentButton: 'Yes, measure my opens and clicks' } },
 * }
 * const handler = createHandler({ tokens, store, pages })
 * ```
 */
export interface PageOptions {
  brand?: Brand
  /** Per-locale overrides of any text. Plain text: it is escaped; `{brand}` and `{noticeVersion}` are filled in. */
  texts?: Partial<Record<Locale, Partial<PageTexts>>>
  /** Link to the full information notice, shown on the consent page (`https:` or `http:`). */
  noticeUrl?: string
}

/**
 * Anti-scanner settings of the page forms (not the RFC 8058 one-click POST).
 *
 * @example
 * ```ts
 * import { createHandler, type FormOptions } from 'email-tracking-consent/http'
 * // Accept a form from 3 seconds to 1 hour after its page was served.
 * const forms: FormOptions = { minDelayMs: 3_000, maxAgeMs: 60 * 60 * 1000 }
 * const handler = createHandler({ tokens, store, forms })
 * ```
 */
export interface FormOptions {
  /** Least time between serving a page and accepting its form, in ms. Default 2000. */
  minDelayMs?: number
  /** Most time between serving a page and accepting its form, in ms. Default 86,400,000 (one day). */
  maxAgeMs?: number
}

/**
 * Options of {@link createHandler}.
 *
 * @example
 * ```ts
 * import { cnilPolicy, createTokens } from 'email-tracking-consent'
 * import { createHandler, type HandlerOptions } from 'email-tracking-consent/http'
 * const options: HandlerOptions = {
 *   tokens: createTokens({ keys: [{ kid: '2026-11', secret: process.env.TRACKING_SECRET! }] }),
 *   store, policy: cnilPolicy(), basePath: 'https://t.example.com/email', // the baseUrl given to transform()
 *   locale: 'fr', noticeVersion: '2026-11', storeTimeoutMs: 2_000,
 * }
 * const handler = createHandler(options)
 * ```
 */
export interface HandlerOptions {
  /** Verifies the tokens in the links (and MACs the form nonces). */
  tokens: Tokens
  /** The accountability file: read for the current consent, written for every change. */
  store: ConsentStore
  /**
   * Where the handler is mounted: a path (`/t`) or the full `baseUrl` given to
   * `transform()` (`https://mail.example.com/t`), whose path is used. Default `''` (root).
   */
  basePath?: string
  /** Rules deciding whether an open or click may be reported. Default `cnilPolicy()`. */
  policy?: Policy
  /** Fixed page language. Default: negotiated from `Accept-Language`, falling back to `en`. */
  locale?: Locale
  hooks?: HandlerHooks
  pages?: PageOptions
  /** Notice version shown and recorded by the consent page when the token carries none. */
  noticeVersion?: string
  forms?: FormOptions
  /** Largest request body read, in bytes. Default 16,384. */
  maxBodyBytes?: number
  /**
   * Most time one store call may take, in milliseconds. A store slower than
   * this is treated as down: the pixel still gets its GIF, a click its
   * redirect, and a page that needs the store a 503 page. Default 5,000.
   */
  storeTimeoutMs?: number
  /** Extra machine signatures, tried before the built-in ones. */
  machineSignatures?: readonly MachineSignature[]
  /**
   * The client IP recorded as evidence. Default: the `remoteAddress` the Node
   * bridge passes. Behind a proxy, read your trusted forwarding header here.
   */
  clientIp?: (request: Request, context: RequestContext) => string | undefined
  /** Default: `console`. */
  logger?: Logger
  /** Clock. Default `() => new Date()`. */
  now?: () => Date
}

/**
 * What a server passes beside the `Request`.
 *
 * @example
 * ```ts
 * import { createHandler, type RequestContext } from 'email-tracking-consent/http'
 * // Behind your own proxy (10.0.0.2): trust its X-Forwarded-For, and only from it.
 * const clientIp = (request: Request, context: RequestContext) =>
 *   context.remoteAddress === '10.0.0.2' ? request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim() : context.remoteAddress
 * const handler = createHandler({ tokens, store, clientIp })
 * const response = await handler(request, { remoteAddress: '10.0.0.2' }) // toNodeListener passes it for you
 * ```
 */
export interface RequestContext {
  /** The peer address of the connection. */
  remoteAddress?: string
}

/**
 * The Web-standard handler made by {@link createHandler}:
 * `(request) => Promise<Response>`. It never rejects.
 *
 * @example
 * ```ts
 * import { createHandler, type Handler } from 'email-tracking-consent/http'
 * const handler: Handler = createHandler({ tokens, store, basePath: '/t' })
 * // A fetch-style server (Bun, Deno, workers): the handler's paths go to it, the rest to your app.
 * export default {
 *   fetch: (request: Request) => (handler.handles(new URL(request.url).pathname) ? handler(request) : app(request)),
 * }
 * ```
 */
export interface Handler {
  (request: Request, context?: RequestContext): Promise<Response>
  /** The normalized base path (`''` or `/t`). */
  readonly basePath: string
  /** The largest body it reads, in bytes (the Node bridge applies the same limit). */
  readonly maxBodyBytes: number
  /** Whether a URL path is under the base path (the Node bridge calls `next()` otherwise). */
  handles(pathname: string): boolean
}
