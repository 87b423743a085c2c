import type { Locale } from '../types.js'

/**
 * Every text of the pages. Plain text (escaped on output); `{brand}` and
 * `{noticeVersion}` are filled in. A blank line starts a new paragraph.
 *
 * @example
 * ```ts
 * import { createHandler, type PageTexts } from 'email-tracking-consent/http'
 * const en: Partial<PageTexts> = { withdrawTitle: 'Stop measuring your emails?', footer: 'A personal link from {brand}.' }
 * const fr: Partial<PageTexts> = { withdrawButton: 'Ne plus mesurer' }
 * const handler = createHandler({ tokens, store, pages: { brand: { name: 'Acme' }, texts: { en, fr } } })
 * ```
 */
export interface PageTexts {
  /** Stands in for `{brand}` when no brand name is configured. */
  defaultBrand: string
  /** Footer of every page. */
  footer: string

  withdrawTitle: string
  withdrawBody: string
  withdrawButton: string
  withdrawDoneTitle: string
  withdrawDoneBody: string
  /** Link from the done pages to the preference center. */
  preferencesLink: string

  preferencesTitle: string
  preferencesBody: string
  trackingLegend: string
  opensLabel: string
  clicksLabel: string
  subscriptionLegend: string
  subscribedLabel: string
  preferencesButton: string
  /** Status line shown above the form once saved. */
  preferencesSaved: string

  consentTitle: string
  consentBody: string
  /** Shows `{noticeVersion}`. */
  consentNoticeVersion: string
  consentNoticeLink: string
  consentButton: string
  consentDoneTitle: string
  consentDoneBody: string

  unsubscribeTitle: string
  unsubscribeBody: string
  unsubscribeButton: string
  unsubscribeDoneTitle: string
  unsubscribeDoneBody: string

  /** The form came back sooner than the anti-scanner delay allows. */
  formTooFast: string
  /** The form's nonce is missing, altered or too old. */
  formExpired: string

  errorInvalidLinkTitle: string
  errorInvalidLinkBody: string
  errorExpiredLinkTitle: string
  errorExpiredLinkBody: string
  errorBadTargetTitle: string
  errorBadTargetBody: string
  errorNotFoundTitle: string
  errorNotFoundBody: string
  errorMethodTitle: string
  errorMethodBody: string
  errorTooLargeTitle: string
  errorTooLargeBody: string
  errorUnsupportedTitle: string
  errorUnsupportedBody: string
  errorAutomatedTitle: string
  errorAutomatedBody: string
  errorUnavailableTitle: string
  errorUnavailableBody: string
  errorInternalTitle: string
  errorInternalBody: string
}

const en: PageTexts = {
  defaultBrand: 'this sender',
  footer:
    'You reached this page through a personal link in an email from {brand}. This page never asks for your email address.',

  withdrawTitle: 'Stop tracking your emails?',
  withdrawBody:
    'Emails from {brand} can report when you open them and which links you click.\n\n' +
    'If you confirm, this stops from now on, including for emails you have already received. You will still receive the emails.',
  withdrawButton: 'Stop tracking',
  withdrawDoneTitle: 'Tracking stopped',
  withdrawDoneBody:
    'From now on, {brand} will not record when you open its emails or which links you click, including in emails already sent.',
  preferencesLink: 'Manage all your email preferences',

  preferencesTitle: 'Your email preferences',
  preferencesBody: 'Choose what {brand} may measure about its emails to you, and whether you receive them at all.',
  trackingLegend: 'Tracking',
  opensLabel: 'Record when I open an email',
  clicksLabel: 'Record which links I click',
  subscriptionLegend: 'Subscription',
  subscribedLabel: 'Send me emails',
  preferencesButton: 'Save my preferences',
  preferencesSaved: 'Your preferences are saved.',

  consentTitle: 'Allow {brand} to measure opens and clicks?',
  consentBody:
    'If you agree, emails from {brand} will report when you open them and which links you click. This helps send fewer, more relevant emails.\n\n' +
    'You can withdraw at any time with the link at the bottom of every email. Nothing changes if you do not answer.',
  consentNoticeVersion: 'Information notice, version {noticeVersion}.',
  consentNoticeLink: 'Read the full information notice',
  consentButton: 'I agree',
  consentDoneTitle: 'Thank you',
  consentDoneBody:
    'Your agreement is recorded. You can withdraw it at any time with the link at the bottom of every email from {brand}.',

  unsubscribeTitle: 'Unsubscribe?',
  unsubscribeBody: 'If you confirm, {brand} will stop sending you these emails.',
  unsubscribeButton: 'Unsubscribe',
  unsubscribeDoneTitle: 'You are unsubscribed',
  unsubscribeDoneBody: 'You will no longer receive these emails from {brand}.',

  formTooFast: 'To protect you from automated clicks, please wait a moment and press the button again.',
  formExpired: 'This page had expired. Please press the button again.',

  errorInvalidLinkTitle: 'This link does not work',
  errorInvalidLinkBody:
    'It may be incomplete or damaged. Open it again from the email, or copy the whole address. Nothing was changed.',
  errorExpiredLinkTitle: 'This link has expired',
  errorExpiredLinkBody: 'Use the link in a more recent email from {brand}. Nothing was changed.',
  errorBadTargetTitle: 'This link cannot be followed',
  errorBadTargetBody: 'Its destination does not match the email it came from, so it was not opened.',
  errorNotFoundTitle: 'Page not found',
  errorNotFoundBody: 'There is nothing at this address.',
  errorMethodTitle: 'This action is not possible here',
  errorMethodBody: 'Open the link from the email again. Nothing was changed.',
  errorTooLargeTitle: 'Request too large',
  errorTooLargeBody: 'The form sent more data than expected. Nothing was changed.',
  errorUnsupportedTitle: 'Unexpected form',
  errorUnsupportedBody: 'The form was not sent in a usable format. Nothing was changed.',
  errorAutomatedTitle: 'Automated request refused',
  errorAutomatedBody:
    'This request looks like it came from a link scanner rather than a person, so nothing was changed. Open the link in your browser to continue.',
  errorUnavailableTitle: 'Temporarily unavailable',
  errorUnavailableBody: 'Please try again in a few minutes. Nothing was changed.',
  errorInternalTitle: 'Something went wrong',
  errorInternalBody: 'Please try again later.',
}

const fr: PageTexts = {
  defaultBrand: 'cet expéditeur',
  footer:
    'Vous êtes arrivé sur cette page par un lien personnel contenu dans un e-mail de {brand}. Cette page ne vous demande jamais votre adresse e-mail.',

  withdrawTitle: 'Ne plus mesurer la lecture de vos e-mails ?',
  withdrawBody:
    'Les e-mails de {brand} peuvent signaler quand vous les ouvrez et sur quels liens vous cliquez.\n\n' +
    'Si vous confirmez, cette mesure s’arrête dès maintenant, y compris pour les e-mails déjà reçus. Vous continuerez à recevoir les e-mails.',
  withdrawButton: 'Arrêter la mesure',
  withdrawDoneTitle: 'Mesure arrêtée',
  withdrawDoneBody:
    'Désormais, {brand} n’enregistrera plus l’ouverture de ses e-mails ni les liens sur lesquels vous cliquez, y compris dans les e-mails déjà envoyés.',
  preferencesLink: 'Gérer toutes vos préférences',

  preferencesTitle: 'Vos préférences e-mail',
  preferencesBody: 'Choisissez ce que {brand} peut mesurer sur les e-mails qu’il vous envoie, et si vous souhaitez les recevoir.',
  trackingLegend: 'Mesure d’audience',
  opensLabel: 'Enregistrer l’ouverture de mes e-mails',
  clicksLabel: 'Enregistrer les liens sur lesquels je clique',
  subscriptionLegend: 'Abonnement',
  subscribedLabel: 'M’envoyer des e-mails',
  preferencesButton: 'Enregistrer mes préférences',
  preferencesSaved: 'Vos préférences sont enregistrées.',

  consentTitle: 'Autoriser {brand} à mesurer l’ouverture et les clics ?',
  consentBody:
    'Si vous acceptez, les e-mails de {brand} signaleront quand vous les ouvrez et sur quels liens vous cliquez. Cela permet d’envoyer moins d’e-mails, et de plus pertinents.\n\n' +
    'Vous pourrez retirer votre accord à tout moment grâce au lien présent en bas de chaque e-mail. Rien ne change si vous ne répondez pas.',
  consentNoticeVersion: 'Notice d’information, version {noticeVersion}.',
  consentNoticeLink: 'Lire la notice d’information complète',
  consentButton: 'J’accepte',
  consentDoneTitle: 'Merci',
  consentDoneBody:
    'Votre accord est enregistré. Vous pouvez le retirer à tout moment grâce au lien présent en bas de chaque e-mail de {brand}.',

  unsubscribeTitle: 'Se désabonner ?',
  unsubscribeBody: 'Si vous confirmez, {brand} cessera de vous envoyer ces e-mails.',
  unsubscribeButton: 'Me désabonner',
  unsubscribeDoneTitle: 'Vous êtes désabonné',
  unsubscribeDoneBody: 'Vous ne recevrez plus ces e-mails de {brand}.',

  formTooFast: 'Pour vous protéger des clics automatiques, patientez un instant puis appuyez de nouveau sur le bouton.',
  formExpired: 'Cette page avait expiré. Appuyez de nouveau sur le bouton.',

  errorInvalidLinkTitle: 'Ce lien ne fonctionne pas',
  errorInvalidLinkBody:
    'Il est peut-être incomplet ou abîmé. Ouvrez-le de nouveau depuis l’e-mail, ou copiez l’adresse en entier. Rien n’a été modifié.',
  errorExpiredLinkTitle: 'Ce lien a expiré',
  errorExpiredLinkBody: 'Utilisez le lien d’un e-mail plus récent de {brand}. Rien n’a été modifié.',
  errorBadTargetTitle: 'Ce lien ne peut pas être suivi',
  errorBadTargetBody: 'Sa destination ne correspond pas à l’e-mail d’où il provient : il n’a donc pas été ouvert.',
  errorNotFoundTitle: 'Page introuvable',
  errorNotFoundBody: 'Il n’y a rien à cette adresse.',
  errorMethodTitle: 'Cette action n’est pas possible ici',
  errorMethodBody: 'Ouvrez de nouveau le lien depuis l’e-mail. Rien n’a été modifié.',
  errorTooLargeTitle: 'Requête trop volumineuse',
  errorTooLargeBody: 'Le formulaire a envoyé plus de données que prévu. Rien n’a été modifié.',
  errorUnsupportedTitle: 'Formulaire inattendu',
  errorUnsupportedBody: 'Le formulaire n’a pas été envoyé dans un format utilisable. Rien n’a été modifié.',
  errorAutomatedTitle: 'Requête automatique refusée',
  errorAutomatedBody:
    'Cette requête semble venir d’un analyseur de liens plutôt que d’une personne : rien n’a donc été modifié. Ouvrez le lien dans votre navigateur pour continuer.',
  errorUnavailableTitle: 'Service momentanément indisponible',
  errorUnavailableBody: 'Réessayez dans quelques minutes. Rien n’a été modifié.',
  errorInternalTitle: 'Une erreur est survenue',
  errorInternalBody: 'Réessayez plus tard.',
}

/** The built-in texts of each locale. */
export const DEFAULT_TEXTS: Readonly<Record<Locale, Readonly<PageTexts>>> = { en, fr }
