// countRecipients against Nodemailer's own envelope, over generated address
// fields: the plugin's "one recipient" check sees what Nodemailer delivers to.
import fc from 'fast-check'
import MailComposer from 'nodemailer/lib/mail-composer'
import { describe, expect, test } from 'vitest'
import { countRecipients } from '../../src/nodemailer/recipients.js'

const local = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,10}$/)
const domain = fc.constantFrom('example.org', 'example.com', 'mail.example.net')
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`)
// Display names with the characters that make address lists hard to split.
const name = fc.constantFrom('', 'Ada', 'Doe, John', '"Quoted" Name', 'Zoë', 'a;b', 'x <y>')
const mailbox = fc.oneof(
  address,
  fc.tuple(name, address).map(([n, a]) => (n ? `${JSON.stringify(n)} <${a}>` : a)),
  fc.tuple(name, address).map(([n, a]) => ({ name: n, address: a })),
)
const field = fc.oneof(
  fc.constant(undefined),
  mailbox,
  fc.array(mailbox, { maxLength: 4 }),
  fc.array(address, { minLength: 1, maxLength: 4 }).map((list) => list.join(', ')),
  fc.array(address, { minLength: 1, maxLength: 3 }).map((list) => `Team: ${list.join(', ')};`),
)

function nodemailerCount(data: Record<string, unknown>): number {
  return new MailComposer(data as never).compile().getEnvelope().to.length
}

describe('countRecipients', () => {
  test('matches the envelope Nodemailer builds from to, cc and bcc', () => {
    fc.assert(
      fc.property(field, field, field, (to, cc, bcc) => {
        const data = { from: 'news@shop.example.com', to, cc, bcc }
        expect(countRecipients(data)).toBe(nodemailerCount(data))
      }),
      { numRuns: 500 },
    )
  })

  test('an explicit envelope wins over the headers, as in Nodemailer', () => {
    fc.assert(
      fc.property(field, field, field, (to, envelopeTo, envelopeBcc) => {
        const data = { from: 'news@shop.example.com', to, envelope: { from: 'bounce@shop.example.com', to: envelopeTo, bcc: envelopeBcc } }
        expect(countRecipients(data)).toBe(nodemailerCount(data))
      }),
      { numRuns: 300 },
    )
  })

  test('the same address in two fields is one recipient; a differently cased one is two', () => {
    expect(countRecipients({ to: 'ada@example.org', bcc: 'Ada <ada@example.org>' })).toBe(1)
    expect(countRecipients({ to: 'ada@example.org', cc: 'Ada@example.org' })).toBe(2)
    expect(countRecipients({})).toBe(0)
  })
})
