export type { Basis, Category, ConsentRecord, ConsentStatus, Decision, Policy, Purpose, PurposeState } from './policy/types.js'
export type {
  EdDsaKeyInput,
  HmacKeyInput,
  KeyInput,
  MessageTokens,
  SignInput,
  TokenClaims,
  TokenPurpose,
  Tokens,
  TokensOptions,
  VerifyOptions,
} from './tokens/types.js'
export { ConsentTrackingError } from './lib/errors.js'
