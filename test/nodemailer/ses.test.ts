// Nodemailer's SES transport with the plugin: the configuration set follows
// the decision and the caller's own SES options are kept. The SES client
// records the SendEmailCommand Nodemailer builds instead of calling AWS.
import nodemailer from 'nodemailer'
import { beforeAll, describe, expect, test } from 'vitest'
import { consentTracking, sendWithConsent } from '../../src/nodemailer/index.js'
import type { ConsentStore } from '../../src/store/types.js'
import { BASE, expectNoTracker, header, now, ourTokens, parse, PROMO_HTML, seededStore, tokens } from './helpers.js'

/** The @aws-sdk/client-sesv2 shape Nodemailer's SES transport calls: `new SendEmailCommand(input)`, `client.send(command)`. */
class SendEmailCommand {
  constructor(readonly input: Record<string, any>) {}
}
class RecordingSesClient {
  readonly sent: Record<string, any>[] = []
  async send(command: SendEmailCommand) {
    this.sent.push(command.input)
    return { MessageId: `0100019-${this.sent.length}` }
  }
}

let store: ConsentStore
beforeAll(async () => {
  store = await seededStore()
})

function sesTransport(tracker: 'self' | 'provider') {
  const client = new RecordingSesClient()
  const t = nodemailer.createTransport({ SES: { sesClient: client, SendEmailCommand } })
  t.use('compile', consentTracking({ store, tokens, baseUrl: BASE, now, tracker, ses: { untracked: 'no-tracking', tracked: 'esp-tracking' } }))
  return { t, client }
}

const mail = (contactId: string) => ({
  from: 'news@shop.example.com',
  to: 'ada@example.org',
  subject: 'Autumn sale',
  html: PROMO_HTML,
  ses: { EmailTags: [{ Name: 'campaign', Value: 'autumn-2026' }] },
  consent: { contactId, category: 'marketing' as const },
})

describe('SES configuration set', () => {
  for (const [tracker, contactId, set, status] of [
    ['self', 'c_optin', 'no-tracking', 'tracked'],
    ['self', 'c_withdrawn', 'no-tracking', 'untracked'],
    ['provider', 'c_optin', 'esp-tracking', 'tracked'],
    ['provider', 'c_withdrawn', 'no-tracking', 'untracked'],
  ] as const) {
    test(`tracker ${tracker}, ${contactId}: ConfigurationSetName ${set}, the caller's EmailTags kept`, async () => {
      const { t, client } = sesTransport(tracker)
      const info = await sendWithConsent(t, mail(contactId))
      expect(info.consentTracking?.status).toBe(status)
      const [input] = client.sent
      expect(input).toMatchObject({ ConfigurationSetName: set, EmailTags: [{ Name: 'campaign', Value: 'autumn-2026' }], Destination: { ToAddresses: ['ada@example.org'] } })
      const parsed = await parse(input!.Content.Raw.Data)
      expect(header(parsed, 'X-SES-CONFIGURATION-SET')).toBe(set)
      if (tracker === 'self' && status === 'tracked') expect(ourTokens(parsed.html as string, 'o')).toHaveLength(1)
      // In provider mode SES does the tracking: no pixel of ours, but our withdrawal link.
      if (tracker === 'provider' && status === 'tracked') {
        expect(ourTokens(parsed.html as string, 'o')).toEqual([])
        expect(ourTokens(parsed.html as string, 'w')).toHaveLength(1)
      }
      if (status === 'untracked') expectNoTracker(parsed.html as string)
    })
  }

  test('the caller’s ses options object is not modified', async () => {
    const { t } = sesTransport('self')
    const options = mail('c_optin')
    const ses = options.ses
    await t.sendMail(options as never)
    expect(ses).toEqual({ EmailTags: [{ Name: 'campaign', Value: 'autumn-2026' }] })
  })
})
