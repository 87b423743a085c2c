// Runs the built CLI as a child process, against a real SQLite file or a real Postgres schema.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { postgresStoreProbe, sqliteStoreProbe, type StoreProbe } from '../../src/store/testing.js'

export const CLI = new URL('../../dist/cli/index.js', import.meta.url).pathname
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`)

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node dist/cli/index.js ...args` and collects its output. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ETC_KEYS: undefined, ETC_KEYS_FILE: undefined, ETC_STORE: undefined, ETC_BASE_URL: undefined, ...options.env }
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k]
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(prefix: string): { dir: string; file(name: string, content?: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `etc-${prefix}-`))
  return {
    dir,
    file(name, content) {
      const path = join(dir, name)
      if (content !== undefined) writeFileSync(path, content)
      return path
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export const CI_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
export const databaseUrl: string | undefined = process.env.DATABASE_URL || (process.env.CI === 'true' ? CI_DATABASE_URL : undefined)

/** A store the CLI is pointed at, with a probe that reads and tampers with its rows directly. */
export interface StoreTarget {
  name: 'sqlite' | 'postgres'
  url: string
  probe(): StoreProbe
  dispose(): Promise<void>
}

let serial = 0
/** A new SQLite file in `dir`. */
export function sqliteTarget(dir: string): StoreTarget {
  const file = join(dir, `consent-${++serial}.db`)
  let db: Database.Database | undefined
  return {
    name: 'sqlite',
    url: `sqlite:${file}`,
    probe() {
      db ??= new Database(file)
      return sqliteStoreProbe(db)
    },
    async dispose() {
      db?.close()
    },
  }
}

/** A new schema of the test database, dropped by `dispose()`. */
export function postgresTarget(url: string): StoreTarget {
  const schema = `cli_${process.pid}_${Date.now().toString(36)}_${++serial}`
  let pool: pg.Pool | undefined
  const poolOf = () => (pool ??= new pg.Pool({ connectionString: url, max: 2 }))
  const target = new URL(url)
  target.searchParams.set('schema', schema)
  return {
    name: 'postgres',
    url: target.href,
    probe: () => postgresStoreProbe(poolOf(), { schema }),
    async dispose() {
      await poolOf().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await pool?.end()
    },
  }
}

/** The store kinds to run against: SQLite always, Postgres when configured (required in CI). */
export function storeKinds(): ('sqlite' | 'postgres')[] {
  if (!databaseUrl) {
    console.warn(`CLI Postgres tests skipped: set DATABASE_URL (e.g. ${CI_DATABASE_URL}) or CI=true to run them.`)
    return ['sqlite']
  }
  return ['sqlite', 'postgres']
}

/** A consent history in every state, as an import file. */
export const HISTORY_CSV = [
  'contact_id,event,at,purposes,source,notice_version,evidence.formId',
  'c_optin,collected,2026-05-02T10:00:00Z,,form,2026-04,signup',
  'c_optin,granted,2026-05-02T10:00:00Z,both,form,2026-04,signup',
  'c_legacy,collected,2024-03-10,,,,',
  'c_legacy,informed,2026-05-20,,,2026-04,',
  'c_objected,collected,2024-03-10,,,,',
  'c_objected,informed,2026-05-20,,,2026-04,',
  'c_objected,objected,2026-06-01,opens,,2026-04,',
  'c_withdrawn,collected,2026-05-02,,,,',
  'c_withdrawn,granted,2026-05-02,,,2026-04,',
  'c_withdrawn,withdrawn,2026-10-03,,withdrawal-link,,',
  'c_new,collected,2026-09-14,,,,',
  'c_asked,collected,2026-09-14,,,,',
  'c_asked,requested,2026-10-01,,consent-email,,',
  '',
].join('\n')
