// @ts-check
// Exporting the accountability file for an audit, and checking it the way an auditor would:
// recomputing the hash chain from the exported file alone.
// With the CLI: `email-tracking-consent export --format jsonl -o consent.jsonl`, `verify`, `report -o audit.html`.
// Run: node examples/audit-export.mjs
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { consentEventHash, GENESIS_HASH } from 'email-tracking-consent/store'
import { createSqliteStore } from 'email-tracking-consent/store/sqlite'

const dir = mkdtempSync(join(tmpdir(), 'etc-audit-'))
const store = createSqliteStore({ database: join(dir, 'consent.db') })
const day = (/** @type {string} */ d) => new Date(`${d}T09:00:00Z`)
await store.record({ id: 'a1', contactId: 'c_ada', type: 'collect', at: day('2026-05-02'), source: 'form', noticeVersion: '2026-04', evidence: { formId: 'signup', ip: '203.0.113.7' } })
await store.record({ id: 'a2', contactId: 'c_ada', type: 'grant', at: day('2026-05-02'), source: 'form', noticeVersion: '2026-04', evidence: { formId: 'signup', ip: '203.0.113.7' } })
await store.record({ id: 'a3', contactId: 'c_bob', type: 'inform', at: day('2026-05-20'), source: 'import', noticeVersion: '2026-04' })
await store.record({ id: 'a4', contactId: 'c_bob', type: 'deny', purposes: ['opens'], at: day('2026-06-01'), source: 'preference-center', evidence: { tokenId: 'Zx81' } })
await store.record({ id: 'a5', contactId: 'c_ada', type: 'withdraw', at: day('2026-10-03'), source: 'withdrawal-link', evidence: { tokenId: 'Qa27', userAgent: 'Mozilla/5.0' } })

// 1. The sender exports every event, streamed, as JSON Lines.
const file = join(dir, 'consent-export.jsonl')
const out = createWriteStream(file)
let exported = 0
for await (const event of store.export({ since: new Date('2026-01-01') })) {
  if (!out.write(JSON.stringify(event) + '\n')) await once(out, 'drain')
  exported++
}
out.end()
await once(out, 'finish')
const check = await store.verify()
console.log(`exported ${exported} events to ${file}; store.verify(): ${check.ok ? 'intact' : `broken at seq ${check.firstBadSeq}`}, head hash ${check.head?.hash}`)

// 2. The auditor recomputes the chain from the file, without the database.
let prevHash = GENESIS_HASH
let seq = 0
let broken = ''
for await (const line of createInterface({ input: createReadStream(file) })) {
  const e = JSON.parse(line)
  const event = { ...e, at: new Date(e.at), recordedAt: new Date(e.recordedAt) }
  seq++
  if (event.seq !== seq || event.prevHash !== prevHash || consentEventHash(event) !== event.hash) {
    broken = `seq ${event.seq}`
    break
  }
  prevHash = event.hash
}
console.log(broken ? `auditor: chain broken at ${broken}` : `auditor: ${seq} events chain up to ${prevHash}, matching the store's head: ${prevHash === check.head?.hash}`)

await store.close()
rmSync(dir, { recursive: true, force: true })
if (broken || prevHash !== check.head?.hash || !check.ok) process.exit(1)
console.log('ok')
