import type { TokenClaims } from '../../tokens/types.js'
import { HttpError } from '../errors.js'
import type { HandlerEnv, Visit } from './env.js'

/** The string fields of a submitted form (file parts are ignored). */
export type FormFields = ReadonlyMap<string, string>

const CLOCK_SKEW_MS = 30_000
const URLENCODED = 'application/x-www-form-urlencoded'
const MULTIPART = 'multipart/form-data'

/**
 * Reads a form body (`application/x-www-form-urlencoded` or `multipart/form-data`)
 * of at most `maxBodyBytes`, streaming, so an oversized body is refused before
 * it is all in memory.
 */
export async function readForm(env: HandlerEnv, visit: Visit): Promise<FormFields> {
  const contentType = visit.request.headers.get('content-type') ?? ''
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase()
  if (mediaType !== URLENCODED && mediaType !== MULTIPART)
    throw new HttpError('unsupported-media-type', `A form body was expected, not ${JSON.stringify(mediaType || 'none')}`)
  const bytes = await readBody(visit.request, env.maxBodyBytes)
  const fields = new Map<string, string>()
  if (mediaType === URLENCODED) {
    for (const [name, value] of new URLSearchParams(new TextDecoder().decode(bytes))) if (!fields.has(name)) fields.set(name, value)
    return fields
  }
  let parsed: FormData
  try {
    parsed = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
  } catch (cause) {
    throw new HttpError('bad-request', 'The multipart body is malformed', { cause })
  }
  for (const [name, value] of parsed) if (typeof value === 'string' && !fields.has(name)) fields.set(name, value)
  return fields
}

async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw new HttpError('payload-too-large', `The body is larger than ${limit} bytes`)
  if (request.body === null) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > limit) {
        void reader.cancel().catch(() => {})
        throw new HttpError('payload-too-large', `The body is larger than ${limit} bytes`)
      }
      chunks.push(value)
    }
  } catch (cause) {
    if (cause instanceof HttpError) throw cause
    throw new HttpError('bad-request', 'The body could not be read', { cause })
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/**
 * The anti-scanner gate of every page form: refuses known automated agents,
 * then requires the nonce the page's GET issued for this token, returned no
 * sooner than `minDelayMs` and no later than `maxAgeMs`. Returns when the page
 * was served.
 */
export function checkHumanForm(env: HandlerEnv, visit: Visit, claims: TokenClaims, fields: FormFields): number {
  refuseAutomated(env, visit)
  const nonce = fields.get('nonce')
  const servedAt = nonce === undefined ? undefined : env.tokens.checkFormNonce(claims, nonce)
  if (servedAt === undefined) throw new HttpError('invalid-form', 'The form nonce is missing or does not verify for this link')
  const elapsed = visit.at.getTime() - servedAt
  // Another instance behind the load balancer may have served the page with a clock slightly ahead.
  if (elapsed < -CLOCK_SKEW_MS || elapsed > env.maxAgeMs) throw new HttpError('invalid-form', 'The form nonce is outside its validity window')
  if (elapsed < env.minDelayMs) throw new HttpError('form-too-fast', `The form came back ${elapsed} ms after its page`)
  return servedAt
}

/** Refuses a POST from a user agent that names a scanner, a crawler or a library (an IP match alone is not enough). */
export function refuseAutomated(env: HandlerEnv, visit: Visit): void {
  const seen = env.classify(visit.userAgent, visit.ip)
  if (seen.machine && (seen.matchedBy !== 'ip' || seen.machineKind === 'scanner'))
    throw new HttpError('automated-request', `Refused an automated client (${seen.machineKind})`)
}

/** The form nonce for a page served now. */
export function issueNonce(env: HandlerEnv, visit: Visit, claims: TokenClaims): string {
  return env.tokens.formNonce(claims, visit.at.getTime())
}
