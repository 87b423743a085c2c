// Emails/s and MB/s of transform() single-shot and compile() + render()
// (tracked and untracked), beside baselines measured in the same run: an
// indexOf + slice pass (the floor of any per-email scan), a hast parse +
// serialize round trip, and the npm peer nodemailer-mail-tracking (its real
// sendMail: cheerio load/serialize plus one jsonwebtoken per link).
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fromHtml } from 'hast-util-from-html'
import { simpleParser } from 'mailparser'
import { toHtml } from 'hast-util-to-html'
import peer from 'nodemailer-mail-tracking'
import { compile, createTokens, transform } from '../dist/index.js'
import { referenceEmail } from './fixtures/reference-email.mjs'
import { checkTarget, measure, printTable } from './lib.mjs'

const BASE = 'https://t.example.com/mail'
const NOW = new Date('2026-09-01T10:00:00Z')
const granted = { status: 'granted', at: new Date('2026-05-02T09:00:00Z') }
const denied = { status: 'denied', at: new Date('2026-05-02T09:00:00Z') }
const collectedAt = new Date('2026-05-01T00:00:00Z')

/**
 * The `count` largest HTML bodies of the corpus: HTML files as they are, and
 * the HTML part of each raw message (.eml and extensionless files, parsed
 * with mailparser as the corpus tests do).
 */
async function largestCorpusHtml(count) {
  const root = new URL('../test/fixtures/corpus/', import.meta.url).pathname
  const bodies = []
  for (const dir of readdirSync(root).sort()) {
    const d = join(root, dir)
    if (!statSync(d).isDirectory()) continue
    for (const f of readdirSync(d).sort()) {
      const raw = readFileSync(join(d, f))
      const html = f.endsWith('.html') ? raw.toString('utf8') : (await simpleParser(raw)).html
      if (typeof html === 'string' && html !== '') bodies.push({ name: `${dir}/${f}`, html })
    }
  }
  return bodies.sort((a, b) => Buffer.byteLength(b.html) - Buffer.byteLength(a.html)).slice(0, count)
}

// The floor: one pass finding every href with indexOf and splicing a replacement in with slice.
function indexOfSlice(html, replacement) {
  let out = ''
  let pos = 0
  for (let at = html.indexOf('href="', pos); at >= 0; at = html.indexOf('href="', pos)) {
    const start = at + 6
    const end = html.indexOf('"', start)
    if (end < 0) break
    out += html.slice(pos, start) + replacement
    pos = end
  }
  return out + html.slice(pos)
}

export default async function transformBench() {
  const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
  const options = { tokens, baseUrl: BASE, now: NOW }
  const peerOptions = { baseUrl: 'https://t.example.com/mt', jwtSecret: randomBytes(32).toString('hex'), getData: () => ({}) }
  const sink = { sendMail: async () => ({ accepted: true }) }
  let n = 0
  const trackedContact = () => ({ contactId: `c_${++n}`, opens: granted, clicks: granted, collectedAt })
  const untrackedContact = () => ({ contactId: `c_${++n}`, opens: denied, clicks: denied, collectedAt })

  const emails = [{ name: 'reference 40 KB / 50 links', html: referenceEmail() }, ...(await largestCorpusHtml(3))]
  let ok = true
  for (const { name, html } of emails) {
    const bytes = Buffer.byteLength(html)
    const o = { bytesPerOp: bytes, ms: name.startsWith('reference') ? 2000 : 1000 }
    const campaign = compile(html, options)
    // Sanity: the measured paths produce what they claim.
    const check = await campaign.render(trackedContact(), 'marketing')
    if (!check.links.pixel || !check.links.withdraw) throw new Error(`${name}: tracked render did not track`)
    const rows = [
      await measure('indexOf + slice pass (floor)', () => indexOfSlice(html, 'https://t.example.com/mail/c/x'), o),
      await measure('hast parse + serialize round trip', () => toHtml(fromHtml(html)), o),
      await measure('nodemailer-mail-tracking (peer)', () =>
        peer.sendMail(peerOptions, sink, { from: 'news@example.com', to: `r${++n}@example.net`, subject: 'Autumn', html }), o),
      await measure('transform() single-shot, tracked', () => transform(html, trackedContact(), 'marketing', options), o),
      await measure('compile() once per campaign', () => compile(html, options), o),
      await measure('render() tracked', () => campaign.render(trackedContact(), 'marketing'), o),
      await measure('render() untracked', () => campaign.render(untrackedContact(), 'marketing'), o),
    ]
    printTable(`${name} (${(bytes / 1024).toFixed(1)} KB)`, rows, { baseline: 'nodemailer-mail-tracking (peer)', unit: 'emails/s' })
    if (name.startsWith('reference')) {
      const row = (label) => rows.find((r) => r.name === label).perSec
      ok = checkTarget('tracked render vs peer (x)', row('render() tracked') / row('nodemailer-mail-tracking (peer)'), 50) && ok
      ok = checkTarget('untracked render vs indexOf + slice (share)', row('render() untracked') / row('indexOf + slice pass (floor)'), 0.2) && ok
    }
  }
  return ok
}
