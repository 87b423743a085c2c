/**
 * Exit codes of every command. Documented in README.md (Command line); scripts rely on
 * them, so a code never changes meaning.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A bug or an unexpected failure (run again with --debug and report it). */
  internal: 1,
  /** Bad command line: unknown option, missing argument, bad option value, no keys configured. */
  usage: 2,
  /** Bad input: unreadable or invalid file, CSV rows with errors, bad contact JSON, bad key file, not a token. */
  invalidInput: 3,
  /** A check failed: the hash chain is broken, or a token does not verify. */
  checkFailed: 4,
  /** The store could not be opened, read or written (missing driver, connection refused, locked, corrupt). */
  storeError: 5,
} as const

/** One of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** An error the CLI reports as one line, with its exit code. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}
