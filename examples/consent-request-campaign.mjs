// @ts-check
// A consent-request campaign for addresses collected without a form: no pixel, the only
// personal link is the consent link, and nobody is asked again within 6 months of being asked
// (or of saying no). Each request sent is recorded, so the next run respects the wait.
// Run: node examples/consent-request-campaign.mjs
import nodemailer from 'nodemailer'
import { cnilPolicy, compile, createTokens } from 'email-tracking-consent'
import { sendCampaign } from 'email-tracking-consent/nodemailer'
import { createMemoryStore } from 'email-tracking-consent/store'

const DAY = 86_400_000
const now = new Date()
const ago = (/** @type {number} */ days) => new Date(now.getTime() - days * DAY)
const policy = cnilPolicy() // requestCooldownMonths: 6
const store = createMemoryStore()
const tokens = createTokens({ keys: [{ kid: 'example-1', secret: crypto.getRandomValues(new Uint8Array(32)) }] })

/** @type {[string, string, import('email-tracking-consent/store').ConsentEventInput[]][]} */
const contacts = [
  ['c_never', 'collected at a trade fair, never asked', []],
  ['c_asked_2m', 'asked 2 months ago, no answer', [{ contactId: 'c_asked_2m', type: 'request', at: ago(61), source: 'consent-email' }]],
  ['c_asked_7m', 'asked 7 months ago, no answer', [{ contactId: 'c_asked_7m', type: 'request', at: ago(214), source: 'consent-email' }]],
  ['c_refused_3m', 'said no 3 months ago', [{ contactId: 'c_refused_3m', type: 'deny', at: ago(92), source: 'consent-email' }]],
  ['c_granted', 'already accepted', [{ contactId: 'c_granted', type: 'grant', at: ago(30), source: 'consent-email', noticeVersion: '2026-04' }]],
]
for (const [contactId, , events] of contacts) {
  await store.record({ contactId, type: 'collect', at: ago(400), source: 'third-party', evidence: { list: 'trade-fair-2025' } })
  for (const event of events) await store.record(event)
}

const html = `<!doctype html><html><body>
<p>Hello, may we measure whether you open our emails and which links you click? It helps us send fewer, better emails.</p>
<p><a data-tracking="consent" href="#">Yes, I accept</a></p>
<p>If you do nothing, nothing changes: our emails stay untracked.</p>
</body></html>`
const campaign = compile(html, { tokens, baseUrl: 'https://t.example.com/email', policy })
const transporter = nodemailer.createTransport({ jsonTransport: true })

async function run(/** @type {string} */ label) {
  /** @type {string[]} */
  const sent = []
  const summary = await sendCampaign(
    transporter,
    campaign,
    contacts.map(([contactId]) => ({ contactId, to: `${contactId.slice(2)}@example.org` })),
    {
      store,
      category: 'consent-request',

      mail: { from: 'hello@example.com', subject: 'May we measure our emails?' },
      onMessage: ({ recipient, outcome }) => {
        if (outcome.status !== 'skipped') sent.push(recipient.contactId)
        else console.log(`  skip ${recipient.contactId.padEnd(13)} ${outcome.decision?.reasons.join(', ')}`)
      },
    },
  )
  // Record each request sent: this starts the 6-month wait for that contact.
  for (const contactId of sent) await store.record({ contactId, type: 'request', at: new Date(), source: 'consent-email' })
  console.log(`${label}: sent to ${sent.join(', ') || 'nobody'} (${summary.sent} sent, ${summary.skipped} skipped)`)
  return sent
}

for (const [contactId, state] of contacts) console.log(`${contactId.padEnd(13)} ${state}`)
const first = await run('first run')
const second = await run('same campaign again today')
if (first.sort().join() !== 'c_asked_7m,c_never' || second.length !== 0) process.exit(1)
console.log('ok: only contacts outside the 6-month wait were asked, and nobody twice')
