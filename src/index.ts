// The runtime-agnostic core. Node-only parts live behind their own subpaths.
export { cnilPolicy, decide, PolicyError } from './policy/index.js'
export type {
  Basis,
  Category,
  CnilPolicyOptions,
  ConsentRecord,
  ConsentStatus,
  DecideOptions,
  Decision,
  Policy,
  PolicyErrorCode,
  Purpose,
  PurposeState,
} from './policy/index.js'
export { createTokens, TokenError, TOKEN_PURPOSES } from './tokens/index.js'
export type {
  EdDsaKeyInput,
  HmacKeyInput,
  KeyInput,
  MessageTokens,
  SignInput,
  TokenClaims,
  TokenErrorCode,
  TokenPurpose,
  Tokens,
  TokensOptions,
  VerifyOptions,
} from './tokens/index.js'
export { ConsentTrackingError } from './lib/errors.js'
export { trackingConsentField, ConsentFormError } from './consent-form/index.js'
export type {
  ConsentFieldLocale,
  ConsentFieldTexts,
  ConsentFormErrorCode,
  ConsentFormSubmission,
  ConsentSubmissionContext,
  TrackingConsentField,
  TrackingConsentFieldOptions,
} from './consent-form/index.js'
