// @ts-check
// Express serving the endpoints (pixel, clicks, withdrawal, preferences, consent, unsubscribe)
// over the Postgres consent store. The handler is stateless: run as many app servers as you
// like behind a load balancer, all on the same database.
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node examples/express-postgres.mjs
//      (add --serve to keep it running on port 8082)
import { once } from 'node:events'
import express from 'express'
import pg from 'pg'
import { createTokens, transform } from 'email-tracking-consent'
import { createHandler } from 'email-tracking-consent/http'
import { toNodeListener } from 'email-tracking-consent/http/node'
import { createPostgresStore } from 'email-tracking-consent/store/postgres'

const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl) {
  console.log('skipped: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run this example')
  process.exit(0)
}
const serve = process.argv.includes('--serve')
// Its own schema, so the example never touches your tables; dropped at the end.
const schema = `etc_example_${process.pid}`
const pool = new pg.Pool({ connectionString: databaseUrl })
const store = createPostgresStore({ pool, schema })
const tokens = createTokens({ keys: [{ kid: 'example-1', secret: crypto.getRandomValues(new Uint8Array(32)) }] })

const app = express()
// Mount the endpoints before any body parser: the handler reads its own form bodies.
app.use(toNodeListener(createHandler({ tokens, store, basePath: '/t', forms: { minDelayMs: serve ? 2000 : 300 } })))
app.get('/', (_req, res) => void res.send('<p>Your app. The tracking endpoints live under <code>/t</code>.</p>'))

const server = app.listen(serve ? Number(process.env.PORT ?? 8082) : 0, '127.0.0.1')
await once(server, 'listening')
const address = server.address()
const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const baseUrl = `${origin}/t`

await store.record({ id: 'ex-grant', contactId: 'c_ada', type: 'grant', at: new Date(Date.now() - 86_400_000), source: 'form', noticeVersion: '2026-04' })
const email = await transform('<html><body><p>Autumn news</p><a href="https://shop.example.com/">Shop</a></body></html>', await store.get('c_ada'), 'marketing', { tokens, baseUrl })
const withdraw = email.links.withdraw ?? ''
console.log(`express on ${origin}; c_ada's email is ${email.decision.opens ? 'tracked' : 'untracked'}, withdrawal link: ${withdraw}`)

if (serve) {
  console.log('open the withdrawal link in a browser; Ctrl-C stops (the example schema is dropped)')
  await new Promise((resolve) => process.once('SIGINT', resolve))
} else {
  // What a browser does: GET the page, read its form, submit it after reading.
  const headers = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36', accept: 'text/html' }
  const page = await fetch(withdraw, { headers })
  const nonce = /name="nonce" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  await new Promise((resolve) => setTimeout(resolve, 400))
  const done = await fetch(withdraw, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ nonce }) })
  const record = await store.get('c_ada')
  console.log(`GET ${page.status}, POST ${done.status}: c_ada opens ${record?.opens.status}, clicks ${record?.clicks.status}`)
  const next = await transform('<html><body><p>Winter news</p></body></html>', record, 'marketing', { tokens, baseUrl })
  console.log(`the next email to c_ada is ${next.decision.opens || next.decision.clicks ? 'tracked' : 'untracked'} (${next.decision.reasons.join(', ')})`)
  if (record?.opens.status !== 'withdrawn' || next.decision.opens) process.exitCode = 1
  else console.log('ok')
}

server.close()
await store.close()
await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
await pool.end()
