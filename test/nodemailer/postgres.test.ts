// The plugin and the campaign sender on the Postgres store, and a real hang:
// another session holds an exclusive lock on the records table, so the
// store's query waits; the mail still goes out, untracked, within the timeout.
import nodemailer from 'nodemailer'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { compile } from '../../src/transform.js'
import { consentTracking, sendCampaign, sendWithConsent } from '../../src/nodemailer/index.js'
import { createPostgresStore } from '../../src/store/postgres.js'
import type { ConsentStore } from '../../src/store/types.js'
import { databaseUrl, uniqueSchema } from '../store/pg-env.js'
import { BASE, CONTACT_EVENTS, expectNoTracker, now, ourTokens, parse, PROMO_HTML, PROMO_TEXT, tokens } from './helpers.js'
import { startCaptureServer, type CaptureServer } from './smtp.js'

describe.skipIf(!databaseUrl)('on the Postgres store', () => {
  const schema = uniqueSchema('nm')
  let pool: pg.Pool
  let store: ConsentStore
  let smtp: CaptureServer

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
    store = createPostgresStore({ pool, schema })
    for (const contactId of ['c_optin', 'c_withdrawn'])
      for (const e of CONTACT_EVENTS[contactId]!) await store.record({ ...e, contactId, source: 'form' })
    smtp = await startCaptureServer()
  })
  afterAll(async () => {
    await store?.close()
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await pool?.end()
    await smtp?.close()
  })

  const transporter = (lookupTimeoutMs = 2000) => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true })
    t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now, lookupTimeoutMs }))
    return t
  }
  const mail = (contactId: string) => ({ from: 'news@shop.example.com', to: 'ada@example.org', subject: 'Autumn sale', html: PROMO_HTML, text: PROMO_TEXT, consent: { contactId, category: 'marketing' as const } })

  /** Runs `during` while another session holds an exclusive lock on the records table. */
  async function whileLocked<T>(during: () => Promise<T>): Promise<T> {
    const locker = new pg.Client({ connectionString: databaseUrl })
    await locker.connect()
    try {
      await locker.query('BEGIN')
      await locker.query(`LOCK TABLE ${schema}.consent_records IN ACCESS EXCLUSIVE MODE`)
      return await during()
    } finally {
      await locker.query('ROLLBACK')
      await locker.end()
    }
  }

  test('a consented contact is tracked, a withdrawn one is not', async () => {
    const t = transporter()
    const before = smtp.messages.length
    const tracked = await sendWithConsent(t, mail('c_optin'))
    const untracked = await sendWithConsent(t, mail('c_withdrawn'))
    expect([tracked.consentTracking?.status, untracked.consentTracking?.status]).toEqual(['tracked', 'untracked'])
    const [first, second] = (await smtp.waitFor(before + 2)).slice(before)
    expect(ourTokens((await parse(first!.raw)).html as string, 'w')).toHaveLength(1)
    expectNoTracker((await parse(second!.raw)).html as string)
  })

  test('a store query held by a lock: the mail goes out untracked within lookupTimeoutMs', async () => {
    const t = transporter(400)
    const before = smtp.messages.length
    const { info, elapsed } = await whileLocked(async () => {
      const started = performance.now()
      const info = await sendWithConsent(t, mail('c_optin'))
      return { info, elapsed: performance.now() - started }
    })
    expect(info.consentTracking).toMatchObject({ status: 'untracked', fallback: 'store-timeout' })
    expect(elapsed).toBeGreaterThanOrEqual(390)
    expect(elapsed).toBeLessThan(5000)
    const [received] = (await smtp.waitFor(before + 1)).slice(before)
    expectNoTracker((await parse(received!.raw)).html as string)
  })

  test('a campaign whose getMany is held by a lock sends untracked after the batch timeout', async () => {
    const compiled = compile({ html: PROMO_HTML, text: PROMO_TEXT }, { tokens, baseUrl: BASE })
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true })
    const summary = await whileLocked(() =>
      sendCampaign(t, compiled, [{ contactId: 'c_optin', to: 'ada@example.org' }, { contactId: 'c_withdrawn', to: 'bob@example.org' }], {
        store,
        category: 'marketing',
        mail: { from: 'news@shop.example.com' },
        lookupTimeoutMs: 300,
        now,
      }),
    )
    expect(summary).toMatchObject({ sent: 2, tracked: 0, untracked: 2, fallbacks: { 'store-timeout': 2 } })
  })
})
