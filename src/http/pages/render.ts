import { HttpError, type HttpErrorCode } from '../errors.js'
import type { Locale, PageOptions } from '../types.js'
import { escapeHtml } from './escape.js'
import { pageStyle } from './style.js'
import { DEFAULT_TEXTS, type PageTexts } from './texts.js'

/** A notice shown above a re-served form: why the previous submit was not taken. */
export type FormAlert = 'too-fast' | 'expired'

/** The current choices shown by the preference center. */
export interface PreferenceState {
  opens: boolean
  clicks: boolean
  subscribed: boolean
}

/** Renders every page of the handler; built once by `createHandler`. */
export interface PageRenderer {
  /** The `Content-Security-Policy` of every page. */
  readonly csp: string
  /** Color pairs below AA contrast, if the brand's colors are too weak. */
  readonly lowContrast: readonly string[]
  withdraw(locale: Locale, form: { nonce: string; alert?: FormAlert }): string
  withdrawDone(locale: Locale, links: { preferencesUrl?: string }): string
  preferences(locale: Locale, form: { nonce: string; state: PreferenceState; saved?: boolean; alert?: FormAlert }): string
  consent(locale: Locale, form: { nonce: string; noticeVersion?: string; alert?: FormAlert }): string
  consentDone(locale: Locale, links: { preferencesUrl?: string }): string
  unsubscribe(locale: Locale, form: { nonce: string; alert?: FormAlert }): string
  unsubscribeDone(locale: Locale, links: { preferencesUrl?: string }): string
  error(locale: Locale, code: HttpErrorCode): string
}

const TEXT_KEYS = new Set(Object.keys(DEFAULT_TEXTS.en))
const ERROR_TEXTS: Record<HttpErrorCode, [keyof PageTexts, keyof PageTexts]> = {
  'not-found': ['errorNotFoundTitle', 'errorNotFoundBody'],
  'method-not-allowed': ['errorMethodTitle', 'errorMethodBody'],
  'invalid-token': ['errorInvalidLinkTitle', 'errorInvalidLinkBody'],
  'expired-token': ['errorExpiredLinkTitle', 'errorExpiredLinkBody'],
  'bad-target': ['errorBadTargetTitle', 'errorBadTargetBody'],
  'payload-too-large': ['errorTooLargeTitle', 'errorTooLargeBody'],
  'unsupported-media-type': ['errorUnsupportedTitle', 'errorUnsupportedBody'],
  'bad-request': ['errorUnsupportedTitle', 'errorUnsupportedBody'],
  'invalid-form': ['errorInvalidLinkTitle', 'errorInvalidLinkBody'],
  'form-too-fast': ['errorAutomatedTitle', 'errorAutomatedBody'],
  'automated-request': ['errorAutomatedTitle', 'errorAutomatedBody'],
  'store-unavailable': ['errorUnavailableTitle', 'errorUnavailableBody'],
  'invalid-option': ['errorInternalTitle', 'errorInternalBody'],
  internal: ['errorInternalTitle', 'errorInternalBody'],
}

/** Checks a URL option: absolute http(s) only, since it is written into pages and the CSP. */
export function httpUrlOption(value: unknown, name: string): URL | undefined {
  if (value === undefined) return undefined
  let url: URL | undefined
  try {
    if (typeof value === 'string') url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new HttpError('invalid-option', `${name} must be an absolute http(s) URL`)
  return url
}

/** Validates the page options and prepares the renderer. Throws `invalid-option`. */
export function createPageRenderer(options: PageOptions = {}): PageRenderer {
  const brand = options.brand ?? {}
  if (brand.name !== undefined && (typeof brand.name !== 'string' || brand.name.trim() === ''))
    throw new HttpError('invalid-option', 'pages.brand.name must be a non-empty string')
  const logo = httpUrlOption(brand.logoUrl, 'pages.brand.logoUrl')
  const noticeUrl = httpUrlOption(options.noticeUrl, 'pages.noticeUrl')
  const style = pageStyle(brand.colors)
  const texts = {} as Record<Locale, PageTexts>
  for (const locale of ['en', 'fr'] as const) {
    const overrides = options.texts?.[locale] ?? {}
    for (const [key, value] of Object.entries(overrides)) {
      if (!TEXT_KEYS.has(key)) throw new HttpError('invalid-option', `pages.texts.${locale}.${key} is not a known text`)
      if (typeof value !== 'string') throw new HttpError('invalid-option', `pages.texts.${locale}.${key} must be a string`)
    }
    texts[locale] = { ...DEFAULT_TEXTS[locale], ...overrides }
  }
  const csp = [
    "default-src 'none'",
    `style-src ${style.cspSource}`,
    `img-src ${logo ? logo.origin : "'none'"}`,
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

  /** Fills placeholders, then escapes: overridden texts are plain text too. */
  function text(locale: Locale, key: keyof PageTexts, vars: Record<string, string> = {}): string {
    const all: Record<string, string> = { brand: brand.name ?? texts[locale].defaultBrand, ...vars }
    return escapeHtml(texts[locale][key].replace(/\{(brand|noticeVersion)\}/g, (m, name: string) => all[name] ?? m))
  }

  function paragraphs(locale: Locale, key: keyof PageTexts, vars?: Record<string, string>): string {
    return text(locale, key, vars)
      .split(/\n[ \t]*\n/)
      .map((p) => `<p>${p.trim()}</p>`)
      .join('\n')
  }

  function layout(locale: Locale, titleKey: keyof PageTexts, content: string, vars?: Record<string, string>): string {
    const title = text(locale, titleKey, vars)
    const brandName = escapeHtml(brand.name ?? '')
    const header = logo
      ? `<header><img class="logo" src="${escapeHtml(logo.href)}" alt="${brandName}"></header>`
      : brand.name
        ? `<header><p class="brand">${brandName}</p></header>`
        : ''
    return (
      `<!doctype html>\n<html lang="${locale}">\n<head>\n<meta charset="utf-8">\n` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      '<meta name="robots" content="noindex, nofollow">\n<meta name="referrer" content="no-referrer">\n' +
      `<title>${title}</title>\n<style>${style.css}</style>\n</head>\n<body>\n<div class="page">\n` +
      `${header}\n<main>\n<h1>${title}</h1>\n${content}\n</main>\n` +
      `<footer><p>${text(locale, 'footer')}</p></footer>\n</div>\n</body>\n</html>\n`
    )
  }

  function alertHtml(locale: Locale, alert: FormAlert | undefined): string {
    if (!alert) return ''
    return `<p class="notice" role="alert">${text(locale, alert === 'too-fast' ? 'formTooFast' : 'formExpired')}</p>\n`
  }

  function confirmForm(locale: Locale, nonce: string, buttonKey: keyof PageTexts): string {
    return (
      `<form method="post">\n<input type="hidden" name="nonce" value="${escapeHtml(nonce)}">\n` +
      `<button type="submit">${text(locale, buttonKey)}</button>\n</form>`
    )
  }

  function preferencesLink(locale: Locale, url: string | undefined): string {
    return url ? `\n<p><a href="${escapeHtml(url)}">${text(locale, 'preferencesLink')}</a></p>` : ''
  }

  function checkbox(locale: Locale, name: string, labelKey: keyof PageTexts, checked: boolean): string {
    return (
      `<div class="check"><input type="checkbox" id="${name}" name="${name}" value="on"${checked ? ' checked' : ''}>` +
      `<label for="${name}">${text(locale, labelKey)}</label></div>`
    )
  }

  return {
    csp,
    lowContrast: style.lowContrast,

    withdraw: (locale, { nonce, alert }) =>
      layout(locale, 'withdrawTitle', alertHtml(locale, alert) + paragraphs(locale, 'withdrawBody') + '\n' + confirmForm(locale, nonce, 'withdrawButton')),

    withdrawDone: (locale, { preferencesUrl }) =>
      layout(locale, 'withdrawDoneTitle', paragraphs(locale, 'withdrawDoneBody') + preferencesLink(locale, preferencesUrl)),

    preferences: (locale, { nonce, state, saved, alert }) =>
      layout(
        locale,
        'preferencesTitle',
        (saved ? `<p class="notice" role="status">${text(locale, 'preferencesSaved')}</p>\n` : '') +
          alertHtml(locale, alert) +
          paragraphs(locale, 'preferencesBody') +
          `\n<form method="post">\n<input type="hidden" name="nonce" value="${escapeHtml(nonce)}">\n` +
          `<fieldset>\n<legend>${text(locale, 'trackingLegend')}</legend>\n` +
          checkbox(locale, 'opens', 'opensLabel', state.opens) + '\n' +
          checkbox(locale, 'clicks', 'clicksLabel', state.clicks) +
          `\n</fieldset>\n<fieldset>\n<legend>${text(locale, 'subscriptionLegend')}</legend>\n` +
          checkbox(locale, 'subscribed', 'subscribedLabel', state.subscribed) +
          `\n</fieldset>\n<button type="submit">${text(locale, 'preferencesButton')}</button>\n</form>`,
      ),

    consent: (locale, { nonce, noticeVersion, alert }) => {
      const notice =
        (noticeVersion ? `<p>${text(locale, 'consentNoticeVersion', { noticeVersion })}</p>\n` : '') +
        (noticeUrl ? `<p><a href="${escapeHtml(noticeUrl.href)}">${text(locale, 'consentNoticeLink')}</a></p>\n` : '')
      return layout(
        locale,
        'consentTitle',
        alertHtml(locale, alert) + paragraphs(locale, 'consentBody') + '\n' + notice + confirmForm(locale, nonce, 'consentButton'),
      )
    },

    consentDone: (locale, { preferencesUrl }) =>
      layout(locale, 'consentDoneTitle', paragraphs(locale, 'consentDoneBody') + preferencesLink(locale, preferencesUrl)),

    unsubscribe: (locale, { nonce, alert }) =>
      layout(locale, 'unsubscribeTitle', alertHtml(locale, alert) + paragraphs(locale, 'unsubscribeBody') + '\n' + confirmForm(locale, nonce, 'unsubscribeButton')),

    unsubscribeDone: (locale, { preferencesUrl }) =>
      layout(locale, 'unsubscribeDoneTitle', paragraphs(locale, 'unsubscribeDoneBody') + preferencesLink(locale, preferencesUrl)),

    error: (locale, code) => {
      const [title, body] = ERROR_TEXTS[code]
      return layout(locale, title, paragraphs(locale, body))
    },
  }
}
