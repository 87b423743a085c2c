// Child process of the export memory tests (run with --expose-gc): fills a
// SQLite file with `count` events through the built adapter, then streams
// export() while sampling memory, and prints the figures as one JSON line.
import { createSqliteStore } from '../../dist/store/sqlite.js'

const [file, countArg] = process.argv.slice(2)
const count = Number(countArg)
const store = createSqliteStore({ database: file, synchronous: 'normal' })
const userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0 '.padEnd(200, 'x')
const at = new Date(Date.now() - 86_400_000)
const fillStart = performance.now()
for (let i = 0; i < count; i += 5000) {
  const batch = []
  for (let k = i; k < Math.min(count, i + 5000); k++) {
    batch.push({
      id: `e-${k}`,
      contactId: `c-${k % 100_000}`,
      type: k % 3 ? 'grant' : 'collect',
      at,
      source: 'form',
      noticeVersion: 'notice-2026-04',
      evidence: { ip: '203.0.113.42', userAgent, formId: 'newsletter-footer', screenshot: `s3://evidence/forms/${k}.png`, messageId: `<${k}@mail.example.net>` },
    })
  }
  await store.recordMany(batch)
}
const fillMs = performance.now() - fillStart

globalThis.gc()
const base = process.memoryUsage()
let peakRss = base.rss
let peakHeap = base.heapUsed
let events = 0
let exportedBytes = 0
let lastSeq = 0
let ordered = true
const start = performance.now()
for await (const event of store.export()) {
  events++
  exportedBytes += JSON.stringify(event).length
  if (event.seq <= lastSeq) ordered = false
  lastSeq = event.seq
  if (events % 5000 === 0) {
    // RSS before collecting (the real peak, garbage included); heap after (what the export retains).
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    globalThis.gc()
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
  }
}
const exportMs = performance.now() - start
await store.close()
process.stdout.write(
  JSON.stringify({
    events,
    ordered,
    fillMs: Math.round(fillMs),
    exportMs: Math.round(exportMs),
    exportedBytes,
    baseRss: base.rss,
    peakRss,
    baseHeap: base.heapUsed,
    peakHeap,
    maxRssProcess: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
)
