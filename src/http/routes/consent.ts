import { changeReport, evidenceOf, preferencesUrl, recordEvents, runHook, sendPage, verifyToken } from '../lib/env.js'
import { checkHumanForm, issueNonce, readForm } from '../lib/form.js'
import type { Route } from './route.js'

/**
 * `/consent/:token`: the landing page of a consent-request email. GET and HEAD
 * explain what accepting means, with the notice version; a human POST records
 * `grant` for opens and clicks with source `consent-email` and that version.
 */
export const consentRoute: Route = {
  purpose: 'consent',
  methods: ['GET', 'HEAD', 'POST'],
  async handle(env, visit) {
    const claims = await verifyToken(env, visit, 'consent')
    const noticeVersion = claims.noticeVersion ?? env.noticeVersion
    if (visit.request.method !== 'POST') {
      const nonce = issueNonce(env, visit, claims)
      return sendPage(env, visit, env.pages.consent(visit.locale, { nonce, ...(noticeVersion ? { noticeVersion } : {}) }))
    }

    const servedAt = checkHumanForm(env, visit, claims, await readForm(env, visit))
    const events = await recordEvents(env, [
      {
        id: `consent:${claims.tokenId}:${servedAt}`,
        contactId: claims.contactId,
        type: 'grant',
        purposes: ['opens', 'clicks'],
        at: visit.at,
        source: 'consent-email',
        ...(noticeVersion ? { noticeVersion } : {}),
        evidence: evidenceOf(visit, claims, { formServedAt: new Date(servedAt).toISOString() }),
      },
    ])
    await runHook(env, 'onConsent', changeReport(visit, claims, events), visit.request)
    return sendPage(env, visit, env.pages.consentDone(visit.locale, { preferencesUrl: await preferencesUrl(env, claims) }))
  },
  async formAgain(env, visit, alert) {
    const noticeVersion = visit.claims!.noticeVersion ?? env.noticeVersion
    return env.pages.consent(visit.locale, { nonce: issueNonce(env, visit, visit.claims!), alert, ...(noticeVersion ? { noticeVersion } : {}) })
  },
}
