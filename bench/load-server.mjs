// Child process of bench/load.bench.mjs: the built HTTP handler on SQLite or
// Postgres behind node:http, started with --expose-gc. It tells the parent
// its port, then every `sampleMs` collects garbage and reports its memory
// (RSS, heap used), so the parent can see whether memory stays flat.
import { createServer } from 'node:http'
import { createTokens } from '../dist/index.js'
import { createHandler } from '../dist/http/index.js'
import { toNodeListener } from '../dist/http/node.js'

const { backend, target, schema, secret, sampleMs } = JSON.parse(process.argv[2])
const tokens = createTokens({ keys: [{ kid: 'load', secret }] })
let store
if (backend === 'sqlite') {
  const { createSqliteStore } = await import('../dist/store/sqlite.js')
  store = createSqliteStore({ database: target })
} else {
  const { createPostgresStore } = await import('../dist/store/postgres.js')
  store = createPostgresStore({ pool: target, schema, poolSize: 10 })
}
let opens = 0
let clicks = 0
let changes = 0
const handler = createHandler({
  tokens,
  store,
  basePath: '/t',
  logger: { error: (message, details) => process.send({ type: 'log', message, code: details?.code, cause: String(details?.error?.cause?.message ?? details?.error?.message ?? '') }), warn: () => {} },
  hooks: {
    onOpen: () => void opens++,
    onClick: () => void clicks++,
    onWithdraw: (report) => void (changes += report.events.length),
  },
})
const server = createServer(toNodeListener(handler))
server.keepAliveTimeout = 60_000
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))

const sample = () => {
  globalThis.gc?.()
  const { rss, heapUsed } = process.memoryUsage()
  process.send({ type: 'sample', at: Date.now(), rss, heapUsed, opens, clicks, changes })
}
const timer = setInterval(sample, sampleMs)
process.on('message', async (message) => {
  if (message?.type !== 'stop') return
  clearInterval(timer)
  sample()
  server.close()
  server.closeAllConnections?.()
  await store.close()
  process.send({ type: 'stopped', opens, clicks, changes })
  process.disconnect()
})
