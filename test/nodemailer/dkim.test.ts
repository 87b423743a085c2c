// DKIM-signed sends through the plugin, verified on the receiving side with
// mailauth against the test's own DNS record (no network).
import { generateKeyPairSync } from 'node:crypto'
import { authenticate } from 'mailauth'
import nodemailer from 'nodemailer'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { consentTracking } from '../../src/nodemailer/index.js'
import type { ConsentStore } from '../../src/store/types.js'
import { BASE, header, now, ourTokens, parse, PROMO_HTML, PROMO_TEXT, seededStore, tokens } from './helpers.js'
import { startCaptureServer, type CaptureServer } from './smtp.js'

const DOMAIN = 'shop.example.com'
const SELECTOR = 'mail2026'
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const TXT = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`

/** The only DNS the receiving side may consult: our selector's TXT record. */
async function resolver(name: string, type: string): Promise<string[][]> {
  if (type === 'TXT' && name === `${SELECTOR}._domainkey.${DOMAIN}`) return [[TXT]]
  throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' })
}

async function verify(raw: Buffer) {
  const { dkim } = await authenticate(raw, { ip: '127.0.0.1', helo: 'localhost', sender: `news@${DOMAIN}`, mta: 'mx.example.org', resolver, disableArc: true, disableBimi: true, disableDmarc: true })
  // mailauth reports the signed header names; its typings leave the field out.
  const [signature] = dkim.results as ((typeof dkim.results)[number] & { signingHeaders?: { keys?: string } })[]
  return { result: signature?.status.result, signed: (signature?.signingHeaders?.keys ?? '').toLowerCase().split(/\s*:\s*/) }
}

let smtp: CaptureServer
let store: ConsentStore
beforeAll(async () => {
  smtp = await startCaptureServer()
  store = await seededStore()
})
afterAll(() => smtp.close())

const dkimOptions = (extra: Record<string, unknown> = {}) => ({ domainName: DOMAIN, keySelector: SELECTOR, privateKey: PRIVATE_PEM, ...extra })

async function send(transportDkim: Record<string, unknown> | undefined, messageDkim: Record<string, unknown> | undefined, contactId: string, withPlugin = true) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, ...(transportDkim ? { dkim: transportDkim } : {}) })
  if (withPlugin) t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now, unsubscribe: { mailto: `unsubscribe@${DOMAIN}` } }))
  const before = smtp.messages.length
  await t.sendMail({
    from: `news@${DOMAIN}`,
    to: 'ada@example.org',
    subject: 'Autumn sale',
    html: PROMO_HTML,
    text: PROMO_TEXT,
    ...(messageDkim ? { dkim: messageDkim } : {}),
    consent: { contactId, category: 'marketing' },
  } as never)
  const [received] = (await smtp.waitFor(before + 1)).slice(before)
  return received!.raw
}

describe('DKIM after the plugin rewrote the message', () => {
  const configs = [
    ['transporter-level DKIM, default header list', dkimOptions(), undefined],
    ['transporter-level DKIM with its own header list', dkimOptions({ headerFieldNames: 'From:To:Subject:Date:Message-ID' }), undefined],
    ['transporter-level DKIM skipping the List-Unsubscribe headers', dkimOptions({ skipFields: 'List-Unsubscribe:List-Unsubscribe-Post' }), undefined],
    ['per-message DKIM with its own header list', undefined, dkimOptions({ headerFieldNames: 'From:To:Subject' })],
  ] as const
  for (const [label, transportDkim, messageDkim] of configs) {
    for (const contactId of ['c_optin', 'c_withdrawn']) {
      test(`${label}: ${contactId} passes, with List-Unsubscribe and List-Unsubscribe-Post signed`, async () => {
        const raw = await send(transportDkim, messageDkim, contactId)
        const { result, signed } = await verify(raw)
        expect(result).toBe('pass')
        expect(signed).toEqual(expect.arrayContaining(['from', 'list-unsubscribe', 'list-unsubscribe-post']))
        const parsed = await parse(raw)
        expect(header(parsed, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click')
        const [unsubscribe] = ourTokens(header(parsed, 'List-Unsubscribe')!, 'u')
        await expect(tokens.verify(unsubscribe!, { purpose: 'unsubscribe' })).resolves.toMatchObject({ contactId })
        if (contactId === 'c_optin') expect(ourTokens(parsed.html as string, 'o')).toHaveLength(1)
      })
    }
  }

  test('the transporter key never lands in enumerable message data', async () => {
    const t = nodemailer.createTransport({ jsonTransport: true, dkim: dkimOptions({ headerFieldNames: 'From:To:Subject' }) })
    t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now, unsubscribe: true }))
    const info = (await t.sendMail({ from: `news@${DOMAIN}`, to: 'ada@example.org', html: PROMO_HTML, consent: { contactId: 'c_optin' } } as never)) as { message: string }
    expect(info.message).not.toContain('PRIVATE KEY')
    expect(JSON.parse(info.message).dkim.headerFieldNames).toBe('From:To:Subject:List-Unsubscribe:List-Unsubscribe-Post')
  })

  test('control: without the plugin, a custom header list leaves List-Unsubscribe-Post unsigned', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true, dkim: dkimOptions({ headerFieldNames: 'From:To:Subject' }) })
    const before = smtp.messages.length
    await t.sendMail({
      from: `news@${DOMAIN}`,
      to: 'ada@example.org',
      subject: 'x',
      html: '<p>x</p>',
      headers: { 'List-Unsubscribe': '<https://t.example.com/u/x>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    })
    const [received] = (await smtp.waitFor(before + 1)).slice(before)
    const { result, signed } = await verify(received!.raw)
    expect(result).toBe('pass')
    expect(signed).not.toContain('list-unsubscribe-post')
  })
})
