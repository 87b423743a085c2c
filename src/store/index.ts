export type {
  ConsentEvent,
  ConsentEventInput,
  ConsentEventType,
  ConsentSource,
  ConsentStore,
  Evidence,
  VerifyResult,
} from './types.js'
export type { ConsentRecord, ConsentStatus, Purpose, PurposeState } from '../policy/types.js'
export { StoreError, type StoreErrorCode } from './errors.js'
export { createMemoryStore, type MemoryStoreOptions } from './memory.js'
export { CONSENT_EVENT_TYPES, CONSENT_SOURCES, STORE_LIMITS } from './validate.js'
export { consentEventHash, GENESIS_HASH, type HashText } from './chain.js'
