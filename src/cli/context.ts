import type { CliIo } from './io.js'
import type { ExitCode } from './exit-codes.js'

/** State shared by the commands of one run. */
export interface RunContext {
  io: CliIo
  /** Set by a command that finished its output but must exit non-zero (e.g. a broken chain). */
  exitCode: ExitCode
  /** Resolves when a long-running command (serve) should stop. */
  keepAlive?: Promise<void>
}
