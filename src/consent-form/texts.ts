import type { Purpose } from '../policy/types.js'

/**
 * Languages the consent field ships texts for.
 *
 * @example
 * ```ts
 * import type { ConsentFieldLocale } from 'email-tracking-consent'
 * const locale: ConsentFieldLocale = req.acceptsLanguages('fr', 'en') === 'fr' ? 'fr' : 'en'
 * const snippet = field.render({ locale }) // render() also takes tags such as 'fr-CA'; other languages get 'en'
 * ```
 */
export type ConsentFieldLocale = 'en' | 'fr'

/**
 * Every text the consent field shows. All of it is escaped when rendered.
 *
 * @example
 * ```ts
 * import { trackingConsentField, type ConsentFieldTexts } from 'email-tracking-consent'
 * const fr: Partial<ConsentFieldTexts> = {
 *   both: "Oui, Acme peut mesurer l'ouverture de ses e-mails et les liens sur lesquels je clique.",
 *   noticeLink: "Notre notice sur la mesure d'audience (version {version})",
 * }
 * const field = trackingConsentField({ formId: 'signup', noticeVersion: '2026-04', noticeUrl: '/privacy', texts: { fr } })
 * ```
 */
export interface ConsentFieldTexts {
  /** Label of the single checkbox covering opens and clicks. */
  both: string
  /** Label of the opens checkbox, when purposes are asked separately. */
  opens: string
  /** Label of the clicks checkbox, when purposes are asked separately. */
  clicks: string
  /** The information notice shown under the checkbox. */
  notice: string
  /** Text of the link to the full notice; `{version}` is replaced by the notice version. */
  noticeLink: string
  /** Shown when there is no link to a full notice; `{version}` is replaced by the notice version. */
  noticeVersion: string
}

/** The texts shipped with the library, per locale. */
export const DEFAULT_TEXTS: Readonly<Record<ConsentFieldLocale, ConsentFieldTexts>> = {
  en: {
    both: 'Yes, you may measure whether I open your emails and which links I click in them.',
    opens: 'Yes, you may measure whether I open your emails.',
    clicks: 'Yes, you may record which links I click in your emails.',
    notice:
      'Optional. Our emails can contain a tracking pixel and personalised links that tell us when you open an email and which links you click. ' +
      'We use this only to measure and improve our emails. Leaving the box unticked changes nothing about your subscription. ' +
      'You can withdraw your consent at any time with the link at the bottom of every email or in your preference center.',
    noticeLink: 'Information notice on email tracking (version {version})',
    noticeVersion: 'Information notice version {version}.',
  },
  fr: {
    both: "Oui, vous pouvez mesurer si j'ouvre vos e-mails et sur quels liens je clique.",
    opens: "Oui, vous pouvez mesurer si j'ouvre vos e-mails.",
    clicks: 'Oui, vous pouvez enregistrer les liens sur lesquels je clique dans vos e-mails.',
    notice:
      'Facultatif. Nos e-mails peuvent contenir un pixel de suivi et des liens personnalisés qui nous indiquent quand vous ouvrez un e-mail et sur quels liens vous cliquez. ' +
      'Nous les utilisons uniquement pour mesurer et améliorer nos e-mails. Ne pas cocher la case ne change rien à votre abonnement. ' +
      'Vous pouvez retirer votre consentement à tout moment grâce au lien en bas de chaque e-mail ou dans votre centre de préférences.',
    noticeLink: "Notice d'information sur la mesure d'audience des e-mails (version {version})",
    noticeVersion: "Notice d'information version {version}.",
  },
}

/** `fr`, `fr-FR`, `FR_ca` → `fr`; anything unknown → `en`. */
export function pickLocale(locale: string | undefined): ConsentFieldLocale {
  const language = (locale ?? 'en').slice(0, 2).toLowerCase()
  return language === 'fr' ? 'fr' : 'en'
}

/** Label key of each checkbox, in rendering order. */
export function checkboxLabels(separate: boolean): { purposes: Purpose[]; label: keyof ConsentFieldTexts }[] {
  return separate
    ? [
        { purposes: ['opens'], label: 'opens' },
        { purposes: ['clicks'], label: 'clicks' },
      ]
    : [{ purposes: ['opens', 'clicks'], label: 'both' }]
}
