// @ts-check
// The endpoints as a plain `fetch` handler: `(request: Request) => Promise<Response>`, the shape
// Hono, Bun, Deno and Cloudflare Workers use. No Node API is needed by the handler itself.
//
//   Bun / Deno / Workers:  export default { fetch: handler }
//   Hono:                  app.all('/t/*', (c) => handler(c.req.raw))
//   Deno:                  Deno.serve(handler)
//
// Run: node examples/fetch-handler.mjs (calls the handler with Requests, no server needed)
import { pathToFileURL } from 'node:url'
import { createTokens, transform } from 'email-tracking-consent'
import { createHandler } from 'email-tracking-consent/http'
import { createMemoryStore } from 'email-tracking-consent/store'

const BASE_URL = 'https://t.example.com/t'
const tokens = createTokens({ keys: [{ kid: 'example-1', secret: crypto.getRandomValues(new Uint8Array(32)) }] })
// A memory store keeps the example self-contained; on a server use the SQLite or Postgres store.
const store = createMemoryStore()
await store.record({ id: 'ex-1', contactId: 'c_ada', type: 'grant', at: new Date(Date.now() - 86_400_000), source: 'form', noticeVersion: '2026-04' })

/** @type {import('email-tracking-consent/http').OpenReport[]} */
const opens = []
export const handler = createHandler({
  tokens,
  store,
  basePath: BASE_URL,
  forms: { minDelayMs: 300 },
  hooks: { onOpen: (report) => void opens.push(report) },
})

// The Workers / Bun / Deno module shape.
export default { fetch: handler }

const browser = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', accept: 'text/html' }

// When run directly: one tracked email, an open, a withdrawal, and an open after it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const email = await transform('<html><body><p>Hello</p><a href="https://shop.example.com/">Shop</a></body></html>', await store.get('c_ada'), 'marketing', { tokens, baseUrl: BASE_URL })
  const { pixel, withdraw } = email.links
  if (!pixel || !withdraw) throw new Error('expected a tracked email')

  const gif = await handler(new Request(pixel, { headers: browser }))
  console.log(`GET pixel -> ${gif.status} ${gif.headers.get('content-type')}; opens reported: ${opens.length}`)

  const page = await handler(new Request(withdraw, { headers: browser }))
  const nonce = /name="nonce" value="([^"]+)"/.exec(await page.text())?.[1] ?? ''
  console.log(`GET withdrawal page -> ${page.status} (nothing recorded yet: opens ${(await store.get('c_ada'))?.opens.status})`)
  await new Promise((resolve) => setTimeout(resolve, 400))
  const done = await handler(
    new Request(withdraw, { method: 'POST', headers: { ...browser, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ nonce }) }),
  )
  const record = await store.get('c_ada')
  console.log(`POST withdrawal form -> ${done.status}; opens ${record?.opens.status}, clicks ${record?.clicks.status}`)

  const after = await handler(new Request(pixel, { headers: browser }))
  console.log(`GET pixel of the same email again -> ${after.status}; opens reported: ${opens.length} (the withdrawal applies to emails sent before it)`)
  if (opens.length !== 1 || record?.opens.status !== 'withdrawn') process.exit(1)
  console.log('ok')
}
