import { changeReport, evidenceOf, preferencesUrl, readRecord, recordEvents, runHook, sendPage, verifyToken } from '../lib/env.js'
import { checkHumanForm, issueNonce, readForm } from '../lib/form.js'
import type { Route } from './route.js'

/**
 * `/w/:token`: withdraw tracking consent. GET and HEAD show the confirmation
 * page and change nothing; a human POST records `withdraw` for opens and clicks.
 */
export const withdrawRoute: Route = {
  purpose: 'withdraw',
  methods: ['GET', 'HEAD', 'POST'],
  async handle(env, visit) {
    const claims = await verifyToken(env, visit, 'withdraw')
    if (visit.request.method !== 'POST') return sendPage(env, visit, env.pages.withdraw(visit.locale, { nonce: issueNonce(env, visit, claims) }))

    const servedAt = checkHumanForm(env, visit, claims, await readForm(env, visit))
    const record = await readRecord(env, claims.contactId)
    // A second confirmation (double submit, link opened again) changes nothing and records nothing.
    const already = record?.opens.status === 'withdrawn' && record.clicks.status === 'withdrawn'
    const events = already
      ? []
      : await recordEvents(env, [
          {
            id: `withdraw:${claims.tokenId}:${servedAt}`,
            contactId: claims.contactId,
            type: 'withdraw',
            purposes: ['opens', 'clicks'],
            at: visit.at,
            source: 'withdrawal-link',
            evidence: evidenceOf(visit, claims, { formServedAt: new Date(servedAt).toISOString() }),
          },
        ])
    await runHook(env, 'onWithdraw', changeReport(visit, claims, events), visit.request)
    return sendPage(env, visit, env.pages.withdrawDone(visit.locale, { preferencesUrl: await preferencesUrl(env, claims) }))
  },
  async formAgain(env, visit, alert) {
    return env.pages.withdraw(visit.locale, { nonce: issueNonce(env, visit, visit.claims!), alert })
  },
}

