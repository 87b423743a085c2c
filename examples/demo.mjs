// `npm run demo`: the library's main job on sample contacts, end to end on the
// embedded defaults. It grows with each capability.
import { cnilPolicy, decide } from 'email-tracking-consent'

const at = (d) => new Date(`${d}T10:00:00Z`)
const now = at('2026-11-29')
const contacts = [
  { label: 'opted in (form, 2026-05)', record: { contactId: 'c_optin', opens: { status: 'granted', at: at('2026-05-02') }, clicks: { status: 'granted', at: at('2026-05-02') }, collectedAt: at('2026-05-02') } },
  { label: 'legacy, informed, no objection', record: { contactId: 'c_legacy', opens: { status: 'unknown' }, clicks: { status: 'unknown' }, collectedAt: at('2024-03-10'), informedAt: at('2026-05-20') } },
  { label: 'legacy, objected to opens', record: { contactId: 'c_objected', opens: { status: 'denied', at: at('2026-06-01') }, clicks: { status: 'unknown' }, collectedAt: at('2024-03-10'), informedAt: at('2026-05-20') } },
  { label: 'withdrew through the link', record: { contactId: 'c_withdrawn', opens: { status: 'withdrawn', at: at('2026-10-03') }, clicks: { status: 'withdrawn', at: at('2026-10-03') }, collectedAt: at('2026-05-02') } },
  { label: 'unknown to the store', record: null },
  { label: 'new, no answer yet', record: { contactId: 'c_new', opens: { status: 'unknown' }, clicks: { status: 'unknown' }, collectedAt: at('2026-09-14') } },
  { label: 'asked for consent 2026-10-01', record: { contactId: 'c_asked', opens: { status: 'unknown' }, clicks: { status: 'unknown' }, collectedAt: at('2026-09-14'), lastRequestAt: at('2026-10-01') } },
]

const rows = []
for (const { label, record } of contacts) {
  for (const category of ['marketing', 'consent-request', 'transactional']) {
    const d = decide(record, category, { now, policy: cnilPolicy() })
    rows.push({ contact: label, category, send: d.send, opens: d.opens, clicks: d.clicks, basis: d.basis, reasons: d.reasons.join(' ') })
  }
}
console.log(`Decisions on ${now.toISOString().slice(0, 10)} under ${decide(null, 'marketing').policy}:\n`)
console.table(rows)
await import('./nodemailer-demo.mjs')
