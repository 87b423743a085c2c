// Every example is type-checked against the built package and run as a user would run it.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { afterAll, describe, expect, test } from 'vitest'

const root = new URL('../../', import.meta.url).pathname
const examples = join(root, 'examples')
if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
const databaseUrl = process.env.DATABASE_URL || (process.env.CI === 'true' ? 'postgres://postgres@127.0.0.1:5432/test' : undefined)
const artifacts = join(root, 'test/artifacts')
const tmp = mkdtempSync(join(tmpdir(), 'etc-examples-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function run(file: string, args: string[] = [], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(examples, file), ...args], { cwd: root, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('examples', () => {
  test('type-check against the published types (tsc -p examples/tsconfig.json)', () => {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(examples, 'tsconfig.json')], { encoding: 'utf8' })
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)
  }, 120_000)

  test('every example file is run by this suite', () => {
    const covered = ['demo', 'nodemailer-sqlite', 'express-postgres', 'fetch-handler', 'consent-form', 'consent-request-campaign', 'key-rotation', 'audit-export']
    expect(readdirSync(examples).filter((f) => f.endsWith('.mjs')).map((f) => f.replace(/\.mjs$/, '')).sort()).toEqual(covered.sort())
  })

  test('Nodemailer with the SQLite store', async () => {
    const r = await run('nodemailer-sqlite.mjs')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/c_ada: tracked \(basis consent.*pixel in message: true/)
    expect(r.stdout).toMatch(/c_bob: untracked \(basis none.*pixel in message: false/)
  })

  test.runIf(databaseUrl)('Express with the endpoints and Postgres', async () => {
    const r = await run('express-postgres.mjs', [], { DATABASE_URL: databaseUrl })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/GET 200, POST 200: c_ada opens withdrawn, clicks withdrawn/)
    expect(r.stdout).toMatch(/the next email to c_ada is untracked/)
  })

  test('Express with Postgres explains how to run it when no database is configured', async () => {
    const r = await run('express-postgres.mjs', [], { DATABASE_URL: '' })
    expect([r.code, r.stdout.trim()]).toEqual([0, 'skipped: set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run this example'])
  })

  test('a plain fetch handler', async () => {
    const r = await run('fetch-handler.mjs')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/GET pixel -> 200 image\/gif; opens reported: 1/)
    expect(r.stdout).toMatch(/POST withdrawal form -> 200; opens withdrawn, clicks withdrawn/)
    expect(r.stdout).toMatch(/GET pixel of the same email again -> 200; opens reported: 1/)
  })

  test('a consent form with an unchecked checkbox and a versioned notice', async () => {
    const r = await run('consent-form.mjs')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/the checkbox as rendered: <input type="checkbox" id="[^"]+" name="tracking_consent" value="yes" aria-describedby="[^"]+">/)
    expect(r.stdout).toMatch(/without ticking the box, recorded:\n {2}collect .*\n {2}deny opens\+clicks \(notice 2026-04; formId=newsletter-signup, ip=127\.0\.0\.1, userAgent=/)
    expect(r.stdout).toMatch(/with the box ticked, recorded:\n {2}collect .*\n {2}grant opens\+clicks/)
  })

  test('a consent-request campaign that respects the 6-month wait', async () => {
    const r = await run('consent-request-campaign.mjs')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/first run: sent to c_never, c_asked_7m \(2 sent, 3 skipped\)/)
    expect(r.stdout).toMatch(/skip c_asked_2m {4}request-cooldown/)
    expect(r.stdout).toMatch(/same campaign again today: sent to nobody \(0 sent, 5 skipped\)/)
  })

  test('key rotation', async () => {
    const r = await run('key-rotation.mjs')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/link sent before rotation verifies with kid k2026/)
    expect(r.stdout).toMatch(/after retiring k2026, an old link fails with: unknown-key/)
  })

  test('exporting for an audit, verified from the file alone', async () => {
    const r = await run('audit-export.mjs')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/auditor: 5 events chain up to [0-9a-f]{64}, matching the store's head: true/)
  })

  test('the demo runs end to end, exits 0 and leaves the files it names', async () => {
    const dir = join(tmp, 'demo')
    const r = await run('demo.mjs', [], { ETC_DEMO_DIR: dir })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/2 tracked, 5 untracked/)
    expect(r.stdout).toMatch(/0 new events, 13 already present/)
    expect(r.stdout).toMatch(/POST the form with its nonce -> 200; c_optin now: opens withdrawn, clicks withdrawn/)
    // The table: the decision on one line, what the recipient got on the line below, every line within 120 columns.
    expect(r.stdout).toMatch(/^ {3}contact +category +decision +basis +reasons$/m)
    expect(r.stdout).toMatch(/^ {3}c_optin +marketing +tracked +consent +opens\+clicks: granted\n +got: our pixel, 3 tracked links, withdrawal link, ESP pixel removed$/m)
    expect(r.stdout).toMatch(/^ {3}c_legacy +marketing +tracked +legacy-no-objection +opens\+clicks: legacy-no-objection\n/m)
    expect(r.stdout).toMatch(/^ {3}c_legacy +consent-request +untracked +none +consent-request\n +got: consent link, no tracking$/m)
    expect(r.stdout).toMatch(/^ {3}c_objected +consent-request +not sent +none +request-cooldown\n +got: nothing$/m)
    expect(r.stdout).toMatch(/after c_optin withdrew in step 5, the next newsletter:\n {3}c_optin +marketing +untracked +none +opens\+clicks: withdrawn\n +got: no tracking, ESP pixel removed$/m)
    expect(r.stdout).toMatch(/^ {3}c_withdrawn +transactional +untracked +exempt +transactional-exempt\n +got: untouched$/m)
    expect(r.stdout).not.toMatch(/ESP pixel KEPT/)
    expect(r.stdout).not.toMatch(/opens:\S+ clicks:/)
    const table = r.stdout.slice(r.stdout.indexOf('\n6. '), r.stdout.indexOf('\nThe accountability file'))
    expect(table.split('\n').length).toBeGreaterThan(40)
    expect(table.split('\n').filter((line) => line.length > 120)).toEqual([])
    // Commands are shown as they run in a clone.
    expect(r.stdout).toMatch(/^ {3}\$ npx email-tracking-consent verify --store sqlite:consent\.db$/m)
    expect(r.stdout).not.toMatch(/^ {3}\$ email-tracking-consent/m)
    for (const file of ['audit.html', 'consent-export.csv', 'consent-export.jsonl', 'consent.db', 'keys.json', 'contacts.csv']) expect(existsSync(join(dir, file)), file).toBe(true)
    expect(readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml')).length).toBe(7 + 3 + 1 + 1)
    expect(readFileSync(join(dir, 'audit.html'), 'utf8')).toContain('id="events-chart"')
  }, 120_000)

  test('`npm run demo -- --serve` keeps the endpoints up, prints links that open, and stops cleanly on Ctrl-C', async () => {
    const dir = join(tmp, 'demo-serve')
    const child = spawn(process.execPath, [join(examples, 'demo.mjs'), '--serve'], { cwd: root, env: { ...process.env, ETC_DEMO_DIR: dir, PORT: '0' } })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          stdout += d
          if (/then: npx email-tracking-consent report/.test(stdout)) resolve()
        })
        exited.then((code) => reject(new Error(`demo --serve exited ${code} before printing its links: ${stdout} ${stderr}`)))
      })
      expect(stdout).toMatch(/The endpoints stay up on http:\/\/127\.0\.0\.1:\d+\/t \(Ctrl-C stops\)/)
      const links = Object.fromEntries(
        [...stdout.matchAll(/^ {3}(stop tracking|preference center|unsubscribe|accept tracking) \((c_\w+)\): +(http:\/\/127\.0\.0\.1:\d+\/t\/\S+)$/gm)].map((m) => [m[1]!, m[3]!]),
      )
      expect(Object.keys(links).sort()).toEqual(['accept tracking', 'preference center', 'stop tracking', 'unsubscribe'])
      const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', accept: 'text/html' }
      for (const [name, url] of Object.entries(links)) {
        const page = await fetch(url, { headers: browser })
        expect(page.status, name).toBe(200)
        expect(page.headers.get('content-type'), name).toMatch(/^text\/html/)
        expect(await page.text(), name).toMatch(/<form[^>]+method="post"/i)
      }
      // The server is still up after the links were opened: GET changed nothing and nothing stopped it.
      expect((await fetch(links['stop tracking']!, { headers: browser })).status).toBe(200)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/\nDone\.\n$/)
  }, 120_000)
})

describe('the consent form in Chromium', () => {
  test('the box starts unticked; submitting without ticking records a refusal, ticking records consent', async () => {
    mkdirSync(artifacts, { recursive: true })
    const child = spawn(process.execPath, [join(examples, 'consent-form.mjs'), '--serve'], { cwd: root, env: { ...process.env, PORT: '0' } })
    const origin = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d) => {
        out += d
        const m = /consent form on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)
        if (m) resolve(m[1]!)
      })
      child.on('close', (code) => reject(new Error(`exited ${code}: ${out}`)))
    })
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] })
    try {
      const page = await browser.newPage()
      for (const [lang, email, tick, expected] of [['fr', 'ann@example.org', false, /deny opens\+clicks \(notice 2026-04/], ['en', 'ben@example.org', true, /grant opens\+clicks \(notice 2026-04/]] as const) {
        await page.goto(`${origin}/?lang=${lang}`)
        const box = page.getByRole('checkbox')
        expect(await box.count()).toBe(1)
        expect(await box.isChecked()).toBe(false)
        expect(await page.locator('.etc-consent__notice').textContent()).toMatch(lang === 'fr' ? /Notice d'information.*version 2026-04/ : /Information notice.*version 2026-04/)
        if (lang === 'fr') await page.screenshot({ path: join(artifacts, 'consent-form.png'), fullPage: true })
        await page.getByLabel('Email', { exact: true }).fill(email)
        if (tick) await box.check()
        await page.getByRole('button').click()
        await page.waitForSelector('#events')
        expect(await page.locator('#events').textContent()).toMatch(expected)
      }
    } finally {
      await browser.close()
      child.kill('SIGTERM')
    }
  }, 60_000)
})
