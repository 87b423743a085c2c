export { decide, type DecideOptions } from './decide.js'
export { cnilPolicy, type CnilPolicyOptions } from './cnil.js'
export { PolicyError, type PolicyErrorCode } from './errors.js'
export type { Basis, Category, ConsentRecord, ConsentStatus, Decision, Policy, Purpose, PurposeState } from './types.js'
