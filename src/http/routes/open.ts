import { dayOf } from '../../policy/calendar.js'
import { TokenError } from '../../tokens/errors.js'
import { checkTokenNow, decideNow, readRecord, runHook, verifyToken } from '../lib/env.js'
import { pixelResponse } from '../lib/responses.js'
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
  async handle(env, visit) {
    // HEAD is a prefetcher's or scanner's probe, never an open.
    if (visit.head) return pixelResponse(true)
    const checked = checkTokenNow(env, visit, 'open') ?? (await verifyToken(env, visit, 'open'))
    // A refused token: the GIF, as for every error, without building an error for it.
    if (checked instanceof TokenError) return pixelResponse(false)
    const claims = checked
    const record = await readRecord(env, claims.contactId)
    const decision = decideNow(env, record, visit.at)
    if (decision.opens) {
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
      if (pending) await pending
    }
    return pixelResponse(false)
  },
}
