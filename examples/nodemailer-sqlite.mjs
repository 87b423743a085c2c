// @ts-check
// Nodemailer + the SQLite consent store: the compile plugin decides, per message,
// whether it goes out tracked or untracked. Run: node examples/nodemailer-sqlite.mjs
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nodemailer from 'nodemailer'
import { createTokens } from 'email-tracking-consent'
import { consentTracking, sendWithConsent } from 'email-tracking-consent/nodemailer'
import { createSqliteStore } from 'email-tracking-consent/store/sqlite'

const dir = mkdtempSync(join(tmpdir(), 'etc-example-'))
const store = createSqliteStore({ database: join(dir, 'consent.db') })
// In production the secret comes from `email-tracking-consent keygen` and your secret manager.
const tokens = createTokens({ keys: [{ kid: 'example-1', secret: crypto.getRandomValues(new Uint8Array(32)) }] })

// Two contacts: one ticked the box on the signup form, one withdrew later.
const signup = { at: new Date('2026-05-02T10:00:00Z'), source: /** @type {const} */ ('form'), noticeVersion: '2026-04', evidence: { formId: 'signup' } }
await store.record({ ...signup, id: 'ex-1', contactId: 'c_ada', type: 'collect' })
await store.record({ ...signup, id: 'ex-2', contactId: 'c_ada', type: 'grant' })
await store.record({ ...signup, id: 'ex-3', contactId: 'c_bob', type: 'collect' })
await store.record({ ...signup, id: 'ex-4', contactId: 'c_bob', type: 'grant' })
await store.record({ id: 'ex-5', contactId: 'c_bob', type: 'withdraw', at: new Date('2026-10-03T08:00:00Z'), source: 'withdrawal-link' })

// streamTransport keeps the messages in memory; use your SMTP or ESP transport instead.
const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
transporter.use('compile', consentTracking({ store, tokens, baseUrl: 'https://t.example.com/email', locale: 'en' }))

const html = `<!doctype html><html><body>
<p>Our autumn collection is here.</p>
<p><a href="https://shop.example.com/autumn?utm_source=newsletter">See it</a></p>
</body></html>`

let failures = 0
for (const [contactId, address, expected] of [['c_ada', 'ada@example.org', 'tracked'], ['c_bob', 'bob@example.org', 'untracked']]) {
  const info = await sendWithConsent(transporter, {
    from: 'news@example.com',
    to: address,
    subject: 'Autumn news',
    html,
    consent: { contactId, category: 'marketing' },
  })
  const outcome = info.consentTracking
  // The HTML part is quoted-printable: undo its soft line breaks and `=3D` before searching.
  const message = String(/** @type {{ message: Buffer }} */ (/** @type {unknown} */ (info)).message).replace(/=\r?\n/g, '').replaceAll('=3D', '=')
  const hasPixel = message.includes('https://t.example.com/email/o/')
  console.log(`${contactId}: ${outcome?.status} (basis ${outcome?.decision?.basis}; reasons ${outcome?.decision?.reasons.join(', ')}); pixel in message: ${hasPixel}`)
  if (outcome?.status !== expected || hasPixel !== (expected === 'tracked')) failures++
}

await store.close()
rmSync(dir, { recursive: true, force: true })
if (failures) {
  console.error(`${failures} message(s) did not come out as expected`)
  process.exit(1)
}
console.log('ok: the contact who consented got a tracked email, the one who withdrew an untracked one')
