// What every command shares: --help, exit codes, one-line errors, --debug.
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { EXIT } from '../../src/cli/exit-codes.js'
import { runCli, tempDir } from './helpers.js'

const tmp = tempDir('cli-help')
afterAll(() => tmp.cleanup())
const cli = (...args: string[]) => runCli(args, { cwd: tmp.dir })

const COMMANDS = [['keygen'], ['transform'], ['import'], ['export'], ['verify'], ['report'], ['serve'], ['token'], ['token', 'verify'], ['token', 'inspect']]

describe('help', () => {
  test('the top-level help lists every command and documents the exit codes', async () => {
    const run = await cli('--help')
    expect(run.code).toBe(0)
    for (const name of ['keygen', 'transform', 'import', 'export', 'verify', 'report', 'serve', 'token']) expect(run.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'))
    for (const code of [0, 1, 2, 3, 4, 5]) expect(run.stdout).toMatch(new RegExp(`^  ${code}  \\w`, 'm'))
  })

  test.each(COMMANDS.map((c) => [c.join(' ')]))('%s --help exits 0 with usage and exit codes', async (command) => {
    const run = await cli(...command.split(' '), '--help')
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Usage: email-tracking-consent /)
    expect(run.stdout).toMatch(/Exit codes/)
  })

  test('the exit codes are documented in README.md (Command line, Exit codes) and --help, the same codes as the CLI uses', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
    const section = /^#### Exit codes\n([\s\S]*?)^#/m.exec(readme)?.[1]
    expect(section, 'README.md has a "#### Exit codes" section').toBeDefined()
    const documented = [...section!.matchAll(/^\| (\d+) \| \S/gm)].map((m) => Number(m[1]))
    const used = Object.values(EXIT).sort()
    expect(documented).toEqual(used)
    const help = (await cli('--help')).stdout
    expect([...help.matchAll(/^ {2}(\d) {2}\w/gm)].map((m) => Number(m[1]))).toEqual(used)
  })

  test('no command prints the help and exits 2', async () => {
    const run = await cli()
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/Usage: email-tracking-consent/)
  })
})

describe('errors', () => {
  test('an unknown command or option, or a missing argument, is a usage error (exit 2) in one line plus a hint', async () => {
    for (const args of [['frobnicate'], ['verify', '--nope'], ['import'], ['transform', 'x.html', '--category', 'marketing']]) {
      const run = await cli(...args)
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toMatch(/^error: /)
      expect(run.stderr).toMatch(/\(add --help for usage\)\n$/)
      expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(3)
    }
  })

  test('a missing input file is one line, no stack; --debug adds the stack', async () => {
    const run = await cli('import', 'missing.csv')
    expect(run.code).toBe(3)
    expect(run.stderr).toBe('error: cannot read missing.csv: no such file or directory\n')
    const debug = await cli('--debug', 'import', 'missing.csv')
    expect(debug.code).toBe(3)
    expect(debug.stderr).toMatch(/CliError: cannot read missing.csv/)
    expect(debug.stderr).toMatch(/\n\s+at /)
    expect(debug.stderr).toMatch(/caused by: .*ENOENT/)
  })

  test('--version prints the package version', async () => {
    const run = await cli('--version')
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    expect(run.code).toBe(0)
  })
})
