// Child process of the Postgres concurrency test: records `count` events into
// a schema through the built adapter, with its own pool, then prints "done".
import { createPostgresStore } from '../../dist/store/postgres.js'

const [url, schema, label, countArg] = process.argv.slice(2)
const store = createPostgresStore({ pool: url, schema, poolSize: 4 })
const count = Number(countArg)
await Promise.all(
  Array.from({ length: count }, (_, i) =>
    store.record({ id: `${label}-${i}`, contactId: `c-${i % 20}`, type: i % 2 ? 'grant' : 'withdraw', at: new Date(Date.now() - 1000 + i), source: 'api' }),
  ),
)
await store.close()
process.stdout.write('done\n')
