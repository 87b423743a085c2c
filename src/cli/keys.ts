import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { exportJWK, generateKeyPair } from 'jose'
import { createTokens } from '../tokens/create.js'
import type { KeyInput, Tokens } from '../tokens/types.js'
import { CliError, EXIT } from './exit-codes.js'
import { readInput, type CliIo } from './io.js'

/** Environment variable holding the key file's JSON itself (for secret managers and containers). */
export const KEYS_ENV = 'ETC_KEYS'
/** Environment variable holding the path of the key file. */
export const KEYS_FILE_ENV = 'ETC_KEYS_FILE'

/** The key file: the first key signs, every key verifies (rotation = put a new key first). */
export interface KeyFile {
  keys: KeyInput[]
}

/** Where the keys came from, for messages. */
export interface LoadedKeys {
  keys: KeyInput[]
  tokens: Tokens
  from: string
}

/** Accepts `{ "keys": [...] }`, a bare array, or a single key object. */
export function parseKeyFile(text: string, from: string): KeyInput[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new CliError(`${from} is not valid JSON: ${(err as Error).message}`, EXIT.invalidInput, { cause: err })
  }
  const keys = Array.isArray(json) ? json : typeof json === 'object' && json !== null && 'keys' in json ? (json as KeyFile).keys : [json]
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'object' || k === null))
    throw new CliError(`${from} must hold { "keys": [ ... ] } with at least one key`, EXIT.invalidInput)
  return keys as KeyInput[]
}

/**
 * Loads the key ring from `--keys <file>`, else `ETC_KEYS` (JSON), else
 * `ETC_KEYS_FILE` (path), and builds the token signer/verifier from it.
 */
export async function loadKeys(option: string | undefined, io: CliIo, issuer?: string): Promise<LoadedKeys> {
  let keys: KeyInput[]
  let from: string
  if (option !== undefined || io.env[KEYS_FILE_ENV]) {
    const path = option ?? io.env[KEYS_FILE_ENV]!
    from = path
    keys = parseKeyFile((await readInput(path)).toString('utf8'), path)
    warnIfShared(path, io)
  } else if (io.env[KEYS_ENV]) {
    from = `$${KEYS_ENV}`
    keys = parseKeyFile(io.env[KEYS_ENV]!, from)
  } else {
    throw new CliError(
      `no signing keys: pass --keys keys.json or set ${KEYS_ENV} / ${KEYS_FILE_ENV} (create them with: email-tracking-consent keygen -o keys.json)`,
      EXIT.usage,
    )
  }
  try {
    return { keys, tokens: createTokens(issuer === undefined ? { keys } : { keys, issuer }), from }
  } catch (err) {
    throw new CliError(`${from}: ${(err as Error).message}`, EXIT.invalidInput, { cause: err })
  }
}

// A secret readable by other users is a leak waiting to happen; say so without refusing.
function warnIfShared(path: string, io: CliIo): void {
  try {
    if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0)
      io.stderr.write(`warning: ${path} is readable by other users; run chmod 600 ${path}\n`)
  } catch {
    // readInput already succeeded; a stat failure here changes nothing.
  }
}

/** A fresh kid: the date plus a random suffix, so two keys made the same day differ. */
export function newKid(now = new Date()): string {
  return `k${now.toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(3).toString('hex')}`
}

/** A new HS256 key (32 random bytes, base64url) or Ed25519 key pair (JWK) with a MAC secret. */
export async function generateKey(alg: 'HS256' | 'EdDSA', kid: string): Promise<KeyInput> {
  if (alg === 'HS256') return { kid, alg: 'HS256', secret: randomBytes(32).toString('base64url') }
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: 'EdDSA', use: 'sig' }
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: 'EdDSA', use: 'sig' }
  return { kid, alg: 'EdDSA', publicJwk, privateJwk, macSecret: randomBytes(32).toString('base64url') }
}
