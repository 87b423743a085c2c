import { Command, CommanderError } from 'commander'
import pkg from '../../package.json' with { type: 'json' }
import { ConsentTrackingError } from '../lib/errors.js'
import { exportCommand } from './commands/export.js'
import { importCommand } from './commands/import.js'
import { keygenCommand } from './commands/keygen.js'
import { reportCommand } from './commands/report.js'
import { serveCommand } from './commands/serve.js'
import { tokenCommand } from './commands/token.js'
import { transformCommand } from './commands/transform.js'
import { verifyCommand } from './commands/verify.js'
import type { RunContext } from './context.js'
import { CliError, EXIT, type ExitCode } from './exit-codes.js'
import { processIo, type CliIo } from './io.js'

const EXIT_HELP = `
Exit codes:
  0  done
  1  unexpected failure (a bug: run again with --debug and report it)
  2  bad command line (unknown option, missing argument, no keys configured)
  3  bad input (unreadable file, bad CSV rows, bad contact JSON, bad key file, not a token)
  4  check failed (hash chain broken, token does not verify)
  5  store error (cannot open, read or write the store; missing driver)

Environment:
  ETC_STORE      default for --store (else sqlite:./consent.db)
  ETC_KEYS       the key file's JSON itself; ETC_KEYS_FILE: its path (else --keys)
`

/** Store error codes that mean the input was bad, not the store. */
const STORE_INPUT_CODES = new Set([
  'invalid-event', 'unknown-field', 'invalid-id', 'missing-contact-id', 'invalid-contact-id', 'email-like-contact-id', 'unknown-type',
  'unknown-source', 'invalid-date', 'future-date', 'invalid-purposes', 'invalid-notice-version', 'invalid-evidence', 'evidence-too-large',
  'idempotency-conflict', 'invalid-range',
])

/** The exit code for an error that reached the top. */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode
  if (err instanceof ConsentTrackingError) {
    if (err.name === 'StoreError') return STORE_INPUT_CODES.has(err.code) ? EXIT.invalidInput : EXIT.storeError
    return EXIT.invalidInput
  }
  return EXIT.internal
}

function oneLine(err: unknown): string {
  if (err instanceof CliError) return err.message
  if (err instanceof ConsentTrackingError) return `${err.message} (${err.name} ${err.code})`
  const message = err instanceof Error ? err.message : String(err)
  return `unexpected failure: ${message.split('\n')[0]} (run with --debug for details)`
}

function describeDebug(err: unknown): string {
  let out = ''
  let current: unknown = err
  for (let depth = 0; current && depth < 5; depth++) {
    out += `${depth ? 'caused by: ' : ''}${current instanceof Error ? (current.stack ?? current.message) : String(current)}\n`
    current = current instanceof Error ? current.cause : undefined
  }
  return out
}

/** Builds the command tree. */
export function buildProgram(ctx: RunContext): Command {
  const program = new Command('email-tracking-consent')
  program
    .description('Consent-aware email tracking: keys, transform, import, export, verify, audit report, endpoints, tokens.')
    .version(pkg.version, '-V, --version')
    .option('--debug', 'print stack traces and causes on errors')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    })
    .addHelpText('after', EXIT_HELP)
    .exitOverride()
  keygenCommand(program, ctx)
  transformCommand(program, ctx)
  importCommand(program, ctx)
  exportCommand(program, ctx)
  verifyCommand(program, ctx)
  reportCommand(program, ctx)
  serveCommand(program, ctx)
  tokenCommand(program, ctx)
  // Subcommands throw instead of exiting, share the output streams and show the exit codes.
  const configure = (command: Command) => {
    for (const sub of command.commands) {
      // Descriptions are written in short source lines; commander re-wraps them to the terminal.
      sub.description(sub.description().replace(/(?<!\n)\n(?!\n)/g, ' '))
      sub.exitOverride().configureOutput(program.configureOutput()).showHelpAfterError('(add --help for usage)')
      sub.addHelpText('after', '\nExit codes: 0 done, 2 bad command line, 3 bad input, 4 check failed, 5 store error (see email-tracking-consent --help).')
      configure(sub)
    }
  }
  configure(program)
  return program
}

/** Runs the CLI on `argv` (as in `process.argv`) and resolves to the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  const ctx: RunContext = { io, exitCode: EXIT.ok }
  const program = buildProgram(ctx)
  const debug = argv.includes('--debug')
  try {
    await program.parseAsync(argv)
    if (ctx.keepAlive) await ctx.keepAlive
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok
      return EXIT.usage
    }
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') return EXIT.ok
    io.stderr.write(debug ? describeDebug(err) : `error: ${oneLine(err)}\n`)
    return exitCodeOf(err)
  }
}
