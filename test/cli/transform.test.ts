// transform as a child process, on corpus HTML and raw messages, with a consent record given as JSON.
import { readFileSync } from 'node:fs'
import { simpleParser } from 'mailparser'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runCli, tempDir } from './helpers.js'

const tmp = tempDir('cli-transform')
const corpus = (path: string) => new URL(`../fixtures/corpus/${path}`, import.meta.url).pathname
let keys: string
beforeAll(async () => {
  keys = tmp.file('keys.json')
  await runCli(['keygen', '-o', keys], { cwd: tmp.dir })
})
afterAll(() => tmp.cleanup())

const granted = JSON.stringify({ contactId: 'c_42', opens: { status: 'granted', at: '2026-05-02T10:00:00Z' }, clicks: 'granted', collectedAt: '2026-05-02' })
const withdrawn = JSON.stringify({ contactId: 'c_43', opens: 'withdrawn', clicks: 'withdrawn', collectedAt: '2026-05-02' })
const cli = (...args: string[]) => runCli([...args, '--keys', keys, '--base-url', 'https://t.example.com/mail', '--now', '2026-11-29T10:00:00Z'], { cwd: tmp.dir })

describe('transform <file.html>', () => {
  test('a consenting contact gets our pixel, signed click links and a withdrawal link; the decision goes to stderr', async () => {
    const run = await cli('transform', corpus('emailmonday__Cerberus/cerberus-hybrid.html'), '--contact', granted, '--category', 'marketing')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/<img[^>]+src="https:\/\/t\.example\.com\/mail\/o\//)
    expect(run.stdout).toMatch(/https:\/\/t\.example\.com\/mail\/c\//)
    expect(run.stdout).toMatch(/https:\/\/t\.example\.com\/mail\/w\//)
    expect(run.stderr).toMatch(/^decision: send, tracked \(opens, clicks\); basis consent; policy cnil-2026@1; contact c_42 \(from --contact JSON\)$/m)
    expect(run.stderr).toMatch(/^reasons: {2}\S/m)
    expect(run.stderr).toMatch(/^link: {5}withdraw https:\/\/t\.example\.com\/mail\/w\//m)
  })

  test('a withdrawn contact gets the email untracked and ESPs told not to track; -o writes the file; --json gives everything', async () => {
    const out = tmp.file('untracked.html')
    const run = await cli('transform', corpus('emailmonday__Cerberus/cerberus-hybrid.html'), '--contact', withdrawn, '--category', 'marketing', '-o', out)
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/decision: send, untracked; basis none/)
    expect(run.stderr).toMatch(/header: {3}X-Mailgun-Track: no/)
    expect(run.stderr).toMatch(new RegExp(`wrote ${out}`))
    const html = readFileSync(out, 'utf8')
    expect(html).not.toContain('t.example.com')
    const json = JSON.parse((await cli('transform', corpus('emailmonday__Cerberus/cerberus-hybrid.html'), '--contact', withdrawn, '--category', 'marketing', '--json')).stdout)
    expect(json.html).toBe(html)
    expect(json.decision).toMatchObject({ send: true, opens: false, clicks: false, basis: 'none' })
  })

  test('a transactional email is left untouched (exempt)', async () => {
    const file = corpus('ActiveCampaign__postmark-templates/inlined__basic-full__password-reset__content.html')
    const run = await cli('transform', file, '--contact', withdrawn, '--category', 'transactional')
    expect(run.stderr).toMatch(/basis exempt/)
    expect(run.stdout).toBe(readFileSync(file, 'utf8'))
  })

  test('bad input is one clear line: category, contact JSON, missing file', async () => {
    const file = corpus('emailmonday__Cerberus/cerberus-fluid.html')
    const badCategory = await cli('transform', file, '--contact', granted, '--category', 'newsletter')
    expect(badCategory.code).toBe(2)
    expect(badCategory.stderr).toMatch(/^error: option '--category <category>' argument 'newsletter' is invalid/)
    const badJson = await cli('transform', file, '--contact', '{"contactId":', '--category', 'marketing')
    expect(badJson.code).toBe(3)
    expect(badJson.stderr).toMatch(/^error: --contact is not valid JSON/)
    const badStatus = await cli('transform', file, '--contact', '{"contactId":"c_1","opens":"maybe"}', '--category', 'marketing')
    expect(badStatus.code).toBe(3)
    expect(badStatus.stderr.trim().split('\n')).toHaveLength(1)
    const missing = await cli('transform', 'nope.html', '--contact', granted, '--category', 'marketing')
    expect([missing.code, missing.stderr]).toEqual([3, 'error: cannot read nope.html: no such file or directory\n'])
  })
})

describe('transform <file.eml>', () => {
  test('a real Mailchimp campaign for a withdrawn contact: Mailchimp pixel and click tracking gone, message otherwise intact', async () => {
    const file = corpus('SpamScope__mail-parser/mail_test_13')
    const out = tmp.file('mailchimp.eml')
    const run = await cli('transform', file, '--contact', withdrawn, '--category', 'marketing', '-o', out)
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/removed: {2}\d+ trackers/)
    expect(run.stderr).toMatch(/pixel https:\/\/cimanagementconference\.us14\.list-manage\.com\/track\/open\.php/)
    const before = await simpleParser(readFileSync(file))
    const after = await simpleParser(readFileSync(out))
    expect(before.html).toMatch(/list-manage\.com\/track\/open\.php/)
    expect(after.html).not.toMatch(/track\/open\.php/)
    expect(after.subject).toBe(before.subject)
    expect(after.messageId).toBe(before.messageId)
    expect(after.headers.get('x-mailgun-track')).toBe('no')
    expect(after.text).not.toMatch(/\?e=042ea43672/)
  })

  test('a consenting contact: the HTML part carries our pixel and the text part our withdrawal link', async () => {
    const run = await cli('transform', corpus('SpamScope__mail-parser/mail_test_13'), '--contact', granted, '--category', 'marketing')
    expect(run.code).toBe(0)
    const after = await simpleParser(Buffer.from(run.stdout, 'latin1'))
    expect(after.html).toMatch(/src="https:\/\/t\.example\.com\/mail\/o\//)
    expect(after.text).toMatch(/https:\/\/t\.example\.com\/mail\/w\//)
  })

  test('a file without an email inside is bad input', async () => {
    const run = await cli('transform', tmp.file('not-a-message.eml', 'just some text\n'), '--contact', granted, '--category', 'marketing')
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/^error: .*not-a-message\.eml: /)
  })
})
