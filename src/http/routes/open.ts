import { dayOf } from '../../policy/calendar.js'
import { TokenError } from '../../tokens/errors.js'
import type { ConsentRecord } from '../../policy/types.js'
import type { TokenClaims } from '../../tokens/types.js'
import { checkTokenNow, decideNow, readRecord, runHook, verifyToken, type HandlerEnv, type Visit } from '../lib/env.js'
import { pixelResponse, type PlainResponse } from '../lib/responses.js'
import type { OpenReport } from '../types.js'
import type { Route } from './route.js'

/**
 * `GET|HEAD /o/:token`: the pixel. The GIF goes out whatever happens (errors
 * become the GIF too); the open is reported only if the token verifies and
 * the contact's consent allows opens at the instant of the hit.
 */
export const openRoute: Route = {
  purpose: 'open',
  methods: ['GET', 'HEAD'],
  handle(env, visit) {
    // HEAD is a prefetcher's or scanner's probe, never an open.
    if (visit.head) return pixelResponse(true)
    // Every refusal gets the GIF alike: no need to tell a malformed token from a forged one.
    const checked = checkTokenNow(env, visit, 'open', false)
    if (checked === undefined) return verifyToken(env, visit, 'open').then((claims) => opened(env, visit, claims))
    // A refused token: the GIF, as for every error, without building an error for it.
    if (checked instanceof TokenError) return pixelResponse(false)
    return opened(env, visit, checked)
  },
}

/**
 * The pixel for a verified token, once the open is reported if consent allows
 * it. Without a promise when the store reads synchronously and the hook
 * returns none: the GIF then goes out within the request event.
 */
function opened(env: HandlerEnv, visit: Visit, claims: TokenClaims): PlainResponse | Promise<PlainResponse> {
  const record = readRecord(env, claims.contactId)
  if (record instanceof Promise) return record.then((read) => reported(env, visit, claims, read))
  return reported(env, visit, claims, record)
}

function reported(env: HandlerEnv, visit: Visit, claims: TokenClaims, record: ConsentRecord | null): PlainResponse | Promise<PlainResponse> {
  const decision = decideNow(env, record, visit.at)
  if (!decision.opens) return pixelResponse(false)
  let report: OpenReport
  if (decision.listHygiene) {
    report = { mode: 'list-hygiene', contactId: claims.contactId, date: dayOf(visit.at, env.policy.timeZone) }
  } else {
    const seen = env.classify(visit.userAgent, visit.ip)
    report = {
      mode: 'tracked',
      contactId: claims.contactId,
      tokenId: claims.tokenId,
      at: visit.at,
      device: seen.device,
      machine: seen.machine,
    }
    if (claims.messageId !== undefined) report.messageId = claims.messageId
    if (seen.machineKind) report.machineKind = seen.machineKind
  }
  const pending = runHook(env, 'onOpen', report, visit.request)
  return pending ? pending.then(() => pixelResponse(false)) : pixelResponse(false)
}
