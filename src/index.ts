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
export { compile, transform, TransformError } from './transform.js'
export type {
  CompiledEmail,
  EmailInput,
  RenderOptions,
  TransformErrorCode,
  TransformLinks,
  TransformOptions,
  TransformResult,
} from './transform.js'
export { knownTrackers, personalParams } from './html/trackers.js'
export type { RedirectDestination, TrackerOptions, TrackerRule } from './html/trackers.js'
export type { Removal } from './html/plan.js'
export { NO_TRACK_ATTRIBUTES } from './providers/attributes.js'
export type { NoTrackAttribute } from './providers/attributes.js'
export { PROVIDER_NAMES } from './providers/types.js'
export type { ProviderName, ProviderSelection } from './providers/types.js'
export type { SesConfigurationSets } from './providers/headers.js'
export type { UnsubscribeOptions } from './providers/list-unsubscribe.js'
