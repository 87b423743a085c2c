import type { ConsentRecord, Purpose } from '../../policy/types.js'
import type { ConsentEventInput } from '../../store/types.js'
import { changeReport, decideNow, evidenceOf, readRecord, recordEvents, runHook, sendPage, verifyToken, type HandlerEnv } from '../lib/env.js'
import { checkHumanForm, issueNonce, readForm } from '../lib/form.js'
import type { PreferenceState } from '../pages/render.js'
import type { Route } from './route.js'

/**
 * What the contact has now, as the checkboxes show it: whether opens and clicks
 * are tracked in a marketing email sent at this instant (a legacy contact who
 * never objected shows as tracked), and the subscription.
 */
function currentState(env: HandlerEnv, record: ConsentRecord | null, at: Date): PreferenceState {
  // Judged as if subscribed, so an unsubscribed contact still sees their tracking choices.
  const decision = decideNow(env, record ? { ...record, subscribed: true } : null, at)
  return {
    // A list-hygiene open is not tracking the contact chose; it never shows as a choice.
    opens: decision.opens && !decision.listHygiene,
    clicks: decision.clicks,
    subscribed: record?.subscribed !== false,
  }
}

/**
 * `/p/:token`: the preference center. GET and HEAD show opens, clicks and the
 * subscription as they are now; a human POST records each change as its own
 * event (grant/withdraw per purpose, unsubscribe/resubscribe).
 */
export const preferencesRoute: Route = {
  purpose: 'preferences',
  methods: ['GET', 'HEAD', 'POST'],
  async handle(env, visit) {
    const claims = await verifyToken(env, visit, 'preferences')
    if (visit.request.method !== 'POST') {
      const state = currentState(env, await readRecord(env, claims.contactId), visit.at)
      return sendPage(env, visit, env.pages.preferences(visit.locale, { nonce: issueNonce(env, visit, claims), state }))
    }

    const fields = await readForm(env, visit)
    const servedAt = checkHumanForm(env, visit, claims, fields)
    const record = await readRecord(env, claims.contactId)
    const now = currentState(env, record, visit.at)
    const wanted: PreferenceState = { opens: fields.get('opens') === 'on', clicks: fields.get('clicks') === 'on', subscribed: fields.get('subscribed') === 'on' }
    const noticeVersion = claims.noticeVersion ?? env.noticeVersion
    const base = {
      contactId: claims.contactId,
      at: visit.at,
      source: 'preference-center' as const,
      evidence: evidenceOf(visit, claims, { formServedAt: new Date(servedAt).toISOString() }),
    }
    const id = (what: string) => `preferences:${claims.tokenId}:${servedAt}:${what}`
    const changes: ConsentEventInput[] = []
    for (const purpose of ['opens', 'clicks'] as Purpose[]) {
      if (wanted[purpose] === now[purpose]) continue
      changes.push(
        wanted[purpose]
          ? { ...base, id: id(`grant-${purpose}`), type: 'grant', purposes: [purpose], ...(noticeVersion ? { noticeVersion } : {}) }
          : { ...base, id: id(`withdraw-${purpose}`), type: 'withdraw', purposes: [purpose] },
      )
    }
    if (wanted.subscribed !== now.subscribed) {
      const type = wanted.subscribed ? 'resubscribe' : 'unsubscribe'
      changes.push({ ...base, id: id(type), type })
    }
    const events = await recordEvents(env, changes)
    await runHook(env, 'onPreferences', changeReport(visit, claims, events), visit.request)
    const page = env.pages.preferences(visit.locale, { nonce: issueNonce(env, visit, claims), state: wanted, saved: true })
    return sendPage(env, visit, page)
  },
  async formAgain(env, visit, alert) {
    const claims = visit.claims!
    const state = currentState(env, await readRecord(env, claims.contactId), visit.at)
    return env.pages.preferences(visit.locale, { nonce: issueNonce(env, visit, claims), state, alert })
  },
}
