import { readFile, writeFile } from 'node:fs/promises'
import { CliError, EXIT } from './exit-codes.js'

/** Where a command writes. Tests and the demo pass their own streams. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean }
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
  env: NodeJS.ProcessEnv
  cwd: string
}

/** The process's own streams. */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() }
}

/** Reads an input file, turning a missing or unreadable file into one clear line. */
export async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${describeFsError(err)}`, EXIT.invalidInput, { cause: err })
  }
}

/** Writes an output file, turning a failure into one clear line. */
export async function writeOutput(path: string, content: string | Uint8Array, mode?: number): Promise<void> {
  try {
    await writeFile(path, content, mode === undefined ? undefined : { mode })
  } catch (err) {
    throw new CliError(`cannot write ${path}: ${describeFsError(err)}`, EXIT.invalidInput, { cause: err })
  }
}

/** `ENOENT` → "no such file or directory", keeping the message short. */
export function describeFsError(err: unknown): string {
  const code = (err as { code?: string } | null)?.code
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    case 'EISDIR':
      return 'is a directory'
    case 'EEXIST':
      return 'already exists'
    default:
      return (err as Error)?.message ?? String(err)
  }
}

/** Parses an ISO 8601 date or date-time option value. */
export function parseDateOption(value: string, option: string): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value)
  const date = new Date(day ? `${value}T00:00:00Z` : value)
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new CliError(`${option} must be an ISO 8601 date such as 2026-07-15 or 2026-07-15T10:00:00Z, got ${JSON.stringify(value)}`, EXIT.usage)
  return date
}

/** Thousands separators, for counts shown to people. */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

/** A count with its noun, in the singular for one: `counted(1, 'event')` is "1 event", `counted(3000, 'event')` "3,000 events". */
export function counted(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`
}
