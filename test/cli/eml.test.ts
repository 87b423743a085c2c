// The .eml splicer on real raw messages from the corpus, read back with mailparser.
import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { simpleParser } from 'mailparser'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'
import { describe, expect, test } from 'vitest'
import { rewriteMessage, type MessageBodies } from '../../src/cli/eml.js'

const corpus = new URL('../fixtures/corpus/', import.meta.url)
const RAW_DIRS = ['SpamScope__mail-parser', 'php-mime-mail-parser__php-mime-mail-parser', 'nodemailer__mailparser']
const messages = RAW_DIRS.flatMap((dir) => readdirSync(new URL(dir, corpus)).map((name) => `${dir}/${name}`))
const read = (path: string) => new Uint8Array(readFileSync(new URL(path, corpus)))
const lf = (s: string | false | undefined) => (typeof s === 'string' ? s.replace(/\r\n/g, '\n') : s)

function compose(mail: ConstructorParameters<typeof MailComposer>[0]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => new MailComposer(mail).compile().build((err, message) => (err ? reject(err) : resolve(new Uint8Array(message)))))
}

describe('rewriteMessage on the corpus', () => {
  test.each(messages)('%s: an identity rewrite gives back the same bytes', async (path) => {
    const raw = read(path)
    const out = await rewriteMessage(raw, async (b: MessageBodies) => ({ ...b }))
    expect(Buffer.from(out).equals(Buffer.from(raw))).toBe(true)
  })

  test.each(messages)('%s: the edited bodies read back exactly; attachments and other headers are untouched', async (path) => {
    const raw = read(path)
    const before = await simpleParser(Buffer.from(raw), { keepCidLinks: true })
    let seen: MessageBodies | undefined
    const out = await rewriteMessage(raw, async (b) => {
      seen = b
      return {
        headers: { ...b.headers, 'X-Consent-Tracking': 'untracked' },
        ...(b.html !== undefined ? { html: b.html + '\n<p>Ajouté ✓ par le test</p>\n' } : {}),
        ...(b.text !== undefined ? { text: b.text + '\nAjouté ✓ par le test\n' } : {}),
      }
    })
    const after = await simpleParser(Buffer.from(out), { keepCidLinks: true })
    // Where mailparser reads the same first HTML part as we do, it reads our edit exactly; where it merges
    // several parts or reads a malformed message differently, it still finds the edit.
    const edited = seen!.html + '\n<p>Ajouté ✓ par le test</p>\n'
    if (seen!.html !== undefined && lf(before.html) === lf(seen!.html)) expect(lf(after.html)).toBe(lf(edited))
    else if (seen!.html !== undefined) {
      // A malformed message mailparser reads differently (spam.eml): our own reader finds the edit exactly.
      let reread: string | undefined
      await rewriteMessage(out, async (b) => ((reread = b.html), b))
      expect(lf(reread)).toBe(lf(edited))
    }
    if (seen!.text !== undefined && before.text !== undefined) expect(lf(after.text)).toContain('Ajouté ✓ par le test')
    expect(after.headers.get('x-consent-tracking')).toBe('untracked')
    expect(after.subject).toBe(before.subject)
    expect(after.from?.text).toBe(before.from?.text)
    expect(after.attachments.map((a) => a.checksum)).toEqual(before.attachments.map((a) => a.checksum))
    // The original header block is still there, byte for byte, ahead of the added field.
    const source = Buffer.from(raw).toString('latin1')
    const eol = source.includes('\r\n') ? '\r\n' : '\n'
    // (Content-Type and Content-Transfer-Encoding may change when the body needs another charset or encoding.)
    const fields = (text: string) =>
      text
        .slice(0, text.indexOf(eol + eol) + eol.length)
        .split(new RegExp(`${eol}(?![ \\t])`))
        .filter((f) => f !== '' && !/^content-(type|transfer-encoding):/i.test(f))
    const original = fields(source)
    expect(fields(Buffer.from(out).toString('latin1')).slice(0, original.length)).toEqual(original)
  })

  test('non-UTF-8 parts (gb2312, ISO-8859-1) are decoded, and re-declared as UTF-8 when rewritten', async () => {
    for (const path of ['SpamScope__mail-parser/mail_test_9', 'php-mime-mail-parser__php-mime-mail-parser/m0020']) {
      const raw = read(path)
      const before = await simpleParser(Buffer.from(raw), { keepCidLinks: true })
      let html = ''
      const out = await rewriteMessage(raw, async (b) => {
        html = b.html!
        return { ...b, html: b.html + '<p>é</p>' }
      })
      expect(lf(html)).toBe(lf(before.html as string))
      const after = await simpleParser(Buffer.from(out), { keepCidLinks: true })
      expect(lf(after.html)).toBe(lf(html + '<p>é</p>'))
      expect(Buffer.from(out).toString('latin1')).toMatch(/charset=utf-8/i)
    }
  })
})

describe('rewriteMessage on composed messages', () => {
  test('an AMP part that comes back absent is removed; html and text stay', async () => {
    const raw = await compose({ from: 'a@example.com', to: 'b@example.com', subject: 'AMP', text: 'plain', html: '<p>html</p>', amp: '<!doctype html><html ⚡4email><body>amp</body></html>' })
    const out = await rewriteMessage(raw, async (b) => {
      expect(b.amp).toContain('⚡4email')
      return { headers: b.headers, ...(b.html !== undefined ? { html: b.html } : {}), ...(b.text !== undefined ? { text: b.text } : {}) }
    })
    const text = Buffer.from(out).toString('latin1')
    expect(text).not.toMatch(/text\/x-amp-html/)
    const after = await simpleParser(Buffer.from(out))
    expect([after.html, after.text?.trim()]).toEqual(['<p>html</p>', 'plain'])
  })

  test('a header that disappears from the result is removed; a changed one is replaced; unchanged ones stay in place', async () => {
    const raw = await compose({ from: 'a@example.com', to: 'b@example.com', subject: 'Hi', html: '<p>x</p>', headers: { 'X-Mailgun-Track': 'yes', 'X-Keep': 'me' } })
    const out = await rewriteMessage(raw, async (b) => {
      const headers: Record<string, string> = { ...b.headers, 'X-Mailgun-Track': 'no' }
      delete headers['X-Keep']
      return { ...b, headers }
    })
    const after = await simpleParser(Buffer.from(out))
    expect(after.headers.get('x-mailgun-track')).toBe('no')
    expect(after.headers.has('x-keep')).toBe(false)
    expect(after.subject).toBe('Hi')
  })

  test('any bodies round-trip: identity keeps the bytes, a replacement reads back exactly (property)', async () => {
    const body = fc.string({ unit: 'grapheme', maxLength: 300 })
    await fc.assert(
      fc.asyncProperty(body, body, body, fc.constantFrom('quoted-printable', 'base64', '8bit'), async (html, text, replacement, encoding) => {
        const raw = await compose({ from: 'a@example.com', to: 'b@example.com', subject: 's', html: `<p>${html}</p>`, text: text || ' ', textEncoding: encoding as 'base64' })
        expect(Buffer.from(await rewriteMessage(raw, async (b) => ({ ...b }))).equals(Buffer.from(raw))).toBe(true)
        const out = await rewriteMessage(raw, async (b) => ({ ...b, html: `<div>${replacement}</div>` }))
        const after = await simpleParser(Buffer.from(out))
        expect(lf(after.html)).toBe(lf(`<div>${replacement}</div>`))
      }),
      { numRuns: 60 },
    )
  })

  test('something that is not a message is refused', async () => {
    await expect(rewriteMessage(new TextEncoder().encode('<html><body>hi</body></html>'), async (b) => b)).rejects.toThrow(/no header fields|no text\/html/)
  })
})
