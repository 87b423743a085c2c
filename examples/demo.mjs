// @ts-check
// `npm run demo`: the library's main job, end to end, on the embedded SQLite store, with nothing
// else running. Everything it writes goes to .demo/. `npm run demo -- --serve` keeps the web
// endpoints up afterwards and prints links to open in a browser.
import { execFileSync, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { simpleParser } from 'mailparser'
import nodemailer from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { cnilPolicy, compile, createTokens } from 'email-tracking-consent'
import { createHandler } from 'email-tracking-consent/http'
import { toNodeListener } from 'email-tracking-consent/http/node'
import { consentTracking, sendCampaign, sendWithConsent } from 'email-tracking-consent/nodemailer'
import { createSqliteStore } from 'email-tracking-consent/store/sqlite'

const root = fileURLToPath(new URL('..', import.meta.url))
// ETC_DEMO_DIR moves the output elsewhere (the tests use a temporary folder).
const out = process.env.ETC_DEMO_DIR ?? join(root, '.demo')
const outbox = join(out, 'outbox')
const cliPath = join(root, 'dist', 'cli', 'index.js')
const serveMode = process.argv.includes('--serve')
const show = (/** @type {string} */ path) => relative(process.cwd(), path) || '.'
const DAY = 86_400_000
const now = new Date()
const day = (/** @type {Date} */ d) => d.toISOString().slice(0, 10)
const ago = (/** @type {number} */ days) => new Date(now.getTime() - days * DAY)
const policy = cnilPolicy()
// The output is written to read well in a terminal 120 columns wide.
const WIDTH = 120

/**
 * Prints `text` indented and, when too long, wrapped to WIDTH: after each `; `, then at spaces if still needed.
 * Continuation lines are indented two more.
 */
function say(/** @type {string} */ indent, /** @type {string} */ text) {
  /** @type {string[]} */
  const lines = []
  for (const clause of indent.length + text.length > WIDTH ? text.split(/(?<=;) /) : [text]) {
    let line = ''
    for (const word of clause.split(' ')) {
      const room = WIDTH - (lines.length ? indent.length + 2 : indent.length)
      if (line && line.length + 1 + word.length > room) {
        lines.push(line)
        line = word
      } else line = line ? `${line} ${word}` : word
    }
    lines.push(line)
  }
  lines.forEach((line, i) => console.log(`${indent}${i ? '  ' : ''}${line}`))
}

/** Runs the CLI as a user would (`npx email-tracking-consent …` in a clone), echoing the command and what it prints. */
function cli(/** @type {string[]} */ ...args) {
  console.log(`   $ npx email-tracking-consent ${args.join(' ')}`)
  const run = spawnSync(process.execPath, [cliPath, ...args], { cwd: out, encoding: 'utf8' })
  for (const line of `${run.stdout}${run.stderr}`.trim().split('\n')) if (line) say('     ', line)
  if (run.status !== 0) throw new Error(`email-tracking-consent ${args[0]} exited with ${run.status}`)
  return run.stdout
}

rmSync(out, { recursive: true, force: true })
mkdirSync(outbox, { recursive: true })
console.log(`email-tracking-consent demo: policy ${policy.id}@${policy.version}, today ${day(now)}. Everything it writes goes to ${show(out)}/.\n`)

// ---- 1. keys and store ---------------------------------------------------------------
console.log('1. Keys and the consent store')
console.log(`   (the commands shown run in ${show(out)}/; \`npx email-tracking-consent\` runs this package's CLI, built in dist/)`)
execFileSync(process.execPath, [cliPath, 'keygen', '-o', 'keys.json'], { cwd: out, stdio: 'ignore' })
console.log('   $ npx email-tracking-consent keygen -o keys.json')
const keyFile = JSON.parse(readFileSync(join(out, 'keys.json'), 'utf8'))
console.log(`     signing key ${keyFile.keys[0].kid} (HS256), kept in ${show(join(out, 'keys.json'))} (mode 600)`)
const storeUrl = 'sqlite:consent.db'
console.log(`   the store is an SQLite file: ${show(join(out, 'consent.db'))} (hash-chained, append-only)\n`)

// ---- 2. contacts in every state, imported from a CSV history ------------------------------
/**
 * contact, what we know, and its history as import rows (event, date, purposes, source, notice version, form id).
 * Dates that only matter relative to the send are counted back from today, so the table is the same whatever day
 * the demo runs (a refusal 60 days ago keeps the 6-month wait running). Only the legacy contacts have fixed dates:
 * they were collected before the rules began (2026-04-14) and informed during the transition (until 2026-07-14).
 */
const CONTACTS = [
  ['c_optin', 'opted in on the signup form', [['collected', ago(180), '', 'form', '2026-04', 'signup'], ['granted', ago(180), 'both', 'form', '2026-04', 'signup']]],
  ['c_legacy', 'collected before 2026-04-14, informed, did not object', [['collected', new Date('2024-03-10T09:00:00Z')], ['informed', new Date('2026-05-20T09:00:00Z'), '', 'import', '2026-04']]],
  ['c_objected', 'legacy, informed, then objected', [['collected', new Date('2024-03-10T09:00:00Z')], ['informed', new Date('2026-05-20T09:00:00Z'), '', 'import', '2026-04'], ['objected', ago(60), 'both', 'preference-center', '2026-04']]],
  ['c_withdrawn', 'opted in, later withdrew with the link', [['collected', ago(180), '', 'form', '2026-04', 'signup'], ['granted', ago(180), 'both', 'form', '2026-04', 'signup'], ['withdrawn', ago(57), 'both', 'withdrawal-link']]],
  ['c_unknown', 'not in the store (e.g. a bought list)', []],
  ['c_new', 'collected recently, never asked', [['collected', ago(76), '', 'third-party']]],
  ['c_asked', 'collected recently, asked for consent 3 weeks ago', [['collected', ago(76), '', 'third-party'], ['requested', ago(21), '', 'consent-email']]],
]
const csv = ['contact_id,event,at,purposes,source,notice_version,evidence.formId']
for (const [id, , rows] of CONTACTS)
  for (const [event, at, purposes = '', source = 'import', notice = '', form = ''] of /** @type {[string, Date, string?, string?, string?, string?][]} */ (rows))
    csv.push([id, event, at.toISOString(), purposes, source, notice, form].join(','))
writeFileSync(join(out, 'contacts.csv'), csv.join('\n') + '\n')
console.log(`2. Contacts and their consent history, imported from ${show(join(out, 'contacts.csv'))}`)
cli('import', 'contacts.csv', '--store', storeUrl)
cli('import', 'contacts.csv', '--store', storeUrl)
console.log('     (the second import added nothing: event ids come from the rows, so importing is idempotent)')
for (const [id, state] of CONTACTS) console.log(`     ${String(id).padEnd(12)} ${state}`)
console.log()

// ---- the store, the keys and the endpoints on loopback ------------------------------------
const store = createSqliteStore({ database: join(out, 'consent.db') })
const tokens = createTokens({ keys: keyFile.keys })
const handler = createHandler({ tokens, store, basePath: '/t', policy, pages: { brand: { name: 'Demo Shop' } } })
const web = createServer(toNodeListener(handler))
web.listen(serveMode ? Number(process.env.PORT ?? 8080) : 0, '127.0.0.1')
await Promise.race([once(web, 'listening'), once(web, 'error').then(() => web.listen(0, '127.0.0.1')).then(() => once(web, 'listening'))])
const webAddress = web.address()
const origin = `http://127.0.0.1:${typeof webAddress === 'object' && webAddress ? webAddress.port : 0}`
const baseUrl = `${origin}/t`

// A loopback SMTP server stands in for your mail relay: every message is saved as .eml.
let saved = 0
/** @type {Map<string, string>} message key → file */
const files = new Map()
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onData(stream, session, done) {
    /** @type {Buffer[]} */
    const chunks = []
    stream.on('data', (c) => chunks.push(c))
    stream.on('end', () => {
      const raw = Buffer.concat(chunks)
      const key = /^X-Demo-Key: (.+)$/m.exec(raw.toString('latin1'))?.[1]?.trim() ?? `message-${saved}`
      const file = join(outbox, `${String(++saved).padStart(2, '0')}-${key}.eml`)
      writeFileSync(file, raw)
      files.set(key, file)
      done()
    })
  },
})
smtp.listen(0, '127.0.0.1')
await once(smtp.server, 'listening')
const smtpAddress = smtp.server.address()
const smtpPort = typeof smtpAddress === 'object' && smtpAddress ? smtpAddress.port : 0
const transporter = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true })
transporter.use('compile', consentTracking({ store, tokens, baseUrl, policy, unsubscribe: true }))

// ---- 3 & 4. render the campaigns and send them through Nodemailer ---------------------------
const template = (/** @type {string} */ name) => readFileSync(fileURLToPath(new URL(`templates/${name}`, import.meta.url)), 'utf8')
// The newsletter as exported from an ESP: with the ESP's own open pixel, which must not survive untracked.
const ESP_PIXEL = '<img src="https://u1234.ct.sendgrid.net/wf/open?upn=demo-recipient-token" width="1" height="1" alt="">'
const newsletter = template('newsletter.html').replace('</body>', `${ESP_PIXEL}\n</body>`)
const recipients = CONTACTS.map(([id]) => String(id))
const address = (/** @type {string} */ id) => `${id.slice(2)}@example.org`

console.log('3. Campaigns rendered for every contact')
console.log(`   marketing:       examples/templates/newsletter.html (Cerberus, MIT) + an ESP open pixel, compiled once`)
console.log(`   consent request: examples/templates/consent-request.html, for contacts who have not opted in`)
console.log(`   transactional:   examples/templates/password-reset.html (Postmark, MIT), to c_withdrawn`)
console.log()
console.log(`4. Sent through Nodemailer (with the consentTracking plugin) to a loopback SMTP server on 127.0.0.1:${smtpPort}`)

/** @typedef {{ contact: string, category: string, outcome?: import('email-tracking-consent/nodemailer').ConsentOutcome, key?: string, note?: string }} Row */
/** @type {Row[]} */
const rows = []
/** @type {Map<string, import('email-tracking-consent/nodemailer').ConsentOutcome>} */
const outcomes = new Map()

async function campaign(/** @type {'marketing' | 'consent-request'} */ category, /** @type {string} */ html, /** @type {string} */ subject) {
  const compiled = compile(html, { tokens, baseUrl, policy, unsubscribe: true })
  const summary = await sendCampaign(
    transporter,
    compiled,
    recipients.map((contactId) => ({ contactId, to: address(contactId), mail: { headers: { 'X-Demo-Key': `${contactId}-${category}` } } })),
    {
      store,
      category,
      mail: { from: 'Demo Shop <news@shop.example.com>', subject },
      onMessage: ({ recipient, outcome }) => void outcomes.set(`${recipient.contactId}-${category}`, outcome),
    },
  )
  console.log(`   ${category}: ${summary.sent} sent (${summary.tracked} tracked, ${summary.untracked} untracked), ${summary.skipped} not sent`)
  return summary
}
await campaign('marketing', newsletter, 'Our autumn collection')
await campaign('consent-request', template('consent-request.html'), 'May we measure our emails?')
console.log('   (untracked = no pixel and no click tracking. A consent request is always untracked: the consent link is')
console.log('   its only personal link. "Not sent" = the rules say not to send it; step 6 gives the reason for each.)')
// Each consent request sent starts the 6-month wait before asking that contact again.
for (const [key, outcome] of outcomes)
  if (key.endsWith('-consent-request') && outcome.status !== 'skipped')
    await store.record({ contactId: String(outcome.contactId), type: 'request', at: new Date(), source: 'consent-email' })
const reset = await sendWithConsent(transporter, {
  from: 'Demo Shop <no-reply@shop.example.com>',
  to: address('c_withdrawn'),
  subject: 'Reset your password',
  html: template('password-reset.html'),
  headers: { 'X-Demo-Key': 'c_withdrawn-transactional' },
  consent: { contactId: 'c_withdrawn', category: 'transactional' },
})
if (reset.consentTracking) outcomes.set('c_withdrawn-transactional', reset.consentTracking)
for (const id of recipients) {
  rows.push({ contact: id, category: 'marketing', outcome: outcomes.get(`${id}-marketing`), key: `${id}-marketing` })
  rows.push({ contact: id, category: 'consent-request', outcome: outcomes.get(`${id}-consent-request`), key: `${id}-consent-request` })
}
rows.push({ contact: 'c_withdrawn', category: 'transactional', outcome: outcomes.get('c_withdrawn-transactional'), key: 'c_withdrawn-transactional' })
console.log(`   every message received was saved in ${show(outbox)}/\n`)

// ---- 5. a withdrawal through the web endpoints, exactly as a browser makes it --------------
console.log(`5. The web endpoints, on ${baseUrl}: c_optin withdraws from the link in the newsletter`)
const optinMail = await simpleParser(readFileSync(/** @type {string} */ (files.get('c_optin-marketing'))))
const withdrawUrl = new RegExp(`${baseUrl}/w/[A-Za-z0-9._-]+`).exec(String(optinMail.html))?.[0]
if (!withdrawUrl) throw new Error('the newsletter to c_optin has no withdrawal link')
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', accept: 'text/html', 'accept-language': 'en' }
const page = await fetch(withdrawUrl, { headers: BROWSER })
const pageHtml = await page.text()
const nonce = /name="nonce" value="([^"]+)"/.exec(pageHtml)?.[1]
const title = /<h1[^>]*>([^<]+)<\/h1>/.exec(pageHtml)?.[1]
console.log(`   GET  ${withdrawUrl.replace(/(\/w\/.{12}).*/, '$1…')} -> ${page.status} "${title}"`)
console.log('   (nothing changes on GET, because link scanners fetch links too; a person reads the page, and a form')
console.log('   posted within 2 s of the page is refused, as scanners post that fast)')
await new Promise((resolve) => setTimeout(resolve, 2100))
const done = await fetch(withdrawUrl, {
  method: 'POST',
  headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded', origin },
  body: new URLSearchParams({ nonce: nonce ?? '' }),
})
const afterRecord = await store.get('c_optin')
console.log(`   POST the form with its nonce -> ${done.status}; c_optin now: opens ${afterRecord?.opens.status}, clicks ${afterRecord?.clicks.status}`)
const next = await sendWithConsent(transporter, {
  from: 'Demo Shop <news@shop.example.com>',
  to: address('c_optin'),
  subject: 'Our winter collection',
  html: newsletter,
  headers: { 'X-Demo-Key': 'c_optin-marketing-after-withdrawal' },
  consent: { contactId: 'c_optin', category: 'marketing' },
})
rows.push({ contact: 'c_optin', category: 'marketing', outcome: next.consentTracking, key: 'c_optin-marketing-after-withdrawal', note: 'after c_optin withdrew in step 5, the next newsletter' })
console.log(`   the next newsletter to c_optin went out ${next.consentTracking?.status}\n`)

// ---- 6. what was decided and sent ---------------------------------------------------------
/** What the saved message carries, read back from the .eml. */
async function whatWasSent(/** @type {Row} */ row) {
  if (!row.outcome || row.outcome.status === 'skipped') return 'nothing'
  const file = row.key ? files.get(row.key) : undefined
  if (!file) return '?'
  const mail = await simpleParser(readFileSync(file))
  const html = String(mail.html || '')
  const count = (/** @type {string} */ segment) => html.split(`${baseUrl}/${segment}/`).length - 1
  const parts = []
  if (row.category === 'transactional') parts.push(html.trim() === template('password-reset.html').trim() ? 'untouched' : 'changed')
  if (count('o')) parts.push('our pixel')
  if (count('c')) parts.push(`${count('c')} tracked links`)
  if (count('w')) parts.push('withdrawal link')
  if (count('consent')) parts.push('consent link')
  if (row.category !== 'transactional' && !count('o') && !count('c')) parts.push('no tracking')
  if (row.category === 'marketing') parts.push(html.includes('ct.sendgrid.net') ? 'ESP pixel KEPT' : 'ESP pixel removed')
  if (row.category === 'consent-request' && !count('consent')) parts.push('no consent link (the contact is not in the store)')
  return parts.join(', ')
}

/** The reason codes, with the purpose prefixes merged when both purposes give the same code: `opens+clicks: granted`. */
function reasonsText(/** @type {string[]} */ reasons) {
  /** @type {Map<string, string[]>} code → the purposes it was given for (none for a record-level code) */
  const merged = new Map()
  for (const reason of reasons) {
    const m = /^(opens|clicks):(.+)$/.exec(reason)
    const code = m?.[2] ?? reason
    merged.set(code, [...(merged.get(code) ?? []), ...(m?.[1] ? [m[1]] : [])])
  }
  return [...merged].map(([code, purposes]) => (purposes.length ? `${purposes.join('+')}: ${code}` : code)).join(', ')
}

// One row per message: what was decided on the first line, what the recipient got on the line below.
// Rows are grouped by contact; the newsletter sent after the withdrawal of step 5 comes last.
const byContact = (/** @type {Row} */ row) => (row.note ? recipients.length : recipients.indexOf(row.contact))
const ordered = rows.map((row, i) => ({ row, i })).sort((a, b) => byContact(a.row) - byContact(b.row) || a.i - b.i).map(({ row }) => row)
const header = ['contact', 'category', 'decision', 'basis', 'reasons']
/** @type {{ cells: string[], got: string, contact: string, note?: string }[]} */
const table = []
for (const row of ordered) {
  const d = row.outcome?.decision
  const decision = !row.outcome ? '?' : row.outcome.status === 'skipped' ? 'not sent' : row.outcome.status
  table.push({ cells: [row.contact, row.category, decision, d?.basis ?? '', reasonsText(d?.reasons ?? [])], got: await whatWasSent(row), contact: row.contact, note: row.note })
}
const widths = header.map((_, c) => Math.max(header[c]?.length ?? 0, ...table.map((r) => r.cells[c]?.length ?? 0)))
const line = (/** @type {string[]} */ r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()
console.log('6. What was decided for each message, and below it what the recipient got')
console.log(`   ${line(header)}`)
console.log(`   ${widths.map((w) => '-'.repeat(w)).join('  ')}`)
/** @type {string | undefined} */
let previous
for (const r of table) {
  if (r.note) console.log(`\n   ${r.note}:`)
  else if (previous !== undefined && r.contact !== previous) console.log()
  previous = r.contact
  console.log(`   ${line(r.cells)}`)
  say(`   ${' '.repeat(widths[0] ?? 0)}  `, `got: ${r.got}`)
}
console.log()
for (const legend of [
  '   basis    consent = opted in; legacy-no-objection = collected before 2026-04-14, informed, did not object;',
  '            exempt = transactional mail, left as it was; none = nothing allows tracking',
  '   reasons  the reason codes of the decision (README "Reason codes"); "opens+clicks: x" = x for both purposes;',
  '            request-cooldown = asked for consent, or said no to tracking, less than 6 months ago',
  '   c_legacy is tracked on the legacy basis and still gets a consent request: every contact who has not granted',
  '   both purposes may be asked, at most once in 6 months. If c_legacy says yes, its basis becomes consent.',
])
  console.log(legend)
console.log()

// ---- the accountability file: export, verification, audit report ----------------------------
console.log('The accountability file')
cli('verify', '--store', storeUrl)
cli('export', '--store', storeUrl, '--format', 'csv', '-o', 'consent-export.csv')
cli('export', '--store', storeUrl, '--format', 'jsonl', '-o', 'consent-export.jsonl')
cli('report', '--store', storeUrl, '-o', 'audit.html')
console.log()
console.log('Files')
console.log(`   sent messages (.eml):        ${show(outbox)}/`)
console.log(`   accountability export:       ${show(join(out, 'consent-export.csv'))} and ${show(join(out, 'consent-export.jsonl'))}`)
console.log(`   audit report (open offline): ${show(join(out, 'audit.html'))}`)
console.log(`   consent store, keys, import: ${show(join(out, 'consent.db'))}, ${show(join(out, 'keys.json'))}, ${show(join(out, 'contacts.csv'))}`)

const ok = afterRecord?.opens.status === 'withdrawn' && next.consentTracking?.status === 'untracked' && outcomes.get('c_optin-marketing')?.status === 'tracked'

transporter.close()
smtp.close()
if (serveMode) {
  const message = await tokens.signMessage({ contactId: 'c_legacy', purposes: ['withdraw', 'preferences', 'unsubscribe'] })
  const consentMessage = await tokens.signMessage({ contactId: 'c_new', purposes: ['consent'] })
  console.log(`\nThe endpoints stay up on ${baseUrl} (Ctrl-C stops). Open in a browser:`)
  console.log(`   stop tracking (c_legacy):     ${baseUrl}/w/${message.token('withdraw')}`)
  console.log(`   preference center (c_legacy): ${baseUrl}/p/${message.token('preferences')}`)
  console.log(`   unsubscribe (c_legacy):       ${baseUrl}/u/${message.token('unsubscribe')}`)
  console.log(`   accept tracking (c_new):      ${baseUrl}/consent/${consentMessage.token('consent')}`)
  console.log(`   then: npx email-tracking-consent report --store sqlite:${show(join(out, 'consent.db'))} -o ${show(join(out, 'audit.html'))}`)
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
}
web.close()
web.closeAllConnections()
await store.close()
if (!ok) {
  console.error('\nThe demo did not end as expected (see above).')
  process.exit(1)
}
console.log('\nDone.')
