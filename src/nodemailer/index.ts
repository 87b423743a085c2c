// email-tracking-consent/nodemailer: the Nodemailer compile plugin and the campaign sender.
export { consentTracking, type ConsentTrackingPlugin } from './plugin.js'
export {
  sendCampaign,
  type CampaignMessageReport,
  type CampaignOptions,
  type CampaignProgress,
  type CampaignRecipient,
  type CampaignSummary,
  type MailTransport,
} from './campaign.js'
export { sendWithConsent, type FromCallback, type FromPromise, type InfoWithConsent, type MailWithConsent, type SentInfoOf } from './send.js'
export { consentOutcome } from './outcome.js'
export { ConsentPluginError, SendSkippedError, type ConsentPluginErrorCode } from './errors.js'
export type { MailMessageLike } from './content.js'
export type { ConsentOutcome, ConsentTrackingOptions, LookupOptions, FallbackReason, MailConsent } from './types.js'
