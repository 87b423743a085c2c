// import, export, verify, report and transform-by-id, each run as a child process against SQLite and Postgres.
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { consentEventHash, GENESIS_HASH } from '../../src/store/chain.js'
import type { ConsentEvent } from '../../src/store/types.js'
import { databaseUrl, HISTORY_CSV, postgresTarget, runCli, sqliteTarget, storeKinds, tempDir, type StoreTarget } from './helpers.js'

const tmp = tempDir('cli-store')
let keys: string
beforeAll(async () => {
  keys = tmp.file('keys.json')
  expect((await runCli(['keygen', '-o', keys], { cwd: tmp.dir })).code).toBe(0)
})
afterAll(() => tmp.cleanup())

function parseJsonl(text: string): ConsentEvent[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const e = JSON.parse(line)
      return { ...e, at: new Date(e.at), recordedAt: new Date(e.recordedAt) }
    })
}

describe.each(storeKinds())('CLI against %s', (kind) => {
  let target: StoreTarget
  const cli = (...args: string[]) => runCli([...args], { cwd: tmp.dir })
  const exported = async () => parseJsonl((await cli('export', '--store', target.url)).stdout)

  beforeAll(() => {
    target = kind === 'sqlite' ? sqliteTarget(tmp.dir) : postgresTarget(databaseUrl!)
  })
  afterAll(async () => target.dispose())

  test('import: every row becomes an event; importing again adds nothing', async () => {
    const file = tmp.file(`history-${kind}.csv`, HISTORY_CSV)
    const first = await cli('import', file, '--store', target.url)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/13 new events, 0 already present/)
    const again = await cli('import', file, '--store', target.url)
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/0 new events, 13 already present/)
    const events = await exported()
    expect(events).toHaveLength(13)
    expect(events.find((e) => e.contactId === 'c_objected' && e.type === 'deny')).toMatchObject({ purposes: ['opens'], noticeVersion: '2026-04', source: 'import' })
    expect(events.find((e) => e.contactId === 'c_optin' && e.type === 'grant')).toMatchObject({ source: 'form', evidence: { formId: 'signup' } })
  })

  test('import: bad rows are listed with their line numbers and nothing is imported', async () => {
    const file = tmp.file(
      `bad-${kind}.csv`,
      [
        'contact_id,event,at,evidence.note',
        'c_b1,granted,2026-05-02,"a note',
        'over two lines"',
        'c_b2,liked,2026-05-02,',
        'ann@example.com,granted,2026-05-02,',
        'c_b3,granted,yesterday,',
        'c_b4,granted,2026-05-02',
        'c_b5,granted,2999-01-01,',
        '',
      ].join('\n'),
    )
    const before = (await exported()).length
    const run = await cli('import', file, '--store', target.url)
    expect(run.code).toBe(3)
    expect(run.stderr).toContain(`${file}:4: unknown event "liked"`)
    expect(run.stderr).toContain(`${file}:5: contactId looks like an email address`)
    expect(run.stderr).toContain(`${file}:6: at must be an ISO 8601 date`)
    expect(run.stderr).toContain(`${file}:7: has 3 fields, the header has 4`)
    expect(run.stderr).toContain(`${file}:8: at (2999-01-01T00:00:00.000Z) is in the future`)
    expect(run.stderr).toMatch(/error: 5 bad rows in .*nothing imported/)
    expect(run.stderr).not.toMatch(/\n\s+at /)
    expect((await exported()).length).toBe(before)

    const skipped = await cli('import', file, '--store', target.url, '--skip-invalid')
    expect(skipped.code).toBe(0)
    expect(skipped.stdout).toMatch(/1 new event, 0 already present, 5 bad rows skipped/)
    const events = await exported()
    expect(events.length).toBe(before + 1)
    expect(events.at(-1)).toMatchObject({ contactId: 'c_b1', evidence: { note: 'a note\nover two lines' } })
  })

  test('import --dry-run writes nothing; an unknown column is refused before any row', async () => {
    const file = tmp.file(`dry-${kind}.csv`, 'contact_id,event,at\nc_dry,granted,2026-05-02\n')
    const before = (await exported()).length
    const dry = await cli('import', file, '--store', target.url, '--dry-run')
    expect(dry.stdout).toMatch(/dry run: 1 valid rows, 0 bad rows/)
    expect((await exported()).length).toBe(before)
    const typo = await cli('import', tmp.file(`typo-${kind}.csv`, 'contact,event,at\nc_1,granted,2026-05-02\n'), '--store', target.url)
    expect(typo.code).toBe(3)
    expect(typo.stderr).toMatch(/:1: unknown column "contact".*missing required column contact_id/)
  })

  test('export: JSON Lines an auditor can re-verify, CSV with the same events, time bounds', async () => {
    const events = await exported()
    let prev = GENESIS_HASH
    events.forEach((e, i) => {
      expect(e.seq).toBe(i + 1)
      expect(e.prevHash).toBe(prev)
      expect(consentEventHash({ ...e, hash: undefined } as unknown as ConsentEvent)).toBe(e.hash)
      prev = e.hash
    })

    const csv = await cli('export', '--store', target.url, '--format', 'csv')
    expect(csv.code).toBe(0)
    const lines = csv.stdout.trim().split('\n')
    expect(lines[0]).toBe('seq,id,contact_id,type,purposes,at,source,notice_version,evidence,recorded_at,prev_hash,hash')
    // Evidence is one JSON cell, so even a multi-line value stays on its row.
    expect(lines.length).toBe(events.length + 1)
    expect(lines[1]!.split(',')[2]).toBe(events[0]!.contactId)

    const out = tmp.file(`export-${kind}.jsonl`)
    const toFile = await cli('export', '--store', target.url, '-o', out)
    expect(toFile.code).toBe(0)
    expect(toFile.stderr).toMatch(new RegExp(`exported ${events.length} events`))
    expect(parseJsonl(readFileSync(out, 'utf8'))).toEqual(events)

    const cut = events.at(-1)!.recordedAt
    const since = parseJsonl((await cli('export', '--store', target.url, '--since', cut.toISOString())).stdout)
    const until = parseJsonl((await cli('export', '--store', target.url, '--until', cut.toISOString())).stdout)
    expect(since.length + until.length).toBe(events.length)
    expect(since.every((e) => e.recordedAt >= cut)).toBe(true)
    expect(until.every((e) => e.recordedAt < cut)).toBe(true)
    expect((await cli('export', '--store', target.url, '--since', 'last week')).code).toBe(2)
  })

  test('export: a value a spreadsheet would run as a formula is neutralised in CSV only', async () => {
    const file = tmp.file(`formula-${kind}.csv`, 'contact_id,event,at,evidence.note\nc_formula,informed,2026-05-02,"=HYPERLINK(""http://x"")"\n')
    expect((await cli('import', file, '--store', target.url)).code).toBe(0)
    const csv = (await cli('export', '--store', target.url, '--format', 'csv')).stdout
    expect(csv).toContain(`"'{""note"":""=HYPERLINK(\\""http://x\\"")""}"`.replace(`"'{`, `"{`))
    const jsonl = parseJsonl((await cli('export', '--store', target.url)).stdout)
    expect(jsonl.find((e) => e.contactId === 'c_formula')!.evidence.note).toBe('=HYPERLINK("http://x")')
  })

  test('transform: a contact id is looked up in the store', async () => {
    const html = tmp.file('mail.html', '<html><body><p>Hello</p><a href="https://example.com/offer">Offer</a></body></html>')
    const tracked = await cli('transform', html, '--contact', 'c_optin', '--category', 'marketing', '--store', target.url, '--keys', keys, '--now', '2026-11-29T10:00:00Z')
    expect(tracked.code).toBe(0)
    expect(tracked.stderr).toMatch(/decision: send, tracked \(opens, clicks\); basis consent/)
    expect(tracked.stdout).toMatch(/<img[^>]+\/o\//)
    const untracked = await cli('transform', html, '--contact', 'c_withdrawn', '--category', 'marketing', '--store', target.url, '--keys', keys)
    expect(untracked.code).toBe(0)
    expect(untracked.stderr).toMatch(/decision: send, untracked; basis none/)
    expect(untracked.stdout).not.toMatch(/\/o\//)
    const unknown = await cli('transform', html, '--contact', 'c_nobody', '--category', 'marketing', '--store', target.url, '--keys', keys)
    expect(unknown.code).toBe(0)
    expect(unknown.stderr).toMatch(/c_nobody \(not in .*unknown contact\)/)
    expect(unknown.stderr).toMatch(/untracked/)
  })

  test('verify: OK on an intact chain; names the seq and the events around a tampered row, exit 4', async () => {
    const ok = await cli('verify', '--store', target.url)
    expect(ok.code).toBe(0)
    const count = (await exported()).length
    expect(ok.stdout).toMatch(new RegExp(`^chain OK: ${count} events verified in .*head seq ${count}, hash [0-9a-f]{64}`))

    await target.probe().editEvent(5, { contactId: 'c_forged' })
    const broken = await cli('verify', '--store', target.url)
    expect(broken.code).toBe(4)
    expect(broken.stdout).toMatch(/^chain BROKEN at seq 5: hash-mismatch, the row's content was changed after it was written/)
    expect(broken.stdout).toMatch(/4 events before it verified/)
    expect(broken.stdout).toMatch(/last good event\s+seq 4: /)
    expect(broken.stdout).toMatch(/first bad event\s+seq 5: \w+ .* for c_forged/)
    const json = await cli('verify', '--store', target.url, '--json')
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'hash-mismatch', checked: 4 })
    expect(json.code).toBe(4)
  })

  test('report: written even for a broken chain, which it shows, and exits 4', async () => {
    const out = tmp.file(`audit-${kind}.html`)
    const run = await cli('report', '--store', target.url, '-o', out, '--now', '2026-11-29')
    expect(run.code).toBe(4)
    expect(run.stdout).toMatch(/BROKEN at seq 5/)
    const html = readFileSync(out, 'utf8')
    expect(html).toContain('Broken at seq 5 (hash-mismatch')
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
  })
})

describe('store URLs', () => {
  test('a read-only command on a missing SQLite file says so instead of creating it (exit 5)', async () => {
    const run = await runCli(['verify', '--store', 'sqlite:./nothing-here.db'], { cwd: tmp.dir })
    expect(run.code).toBe(5)
    expect(run.stderr).toMatch(/^error: no store at .*nothing-here\.db/)
  })

  test('without --store or ETC_STORE, the store is sqlite:./consent.db in the working directory', async () => {
    const dir = tempDir('cli-default-store')
    try {
      const file = dir.file('contacts.csv', 'contact_id,event,at\nc_default,granted,2026-05-02\n')
      const run = await runCli(['import', file], { cwd: dir.dir })
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(`into sqlite:${dir.dir}/consent.db: 1 new event`)
      expect(existsSync(`${dir.dir}/consent.db`)).toBe(true)
      const verify = await runCli(['verify'], { cwd: dir.dir })
      expect(verify.code).toBe(0)
      expect(verify.stdout).toMatch(new RegExp(`^chain OK: 1 event verified in sqlite:${dir.dir}/consent\\.db`))
      // One of a thing is said in the singular everywhere.
      const exported = await runCli(['export', '-o', 'out.jsonl'], { cwd: dir.dir })
      expect(exported.code).toBe(0)
      expect(exported.stderr).toMatch(/^exported 1 event from /)
      const report = await runCli(['report', '-o', 'audit.html', '--now', '2026-11-29'], { cwd: dir.dir })
      expect(report.code).toBe(0)
      expect(report.stdout).toMatch(/: 1 contact, 1 event, chain intact/)
      expect(readFileSync(`${dir.dir}/audit.html`, 'utf8')).toContain('Intact: 1 event verified')
    } finally {
      dir.cleanup()
    }
  })

  test('ETC_STORE is the default store, and an unknown scheme is a usage error', async () => {
    const file = tmp.file('env.csv', 'contact_id,event,at\nc_env,granted,2026-05-02\n')
    const run = await runCli(['import', file], { cwd: tmp.dir, env: { ETC_STORE: `sqlite:${tmp.dir}/env.db` } })
    expect(run.stdout).toContain(`into sqlite:${tmp.dir}/env.db`)
    const bad = await runCli(['verify', '--store', 'mysql://x'], { cwd: tmp.dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/^error: unknown store URL "mysql:\/\/x"/)
  })

  test.runIf(databaseUrl)('a Postgres password never appears in messages', async () => {
    const url = new URL(databaseUrl!)
    url.password = 'hunter2-secret'
    url.port = '1'
    const run = await runCli(['verify', '--store', url.href], { cwd: tmp.dir, timeoutMs: 20_000 })
    expect(run.code).toBe(5)
    expect(run.stderr + run.stdout).not.toContain('hunter2-secret')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
  })
})
