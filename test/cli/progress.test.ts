// Progress is drawn on a terminal (a real pseudo-terminal via util-linux `script`) and never in pipes.
import { spawnSync } from 'node:child_process'
import { afterAll, describe, expect, test } from 'vitest'
import { CLI, runCli, tempDir } from './helpers.js'

const tmp = tempDir('cli-progress')
afterAll(() => tmp.cleanup())
const hasScript = spawnSync('script', ['--version']).status === 0
const rows = ['contact_id,event,at', ...Array.from({ length: 3000 }, (_, i) => `c_${i},granted,2026-05-02T10:00:${String(i % 60).padStart(2, '0')}Z`)].join('\n') + '\n'

/** Runs the CLI with stdout and stderr on a pseudo-terminal; returns everything written to it. */
function onTerminal(args: string[]): { status: number | null; screen: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: tmp.dir, encoding: 'utf8', timeout: 60_000 })
  return { status: run.status, screen: run.stdout }
}

// In CI a missing `script` fails these tests instead of skipping them.
describe.runIf(hasScript || process.env.CI === 'true')('progress on a terminal', () => {
  test('import draws a bar with the row count, then erases it before the summary', async () => {
    const { status, screen } = onTerminal(['import', tmp.file('big.csv', rows), '--store', `sqlite:${tmp.dir}/p.db`, '--batch-size', '100'])
    expect(status).toBe(0)
    expect(screen).toMatch(/\r\x1b\[2Kimporting .*big\.csv \[#+-*\] +\d+% [\d,]+\/3,000 rows [\d,]+ rows\/s/)
    expect(screen).toMatch(/\[#{24}\] 100% 3,000\/3,000 rows/)
    expect(screen).toMatch(/\r\x1b\[2Kimported .*3,000 new events/)
  })

  test('export counts events on the terminal while the file is written', async () => {
    const { status, screen } = onTerminal(['export', '--store', `sqlite:${tmp.dir}/p.db`, '-o', `${tmp.dir}/out.jsonl`])
    expect(status).toBe(0)
    expect(screen).toMatch(/\r\x1b\[2Kexporting [\d,]+ events [\d,]+ events\/s/)
    expect(screen).toMatch(/exported 3,000 events .* to .*out\.jsonl/)
  })

  test('nothing but the summary when output is not a terminal', async () => {
    const run = await runCli(['import', tmp.file('small.csv', rows), '--store', `sqlite:${tmp.dir}/q.db`], { cwd: tmp.dir })
    expect(run.stderr).toBe('')
    expect(run.stdout).not.toMatch(/\x1b/)
  })
})
