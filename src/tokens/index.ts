export { createTokens, MAX_TOKEN_LENGTH, TOKEN_PURPOSES, TOKEN_TYPE } from './create.js'
export { TokenError, type TokenErrorCode } from './errors.js'
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
} from './types.js'
