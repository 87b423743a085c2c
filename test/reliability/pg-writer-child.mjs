// Child process of the Postgres fault tests: records `count` events into a
// schema through the built adapter (its own pool, named by application_name),
// a few in flight, retrying a failed write with the same idempotency id until
// it is acknowledged. Prints "ack <id> <seq> <hash>" per acknowledged event,
// then "done <retries>".
import { createPostgresStore } from '../../dist/store/postgres.js'

const [url, schema, label, countArg] = process.argv.slice(2)
const count = Number(countArg)
const store = createPostgresStore({ pool: url, schema, poolSize: 3 })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
let retries = 0
let next = 0

async function writeOne(n) {
  // The same content on every attempt, so a retry of a write that did land is recognized, not duplicated.
  const event = { id: `${label}-${n}`, contactId: `c-${n % 40}`, type: n % 2 ? 'grant' : 'withdraw', at: new Date(Date.now() - 60_000), source: 'api', evidence: { writer: label } }
  for (let attempt = 0; ; attempt++) {
    try {
      const stored = await store.record(event)
      process.stdout.write(`ack ${stored.id} ${stored.seq} ${stored.hash}\n`)
      return
    } catch (err) {
      if (err?.code !== 'storage-failed' && err?.code !== 'busy') throw err
      retries++
      await sleep(Math.min(1000, 20 * (attempt + 1)))
    }
  }
}

await Promise.all(
  Array.from({ length: 4 }, async () => {
    while (next < count) await writeOne(next++)
  }),
)
await store.close()
process.stdout.write(`done ${retries}\n`)
