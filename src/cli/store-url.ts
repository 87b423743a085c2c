import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { createPostgresStore } from '../store/postgres.js'
import { createSqliteStore } from '../store/sqlite.js'
import type { ConsentStore } from '../store/types.js'
import { loadDriver } from '../store/sql/driver.js'
import type { PgPoolLike } from '../store/sql/postgres-binding.js'
import { CliError, EXIT } from './exit-codes.js'

export { DEFAULT_STORE_URL } from './defaults.js'

/** A store opened from a URL, with what the CLI needs around it. */
export interface OpenedStore {
  store: ConsentStore
  /** The URL without credentials, for messages. */
  label: string
  kind: 'sqlite' | 'postgres'
  /** The store's clock (the database server's for Postgres), which stamps `recordedAt`. */
  clock(): Promise<Date>
  close(): Promise<void>
}

/** Parsed `sqlite:` / `postgres://` URL. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; connectionString: string; schema?: string; label: string }

/**
 * `sqlite:./consent.db`, `sqlite:/var/lib/consent.db`, `postgres://user@host/db?schema=consent`
 * (`postgresql://` too). The `schema` query parameter selects the Postgres schema.
 */
export function parseStoreUrl(url: string, cwd: string): StoreLocation {
  if (url.startsWith('sqlite:')) {
    let path = url.slice('sqlite:'.length)
    if (path.startsWith('//')) path = path.slice(2)
    if (path === '' || path === ':memory:') throw new CliError(`store URL ${url} names no file: use sqlite:./consent.db`, EXIT.usage)
    return { kind: 'sqlite', path: resolve(cwd, path) }
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new CliError(`store URL is not a valid postgres:// URL`, EXIT.usage)
    }
    const schema = parsed.searchParams.get('schema') ?? undefined
    parsed.searchParams.delete('schema')
    const label = new URL(parsed.href)
    if (label.password) label.password = '***'
    return { kind: 'postgres', connectionString: parsed.href, ...(schema ? { schema } : {}), label: label.href }
  }
  throw new CliError(`unknown store URL ${JSON.stringify(url)}: use sqlite:./consent.db or postgres://user@host/db`, EXIT.usage)
}

type PoolConstructor = new (config: { connectionString: string; max?: number }) => PgPoolLike & {
  end(): Promise<void>
  on(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * Opens the store a URL names. `mustExist` refuses to create an empty SQLite
 * file for commands that only read (export, verify, report).
 */
export async function openStore(url: string, cwd: string, options: { mustExist?: boolean } = {}): Promise<OpenedStore> {
  const location = parseStoreUrl(url, cwd)
  if (location.kind === 'sqlite') {
    if (options.mustExist && !existsSync(location.path))
      throw new CliError(`no store at ${location.path}: import contacts first or pass --store`, EXIT.storeError)
    const store = createSqliteStore({ database: location.path })
    return {
      store,
      label: `sqlite:${location.path}`,
      kind: 'sqlite',
      clock: async () => new Date(),
      close: () => store.close(),
    }
  }
  const { Pool } = loadDriver<{ Pool: PoolConstructor }>('pg')
  const pool = new Pool({ connectionString: location.connectionString, max: 4 })
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined)
  const store = createPostgresStore({ pool, ...(location.schema ? { schema: location.schema } : {}) })
  return {
    store,
    label: location.label,
    kind: 'postgres',
    async clock() {
      const result = await pool.query('SELECT clock_timestamp() AS now')
      return new Date((result.rows[0] as { now: Date | string }).now)
    },
    async close() {
      await store.close()
      await pool.end()
    },
  }
}
