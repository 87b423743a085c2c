// Pixel requests/s on loopback: the real handler (token verify, consent lookup,
// decide, hook) through toNodeListener, against a bare node:http server that
// answers the same GIF, in the same run. The handler gets real pixel URLs: one
// per recipient-message of 1,000 consented contacts, from signMessage() as
// transform() makes them, cycled by every connection (no token repeats within
// 1,000 hits, nothing is cached between hits). Both servers live in a child
// process and autocannon loads them from this one, in alternating rounds.
// Besides wall-clock requests/s (which a busy shared machine skews), the
// child's own CPU time per request is measured, giving requests per
// CPU-second: the throughput of one dedicated core, which the target compares.
// A last row loads the handler with forged tokens (right kid, wrong secret):
// refusing them must cost no more than a real open, and report nothing.
import { randomBytes } from 'node:crypto'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createTokens } from '../dist/index.js'
import { createHandler } from '../dist/http/index.js'
import { toNodeListener } from '../dist/http/node.js'
import { createMemoryStore } from '../dist/store/index.js'
import { checkTarget, measure, printTable } from './lib.mjs'

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')
const DURATION_S = Number(process.env.HTTP_BENCH_SECONDS ?? 5)
// Rounds of one second, at least five: the finer the cases alternate, the less a slow spell of a
// shared host falls on one case rather than the other.
const ROUNDS = Math.max(5, Math.round(DURATION_S))
const USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36'
const CHILD_FLAG = '--pixel-servers'
const CONTACTS = 1000

async function listen(listener) {
  const server = createServer(listener)
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server.address().port
}

/** The child: both servers, and its CPU time on request. */
async function serveInChild() {
  const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
  // Same kid, another secret: tokens that look right and fail their signature.
  const forger = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
  const store = createMemoryStore()
  const paths = []
  const forged = []
  for (let i = 0; i < CONTACTS; i++) {
    const contactId = `c_${i}`
    await store.record({ contactId, type: 'grant', at: new Date(Date.now() - 60_000), source: 'form', noticeVersion: 'v1' })
    const message = await tokens.signMessage({ contactId, messageId: `m_${i}`, purposes: ['open', 'click', 'withdraw', 'preferences', 'unsubscribe'] })
    paths.push(`/t/o/${message.token('open')}`)
    forged.push(`/t/o/${(await forger.signMessage({ contactId, messageId: `m_${i}`, purposes: ['open'] })).token('open')}`)
  }
  let opens = 0
  const handler = createHandler({ tokens, store, basePath: '/t', hooks: { onOpen: () => void opens++ } })
  const bare = await listen((req, res) => {
    res.writeHead(200, { 'content-type': 'image/gif', 'content-length': GIF.length, 'cache-control': 'no-store' })
    res.end(GIF)
  })
  const bridged = await listen(toNodeListener(handler))
  // A plain Web handler answering the GIF, through the same bridge: the bridge's own cost.
  const constant = await listen(toNodeListener(async () => new Response(GIF, { headers: { 'content-type': 'image/gif', 'cache-control': 'no-store' } })))
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage()
      process.send({ cpuMicros: user + system, opens })
    } else if (message === 'stop') process.exit(0)
  })
  process.send({ ports: { bare, bridged, constant }, paths, forged })
}

if (process.argv.includes(CHILD_FLAG)) await serveInChild()

function ask(child, message) {
  return new Promise((resolve) => {
    child.once('message', resolve)
    child.send(message)
  })
}

async function load(port, paths, duration) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 32,
    pipelining: 1,
    duration,
    headers: { 'user-agent': USER_AGENT },
    requests: paths.map((path) => ({ method: 'GET', path })),
  })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`)
  return result
}

export default async function httpBench() {
  const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const [ready] = await once(child, 'message')
    const cases = [
      { name: 'bare node:http GIF', port: ready.ports.bare, paths: ready.paths },
      { name: 'handler pixel GET via toNodeListener', port: ready.ports.bridged, paths: ready.paths },
      { name: 'constant Web Response via toNodeListener', port: ready.ports.constant, paths: ready.paths },
      // A flood of forged links must cost no more than real opens.
      { name: 'handler pixel GET, forged tokens', port: ready.ports.bridged, paths: ready.forged },
    ]
    for (const c of cases) await load(c.port, c.paths, 1) // warm-up: JIT, keep-alive sockets
    const totals = cases.map(() => ({ requests: 0, seconds: 0, cpuMicros: 0, wallRatios: [], cpuPerRequest: [] }))
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of cases.entries()) {
        const before = await ask(child, 'cpu')
        const r = await load(c.port, c.paths, DURATION_S / ROUNDS)
        const after = await ask(child, 'cpu')
        totals[i].requests += r.requests.total
        totals[i].seconds += r.duration
        totals[i].cpuMicros += after.cpuMicros - before.cpuMicros
        totals[i].wallRatios.push(r.requests.total / r.duration)
        totals[i].cpuPerRequest.push((after.cpuMicros - before.cpuMicros) / r.requests.total)
        if (c.paths === ready.forged && after.opens !== before.opens) throw new Error('a forged pixel token was reported as an open')
      }
    }
    // Every pixel hit of the handler rounds was a verified, consented open reported to onOpen.
    const { opens } = await ask(child, 'cpu')
    if (opens < totals[1].requests) throw new Error(`only ${opens} opens reported for ${totals[1].requests} pixel hits`)
    const wall = cases.map((c, i) => ({ name: c.name, ops: totals[i].requests, perSec: totals[i].requests / totals[i].seconds }))
    const perCore = cases.map((c, i) => ({ name: c.name, ops: totals[i].requests, perSec: totals[i].requests / (totals[i].cpuMicros / 1e6) }))
    printTable(`Pixel route, wall clock (${DURATION_S} s each, 32 connections, loopback; skewed by other load on the machine)`, wall, {
      baseline: 'bare node:http GIF',
      unit: 'requests/s',
    })
    const rounds = totals[1].wallRatios.map((r, i) => (r / totals[0].wallRatios[i]).toFixed(2))
    console.log(`wall-clock ratio per round: ${rounds.join(', ')}`)
    printTable('Pixel route per CPU-second of the server process (one dedicated core)', perCore, {
      baseline: 'bare node:http GIF',
      unit: 'requests/s',
    })
    const perCoreRounds = totals[1].cpuPerRequest.map((c, i) => totals[0].cpuPerRequest[i] / c)
    const median = [...perCoreRounds].sort((a, b) => a - b)[Math.floor(perCoreRounds.length / 2)]
    console.log(`per-CPU-second ratio per round: ${perCoreRounds.map((r) => r.toFixed(2)).join(', ')} (median ${median.toFixed(2)})`)
    const perRequest = (i) => (totals[i].cpuMicros / totals[i].requests).toFixed(1)
    console.log(`server CPU per request: bare ${perRequest(0)} µs, handler ${perRequest(1)} µs, handler with forged tokens ${perRequest(3)} µs`)

    // The token check alone, in the same run and in process: the pixel tokens of 1,000 recipient-messages
    // in turn (fresh strings, as a request parser makes them), 32 in flight.
    const tokens = createTokens({ keys: [{ kid: 'bench', secret: randomBytes(32) }] })
    const distinct = []
    for (let i = 0; i < CONTACTS; i++) {
      const message = await tokens.signMessage({ contactId: `c_${i}`, messageId: `m_${i}`, purposes: ['open', 'click', 'withdraw', 'preferences', 'unsubscribe'] })
      distinct.push(message.token('open'))
    }
    let next = 0
    const verify = await measure('tokens.verify, 1,000 distinct pixel tokens (32 in flight)', () =>
      Promise.all(
        Array.from({ length: 32 }, () => tokens.verify((' ' + distinct[next++ % CONTACTS]).slice(1), { purpose: 'open' })),
      ).then(() => 32),
    )
    printTable('Token verification in the same run', [verify], { unit: 'verifies/s' })
    console.log(`per verify: ${(1e6 / verify.perSec).toFixed(1)} µs`)
    return checkTarget('handler pixel vs bare node:http, requests per server CPU-second', perCore[1].perSec / perCore[0].perSec, 0.5)
  } finally {
    child.send('stop')
    await once(child, 'exit')
  }
}
