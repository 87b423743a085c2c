// serve as a child process on loopback: a withdrawal made the way a browser makes it is recorded in the store.
import { spawn, type ChildProcess } from 'node:child_process'
import { load } from 'cheerio'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLI, databaseUrl, HISTORY_CSV, postgresTarget, runCli, sqliteTarget, storeKinds, tempDir, type StoreTarget } from './helpers.js'

const tmp = tempDir('cli-serve')
let keys: string
beforeAll(async () => {
  keys = tmp.file('keys.json')
  await runCli(['keygen', '-o', keys], { cwd: tmp.dir })
})
afterAll(() => tmp.cleanup())

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Starts `serve` and resolves once it prints its links. */
function startServe(args: string[]): Promise<{ child: ChildProcess; output: () => string; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out} ${err}`)), 30_000)
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d
      if (/unsubscribe\s+http/.test(out)) {
        clearTimeout(timer)
        resolve({ child, output: () => out + err, exited })
      }
    })
    exited.then((code) => reject(new Error(`serve exited ${code}: ${out} ${err}`)))
  })
}

/** The fields a browser submits for the page's POST form (hidden inputs, ticked boxes, the clicked button). */
function formFields(html: string): URLSearchParams {
  const $ = load(html)
  const form = $('form[method="post"]').first()
  const fields = new URLSearchParams()
  form.find('input[name]').each((_, el) => {
    const input = $(el)
    const type = (input.attr('type') ?? 'text').toLowerCase()
    if ((type === 'checkbox' || type === 'radio') && input.attr('checked') === undefined) return
    fields.append(input.attr('name')!, input.attr('value') ?? 'on')
  })
  const button = form.find('button[name]').first()
  if (button.length) fields.append(button.attr('name')!, button.attr('value') ?? '')
  return fields
}

describe.each(storeKinds())('serve against %s', (kind) => {
  let target: StoreTarget
  beforeAll(async () => {
    target = kind === 'sqlite' ? sqliteTarget(tmp.dir) : postgresTarget(databaseUrl!)
    expect((await runCli(['import', tmp.file(`serve-${kind}.csv`, HISTORY_CSV), '--store', target.url], { cwd: tmp.dir })).code).toBe(0)
  })
  afterAll(async () => target.dispose())

  test('GET the withdrawal page, wait, POST its form: the withdrawal is recorded and the next email is untracked', async () => {
    const html = tmp.file('mail.html', '<html><body><p>News</p><a href="https://example.com/a">A</a></body></html>')
    const before = await runCli(['transform', html, '--contact', 'c_optin', '--category', 'marketing', '--store', target.url, '--keys', keys], { cwd: tmp.dir })
    expect(before.stderr).toMatch(/tracked \(opens, clicks\)/)

    const server = await startServe(['--store', target.url, '--keys', keys, '--port', '0', '--min-delay', '300', '--contact', 'c_optin'])
    try {
      const base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1]!
      const withdrawUrl = new RegExp(`withdraw\\s+(${base}/w/\\S+)`).exec(server.output())![1]!
      const page = await fetch(withdrawUrl, { headers: { 'user-agent': BROWSER, accept: 'text/html' } })
      expect(page.status).toBe(200)
      const fields = formFields(await page.text())
      expect(fields.get('nonce')).toBeTruthy()
      // GET changed nothing.
      const still = await runCli(['transform', html, '--contact', 'c_optin', '--category', 'marketing', '--store', target.url, '--keys', keys], { cwd: tmp.dir })
      expect(still.stderr).toMatch(/tracked \(opens, clicks\)/)

      await new Promise((r) => setTimeout(r, 400))
      const done = await fetch(withdrawUrl, {
        method: 'POST',
        headers: { 'user-agent': BROWSER, 'content-type': 'application/x-www-form-urlencoded', origin: base, accept: 'text/html' },
        body: fields.toString(),
        redirect: 'manual',
      })
      expect([200, 303]).toContain(done.status)

      const events = (await runCli(['export', '--store', target.url], { cwd: tmp.dir })).stdout.trim().split('\n').map((l) => JSON.parse(l))
      const withdrawal = events.find((e) => e.contactId === 'c_optin' && e.type === 'withdraw')
      expect(withdrawal).toMatchObject({ source: 'withdrawal-link', purposes: ['opens', 'clicks'] })
      expect(withdrawal.evidence.userAgent).toBe(BROWSER)

      const after = await runCli(['transform', html, '--contact', 'c_optin', '--category', 'marketing', '--store', target.url, '--keys', keys], { cwd: tmp.dir })
      expect(after.stderr).toMatch(/decision: send, untracked/)
    } finally {
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    }
  })
})

describe('serve errors', () => {
  test('a port in use is one clear line', async () => {
    const first = await startServe(['--store', `sqlite:${tmp.dir}/busy.db`, '--keys', keys, '--port', '0', '--contact', 'c_1'])
    try {
      const port = /127\.0\.0\.1:(\d+)/.exec(first.output())![1]!
      const second = await runCli(['serve', '--store', `sqlite:${tmp.dir}/busy.db`, '--keys', keys, '--port', port], { cwd: tmp.dir })
      expect(second.code).toBe(2)
      expect(second.stderr).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`))
    } finally {
      first.child.kill('SIGTERM')
      await first.exited
    }
  })
})
