// Child process of the durability tests: records events into a SQLite file
// through the built adapter and prints one line per acknowledged event, until
// killed or until it has written `count` events.
import { createSqliteStore } from '../../dist/store/sqlite.js'

const [file, label, countArg] = process.argv.slice(2)
const count = countArg ? Number(countArg) : Infinity
const types = ['collect', 'inform', 'grant', 'deny', 'withdraw', 'request', 'unsubscribe', 'resubscribe']
const store = createSqliteStore({ database: file })
for (let i = 0; i < count; i++) {
  const event = await store.record({
    id: `${label}-${i}`,
    contactId: `c-${i % 50}`,
    type: types[i % types.length],
    at: new Date(Date.now() - 1000),
    source: 'api',
    evidence: { writer: label, n: String(i) },
  })
  process.stdout.write(`ack ${event.seq} ${event.id} ${event.hash}\n`)
}
await store.close()
