export { trackingConsentField } from './field.js'
export type { ConsentFormSubmission, ConsentSubmissionContext, TrackingConsentField, TrackingConsentFieldOptions } from './field.js'
export { ConsentFormError, type ConsentFormErrorCode } from './errors.js'
export type { ConsentFieldLocale, ConsentFieldTexts } from './texts.js'
