// The few pieces of markup we insert, serialized with hast-util-to-html and
// split around their personal URL so a render only concatenates.
import type { Element, ElementContent, Properties } from 'hast'
import { toHtml } from 'hast-util-to-html'
import type { MarkerKind } from './locate.js'

/** Languages of the inserted lines. */
export type Locale = 'en' | 'fr'

interface Messages {
  withdrawLine: string
  withdrawLink: string
  consentLine: string
  consentLink: string
  preferencesLink: string
  unsubscribeLink: string
  withdrawText: string
  consentText: string
}

const MESSAGES: Record<Locale, Messages> = {
  en: {
    withdrawLine: 'This email tells us whether it was opened and which links were clicked.',
    withdrawLink: 'Stop this tracking',
    consentLine: 'May we see whether you open our emails and which links you click? Nothing changes unless you agree.',
    consentLink: 'Review and accept tracking',
    preferencesLink: 'Manage your preferences',
    unsubscribeLink: 'Unsubscribe',
    withdrawText: 'To stop open and click tracking of our emails:',
    consentText: 'To let us see whether you open our emails and which links you click:',
  },
  fr: {
    withdrawLine: 'Cet e-mail nous indique s\u2019il a été ouvert et quels liens ont été cliqués.',
    withdrawLink: 'Désactiver ce suivi',
    consentLine:
      'Acceptez-vous que nous sachions si vous ouvrez nos e-mails et quels liens vous cliquez\u00a0? Rien ne change sans votre accord.',
    consentLink: 'Consulter et accepter le suivi',
    preferencesLink: 'Gérer vos préférences',
    unsubscribeLink: 'Se désinscrire',
    withdrawText: 'Pour désactiver le suivi des ouvertures et des clics de nos e-mails\u00a0:',
    consentText: 'Pour nous permettre de savoir si vous ouvrez nos e-mails et quels liens vous cliquez\u00a0:',
  },
}

/** Maps a BCP 47 tag to a supported locale: `fr`, `fr-FR`, `fr-CA` → `fr`; anything else → `en`. */
export function toLocale(tag: string | undefined): Locale {
  return typeof tag === 'string' && /^fr(?:[-_]|$)/i.test(tag) ? 'fr' : 'en'
}

/** Placeholder swapped for the personal URL; never produced by escaping. */
export const URL_HOLE = 'https://hole.invalid/etc-url-hole'

/** Markup around one personal URL: `before + url + after`. */
export interface Framed {
  before: string
  after: string
}

function split(html: string): Framed {
  const at = html.indexOf(URL_HOLE)
  if (at < 0 || html.indexOf(URL_HOLE, at + 1) >= 0) throw new Error('fragment must hold the URL exactly once')
  return { before: html.slice(0, at), after: html.slice(at + URL_HOLE.length) }
}

const el = (tagName: string, properties: Properties, children: ElementContent[] = []): Element => ({
  type: 'element',
  tagName,
  properties,
  children,
})
const text = (value: string): ElementContent => ({ type: 'text', value })

/** The open pixel: a 1×1 image that takes no room and is never announced. */
export function pixelFragment(): Framed {
  return split(
    toHtml(
      el('img', {
        src: URL_HOLE,
        width: 1,
        height: 1,
        alt: '',
        style: 'display:block;width:1px;height:1px;border:0;margin:0;padding:0;overflow:hidden',
      }),
    ),
  )
}

const LINE_STYLE = 'margin:0 auto;padding:16px;max-width:600px;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:18px;color:#666666;text-align:center'
const LINK_STYLE = 'color:#666666;text-decoration:underline'

/**
 * A short localized block with one link: the withdrawal footer or the
 * consent request. `attributes` are the ESP no-track attributes; `amp`
 * leaves out inline styles and non-`data-*` attributes, which AMP for Email refuses.
 */
export function lineFragment(kind: 'withdraw' | 'consent', locale: Locale, attributes: Properties, amp: boolean): Framed {
  const m = MESSAGES[locale]
  const [line, label] = kind === 'withdraw' ? [m.withdrawLine, m.withdrawLink] : [m.consentLine, m.consentLink]
  const linkProps: Properties = { href: URL_HOLE, dataTracking: kind, ...(amp ? {} : { style: LINK_STYLE }), ...attributes }
  const block = el('div', amp ? { dataTracking: `${kind}-line` } : { style: LINE_STYLE, dataTracking: `${kind}-line` }, [
    text(`${line} `),
    el('a', linkProps, [text(label)]),
  ])
  return split(toHtml(block))
}

/** A link put inside a non-link `data-tracking` element. */
export function boxLinkFragment(kind: MarkerKind, locale: Locale, attributes: Properties): Framed {
  const m = MESSAGES[locale]
  const label = { withdraw: m.withdrawLink, consent: m.consentLink, preferences: m.preferencesLink, unsubscribe: m.unsubscribeLink }[kind]
  return split(toHtml(el('a', { href: URL_HOLE, ...attributes }, [text(label)])))
}

/** The line appended to the text part. */
export function textLine(kind: 'withdraw' | 'consent', locale: Locale): string {
  const m = MESSAGES[locale]
  return kind === 'withdraw' ? m.withdrawText : m.consentText
}
