import { HttpError } from '../errors.js'
import { changeReport, evidenceOf, preferencesUrl, readRecord, recordEvents, runHook, sendPage, verifyToken } from '../lib/env.js'
import { checkHumanForm, issueNonce, readForm } from '../lib/form.js'
import type { Route } from './route.js'

// Retries of the same one-click POST within this window are one event.
const ONE_CLICK_WINDOW_MS = 60_000

/**
 * `/u/:token`: unsubscribe. GET and HEAD show a confirmation page. POST is
 * either the RFC 8058 one-click (`List-Unsubscribe=One-Click`, sent by mailbox
 * providers: no nonce, no cookies, 200 and no redirect) or the page's own form
 * (which goes through the anti-scanner gate).
 */
export const unsubscribeRoute: Route = {
  purpose: 'unsubscribe',
  methods: ['GET', 'HEAD', 'POST'],
  async handle(env, visit) {
    const claims = await verifyToken(env, visit, 'unsubscribe')
    if (visit.request.method !== 'POST') return sendPage(env, visit, env.pages.unsubscribe(visit.locale, { nonce: issueNonce(env, visit, claims) }))

    const fields = await readForm(env, visit)
    const oneClick = fields.get('List-Unsubscribe') === 'One-Click'
    if (!oneClick && fields.has('List-Unsubscribe')) throw new HttpError('bad-request', 'List-Unsubscribe must be One-Click')
    // RFC 8058 §3.2: the one-click POST carries no nonce and must work without cookies or a prior GET.
    const servedAt = oneClick ? undefined : checkHumanForm(env, visit, claims, fields)
    const record = await readRecord(env, claims.contactId)
    const events =
      record?.subscribed === false
        ? []
        : await recordEvents(env, [
            {
              id: oneClick
                ? `unsubscribe:${claims.tokenId}:one-click:${Math.floor(visit.at.getTime() / ONE_CLICK_WINDOW_MS)}`
                : `unsubscribe:${claims.tokenId}:${servedAt}`,
              contactId: claims.contactId,
              type: 'unsubscribe',
              at: visit.at,
              source: 'withdrawal-link',
              evidence: evidenceOf(
                visit,
                claims,
                oneClick ? { method: 'rfc8058-one-click' } : { method: 'page', formServedAt: new Date(servedAt!).toISOString() },
              ),
            },
          ])
    await runHook(env, 'onUnsubscribe', changeReport(visit, claims, events), visit.request)
    const links = oneClick ? {} : { preferencesUrl: await preferencesUrl(env, claims) }
    return sendPage(env, visit, env.pages.unsubscribeDone(visit.locale, links))
  },
  async formAgain(env, visit, alert) {
    return env.pages.unsubscribe(visit.locale, { nonce: issueNonce(env, visit, visit.claims!), alert })
  },
}
