// @ts-check
// A signup form with an UNCHECKED tracking checkbox and a versioned information notice, using
// the library's trackingConsentField helper; each submission becomes `collect` plus `grant` or
// `deny` events with their evidence (form id, notice version, IP, user agent, time).
// Run: node examples/consent-form.mjs          (submits the form twice, prints the events)
//      node examples/consent-form.mjs --serve  (open http://127.0.0.1:8081 in a browser)
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { trackingConsentField, ConsentFormError } from 'email-tracking-consent'
import { createMemoryStore } from 'email-tracking-consent/store'

const store = createMemoryStore()
const field = trackingConsentField({ formId: 'newsletter-signup', noticeVersion: '2026-04', noticeUrl: '/privacy/email-tracking' })
/** Your own contact table: the store only ever sees the opaque id. */
const contactIds = new Map()

/** @param {string} lang @param {string} body */
const page = (lang, body) => `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>Newsletter</title></head><body>${body}</body></html>`

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const lang = url.searchParams.get('lang') === 'fr' ? 'fr' : 'en'
  if (req.method === 'GET' && url.pathname === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(
      page(
        lang,
        `<h1>${lang === 'fr' ? 'Lettre d’information' : 'Newsletter'}</h1>
<form method="post" action="/signup?lang=${lang}">
<p><label for="email">Email</label> <input id="email" name="email" type="email" required></p>
${field.render({ locale: lang })}
<p><button type="submit">${lang === 'fr' ? 'S’inscrire' : 'Subscribe'}</button></p>
</form>`,
      ),
    )
    return
  }
  if (req.method === 'POST' && url.pathname === '/signup') {
    const chunks = []
    for await (const chunk of req) chunks.push(chunk)
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const email = String(form.get('email') ?? '').trim().toLowerCase()
    if (!contactIds.has(email)) contactIds.set(email, `c_${randomUUID()}`)
    try {
      const events = field.toEvents(form, {
        contactId: contactIds.get(email),
        ip: req.socket.remoteAddress,
        userAgent: req.headers['user-agent'],
      })
      const stored = await Promise.all(events.map((event) => store.record(event)))
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      const lines = stored.map((e) => `${e.type} ${e.purposes.join('+')} (notice ${e.noticeVersion}; ${Object.entries(e.evidence).map(([k, v]) => `${k}=${v}`).join(', ')})`)
      res.end(page(lang, `<h1>Thanks</h1><pre id="events">${lines.join('\n').replaceAll('&', '&amp;').replaceAll('<', '&lt;')}</pre>`))
    } catch (err) {
      // The notice changed since the page was shown: show the form again with the current notice.
      if (err instanceof ConsentFormError && err.code === 'notice-mismatch') {
        res.writeHead(303, { location: `/?lang=${lang}` })
        res.end()
        return
      }
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
      res.end(err instanceof ConsentFormError ? err.message : 'Bad request')
    }
    return
  }
  res.writeHead(404).end()
})

const serve = process.argv.includes('--serve')
server.listen(serve ? Number(process.env.PORT ?? 8081) : 0, '127.0.0.1')
await once(server, 'listening')
const address = server.address()
const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
console.log(`consent form on ${origin}/ (French: ${origin}/?lang=fr)`)

if (!serve) {
  const html = await (await fetch(`${origin}/?lang=fr`)).text()
  const checkbox = /<input type="checkbox"[^>]*>/.exec(html)?.[0] ?? ''
  console.log(`the checkbox as rendered: ${checkbox}`)
  const notice = /name="tracking_consent_notice" value="([^"]+)"/.exec(html)?.[1] ?? ''
  const submit = async (/** @type {Record<string, string>} */ fields) => {
    const res = await fetch(`${origin}/signup`, { method: 'POST', body: new URLSearchParams(fields), headers: { 'user-agent': 'Mozilla/5.0 (example)' } })
    return /<pre id="events">([\s\S]*)<\/pre>/.exec(await res.text())?.[1] ?? ''
  }
  console.log(`submitted without ticking the box, recorded:\n  ${(await submit({ email: 'ada@example.org', tracking_consent_notice: notice })).replaceAll('\n', '\n  ')}`)
  console.log(`submitted with the box ticked, recorded:\n  ${(await submit({ email: 'bob@example.org', tracking_consent_notice: notice, tracking_consent: 'yes' })).replaceAll('\n', '\n  ')}`)
  const ada = await store.get(contactIds.get('ada@example.org'))
  const bob = await store.get(contactIds.get('bob@example.org'))
  server.close()
  if (/\bchecked\b/.test(checkbox) || ada?.opens.status !== 'denied' || bob?.opens.status !== 'granted') process.exit(1)
  console.log(`ok: ada opens ${ada.opens.status}, bob opens ${bob.opens.status}`)
}
