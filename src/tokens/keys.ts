import { importJWK } from 'jose'
import { decodeBase64url } from '../lib/base64url.js'
import { hmac, hmacKey, type HmacKey } from '../lib/sha256.js'
import { TokenError } from './errors.js'
import type { KeyInput } from './types.js'

type JoseKey = Awaited<ReturnType<typeof importJWK>>

/** A ring key ready for use: imported once, never per call. */
export interface PreparedKey {
  kid: string
  alg: 'HS256' | 'EdDSA'
  /** Absent for a verify-only Ed25519 key. */
  signKey?: Promise<JoseKey>
  verifyKey: Promise<JoseKey>
  /** Keys the purpose tags and click-target MACs. */
  mac: HmacKey
  /** HS256 only: the signing secret as an HMAC key, for the synchronous check of this library's own tokens. */
  jws?: HmacKey
}

const MIN_SECRET_BYTES = 32
const encoder = new TextEncoder()

function secretBytes(secret: Uint8Array | string, kid: string, field: string): Uint8Array {
  const bytes = typeof secret === 'string' ? decodeBase64url(secret) : secret
  if (!(bytes instanceof Uint8Array))
    throw new TokenError('invalid-key', `Key "${kid}": ${field} must be bytes or a base64url string`)
  if (bytes.length < MIN_SECRET_BYTES)
    throw new TokenError('invalid-key', `Key "${kid}": ${field} must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length})`)
  return bytes
}

// The MAC key is derived, never the signing secret itself, so the two uses cannot be confused.
function deriveMacKey(secret: Uint8Array): HmacKey {
  return hmacKey(hmac(hmacKey(secret), encoder.encode('email-tracking-consent/mac/v1')))
}

// Rejections are observed later by sign/verify; this keeps an unused bad key from crashing the process.
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined)
  return promise
}

function importFailed(kid: string) {
  return (cause: unknown): never => {
    throw new TokenError('invalid-key', `Key "${kid}" could not be imported`, { cause })
  }
}

/** Validates and pre-imports the key ring. */
export function prepareKeys(keys: readonly KeyInput[]): PreparedKey[] {
  if (!Array.isArray(keys) || keys.length === 0) throw new TokenError('invalid-key', 'createTokens needs at least one key')
  const seen = new Set<string>()
  return keys.map((input) => {
    if (typeof input !== 'object' || input === null) throw new TokenError('invalid-key', 'Each key must be an object')
    const kid = input.kid
    if (typeof kid !== 'string' || !/^[\w.-]{1,64}$/.test(kid))
      throw new TokenError('invalid-key', 'Each key needs a kid of 1-64 letters, digits, dot, dash or underscore')
    if (seen.has(kid)) throw new TokenError('invalid-key', `Duplicate kid "${kid}"`)
    seen.add(kid)
    if (input.alg === undefined || input.alg === 'HS256') {
      const secret = secretBytes(input.secret, kid, 'secret')
      const imported = quiet(
        globalThis.crypto.subtle
          .importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
          .catch(importFailed(kid)),
      )
      return { kid, alg: 'HS256', signKey: imported, verifyKey: imported, mac: deriveMacKey(secret), jws: hmacKey(secret) }
    }
    if (input.alg === 'EdDSA') {
      const { publicJwk, privateJwk } = input
      if (publicJwk?.kty !== 'OKP' || publicJwk.crv !== 'Ed25519' || typeof publicJwk.x !== 'string' || 'd' in publicJwk)
        throw new TokenError('invalid-key', `Key "${kid}": publicJwk must be a public Ed25519 OKP JWK`)
      if (privateJwk !== undefined && (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string'))
        throw new TokenError('invalid-key', `Key "${kid}": privateJwk must be a private Ed25519 OKP JWK`)
      const macSecret = secretBytes(input.macSecret, kid, 'macSecret')
      const verifyKey = quiet(importJWK({ ...publicJwk, ext: false }, 'EdDSA').catch(importFailed(kid)))
      const signKey = privateJwk ? quiet(importJWK({ ...privateJwk, ext: false }, 'EdDSA').catch(importFailed(kid))) : undefined
      return { kid, alg: 'EdDSA', signKey, verifyKey, mac: deriveMacKey(macSecret) }
    }
    throw new TokenError('invalid-key', `Key "${kid}": alg must be 'HS256' or 'EdDSA'`)
  })
}
