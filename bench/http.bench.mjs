// Pixel requests/s on loopback: the real handler (token verify, consent lookup,
// decide, hook) through toNodeListener, against a bare node:http server that
// answers the same GIF, measured with autocannon (in a worker thread, so it
// does not share the servers' event loop) in the same run. The two servers
// are measured in alternating rounds so a change of machine load hits both.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import autocannon from 'autocannon'
import { createTokens } from '../dist/index.js'
import { createHandler } from '../dist/http/index.js'
import { toNodeListener } from '../dist/http/node.js'
import { createMemoryStore } from '../dist/store/index.js'
import { checkTarget, printTable } from './lib.mjs'

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const DURATION_S = Number(process.env.HTTP_BENCH_SECONDS ?? 5)
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'

async function listen(listener) {
  const server = createServer(listener)
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

const ROUNDS = 2

async function load(server, path, duration) {
  const { port } = server.address()
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: 32,
    pipelining: 1,
    duration,
    workers: 1,
    headers: { 'user-agent': USER_AGENT },
  })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`)
  return result
}

/** Alternating rounds of each server, DURATION_S seconds per server in all, after a 1 s warm-up each. */
async function compare(cases) {
  for (const c of cases) await load(c.server, c.path, 1)
  const totals = cases.map((c) => ({ name: c.name, ops: 0, seconds: 0, p99: [] }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of cases.entries()) {
      const r = await load(c.server, c.path, DURATION_S / ROUNDS)
      totals[i].ops += r.requests.total
      totals[i].seconds += r.duration
      totals[i].p99.push(r.latency.p99)
    }
  }
  return totals.map((t) => ({ name: t.name, ops: t.ops, perSec: t.ops / t.seconds, p99: Math.max(...t.p99) }))
}

export default async function httpBench() {
  const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
  const store = createMemoryStore()
  await store.record({ contactId: 'c_1', type: 'grant', at: new Date(Date.now() - 60_000), source: 'form', noticeVersion: 'v1' })
  let opens = 0
  const handler = createHandler({ tokens, store, basePath: '/t', hooks: { onOpen: () => void opens++ } })
  const token = await tokens.sign({ purpose: 'open', contactId: 'c_1', messageId: 'm_1' })

  const bare = await listen((req, res) => {
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length, 'cache-control': 'no-store' })
    res.end(GIF)
  })
  const bridged = await listen(toNodeListener(handler))
  try {
    const rows = await compare([
      { name: 'bare node:http GIF', server: bare, path: `/t/o/${token}` },
      { name: 'handler pixel via toNodeListener', server: bridged, path: `/t/o/${token}` },
    ])
    printTable(`Pixel route, ${DURATION_S} s each, 32 connections on loopback`, rows, { baseline: 'bare node:http GIF', unit: 'requests/s' })
    console.log(`p99 latency: bare ${rows[0].p99} ms, handler ${rows[1].p99} ms; opens reported: ${opens}`)
    return checkTarget('handler pixel vs bare node:http', rows[1].perSec / rows[0].perSec, 0.5)
  } finally {
    for (const server of [bare, bridged]) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    await store.close()
  }
}
