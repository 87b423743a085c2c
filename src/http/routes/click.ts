import { CLICK_MAC_PARAM, CLICK_TARGET_PARAM } from '../../lib/routes.js'
import { HttpError } from '../errors.js'
import { decideNow, readRecord, runHook, verifyToken } from '../lib/env.js'
import { redirectResponse } from '../lib/responses.js'
import type { ClickReport } from '../types.js'
import type { Route } from './route.js'

/**
 * `GET|HEAD /c/:token?u=&h=`: a 302 to the target bound to the token, never
 * anywhere else. The click is reported only if consent allows clicks now; a
 * store failure never blocks the redirect.
 */
export const clickRoute: Route = {
  purpose: 'click',
  methods: ['GET', 'HEAD'],
  async handle(env, visit) {
    const claims = await verifyToken(env, visit, 'click')
    const query = new URLSearchParams(visit.search)
    const target = query.get(CLICK_TARGET_PARAM)
    const mac = query.get(CLICK_MAC_PARAM) ?? undefined
    if (target === null) throw new HttpError('bad-target', 'The link names no target')
    let url: URL
    try {
      url = new URL(target)
    } catch (cause) {
      throw new HttpError('bad-target', 'The target is not a URL', { cause })
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpError('bad-target', 'Only http(s) targets are followed')
    if (!env.tokens.isBoundTarget(claims, target, mac)) throw new HttpError('bad-target', 'The target is not the one bound to this link')
    if (!visit.head) await reportClick(visit, claims, url.href)
    return redirectResponse(url.href)

    async function reportClick(v: typeof visit, c: typeof claims, href: string): Promise<void> {
      let allowed: boolean
      try {
        allowed = decideNow(env, await readRecord(env, c.contactId), v.at).clicks
      } catch (error) {
        // The visitor still gets where they were going; an unreported click is the fail-closed side.
        env.logger.error('email-tracking-consent: consent unknown, click not reported', { error })
        return
      }
      if (!allowed) return
      const seen = env.classify(v.userAgent, v.ip)
      const report: ClickReport = { contactId: c.contactId, tokenId: c.tokenId, url: href, at: v.at, device: seen.device, machine: seen.machine }
      if (c.messageId !== undefined) report.messageId = c.messageId
      if (seen.machineKind) report.machineKind = seen.machineKind
      await runHook(env, 'onClick', report, v.request)
    }
  },
}
