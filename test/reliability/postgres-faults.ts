// Shared pieces of the Postgres fault tests: a store whose connections carry
// an application_name (so only they are terminated), the terminator, and
// child writers that report what was acknowledged.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pg from 'pg'

export const CI_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
export const databaseUrl: string | undefined = process.env.DATABASE_URL || (process.env.CI === 'true' ? CI_DATABASE_URL : undefined)
if (!databaseUrl) console.warn(`Postgres fault tests skipped: set DATABASE_URL (e.g. ${CI_DATABASE_URL}) or CI=true to run them.`)

/** A name unique to this run, for a schema or an application_name. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}

/** The connection string with an application_name, so this run's connections can be found (and only they). */
export function namedUrl(url: string, applicationName: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', applicationName)
  return u.toString()
}

/** Terminates every backend whose application_name starts with `prefix`; returns how many. */
export async function terminate(admin: pg.Pool, prefix: string): Promise<number> {
  const { rows } = await admin.query<{ ok: boolean }>(
    'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name LIKE $1 AND pid <> pg_backend_pid()',
    [`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
  )
  return rows.filter((r) => r.ok).length
}

/** An acknowledged event as a child writer reported it. */
export interface Ack {
  id: string
  seq: number
  hash: string
}

/** Starts a child writer; resolves with its acknowledgements and retry count when it exits. */
export function startWriter(url: string, schema: string, label: string, count: number): { acks: Ack[]; done: Promise<{ code: number | null; retries: number; stderr: string }> } {
  const script = fileURLToPath(new URL('./pg-writer-child.mjs', import.meta.url))
  const child = spawn(process.execPath, [script, url, schema, label, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acks: Ack[] = []
  let retries = 0
  let stderr = ''
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, a, b, c] = line.split(' ')
    if (word === 'ack') acks.push({ id: a!, seq: Number(b), hash: c! })
    if (word === 'done') retries = Number(a)
  })
  const done = new Promise<{ code: number | null; retries: number; stderr: string }>((resolve) => child.on('exit', (code) => setImmediate(() => resolve({ code, retries, stderr }))))
  return { acks, done }
}
