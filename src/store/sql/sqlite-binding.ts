import { StoreError } from '../errors.js'
import { toStoreError } from './base.js'
import { drive, type RowOptions, type SqlConnection, type SqlExecutor } from './executor.js'

/**
 * The part of a better-sqlite3 statement the store uses.
 *
 * @example
 * ```ts
 * import type { SqliteStatementLike } from 'email-tracking-consent/store/sqlite'
 * const count: SqliteStatementLike = db.prepare('SELECT count(*) AS n FROM consent_events')
 * const { n } = count.get() as { n: number }
 * ```
 */
export interface SqliteStatementLike {
  /** Runs a writing statement with positional parameters; the result is ignored. */
  run(...params: unknown[]): unknown
  /** Returns the first result row, or `undefined` when there is none. */
  get(...params: unknown[]): unknown
  /** Returns every result row (an empty array when there is none). */
  all(...params: unknown[]): unknown[]
  /** Switches a reading statement to rows as arrays. */
  raw?(toggle?: boolean): unknown
}

/**
 * The part of a better-sqlite3 `Database` the store uses (so the driver's types are not needed).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { createSqliteStore, type SqliteDatabaseLike } from 'email-tracking-consent/store/sqlite'
 * const db: SqliteDatabaseLike = new Database('consent.db')
 * const store = createSqliteStore({ database: db })
 * await store.close() // leaves db open: the caller owns it
 * db.close()
 * ```
 */
export interface SqliteDatabaseLike {
  /** Compiles one SQL statement (the store caches the result). */
  prepare(sql: string): SqliteStatementLike
  /** Runs a `PRAGMA` (e.g. `journal_mode = WAL`); `simple` returns the first column of the first row. */
  pragma(source: string, options?: { simple?: boolean }): unknown
  /** Closes the database; the store calls it only when it opened the database itself. */
  close(): unknown
  readonly inTransaction: boolean
}

/**
 * How SQLite settles each commit: `full` syncs the WAL on every commit (survives power loss), `normal` only at checkpoints (survives crashes).
 *
 * @example
 * ```ts
 * import { createSqliteStore, type SqliteSynchronous } from 'email-tracking-consent/store/sqlite'
 * // Faster commits where surviving a power loss does not matter (a staging box).
 * const synchronous: SqliteSynchronous = process.env.NODE_ENV === 'production' ? 'full' : 'normal'
 * const store = createSqliteStore({ database: 'consent.db', synchronous })
 * ```
 */
export type SqliteSynchronous = 'full' | 'normal'

/** Maps a better-sqlite3 error to a store error: a lock held too long becomes `busy`. */
function classify(err: unknown): StoreError {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
    return new StoreError('busy', 'the SQLite database stayed locked by another writer beyond the busy timeout', { cause: err })
  }
  return toStoreError(err)
}

/**
 * A connection over one better-sqlite3 database: WAL journal, the chosen
 * synchronous level and busy timeout, cached statements, and write
 * transactions run synchronously between `BEGIN IMMEDIATE` and `COMMIT`.
 */
export function sqliteConnection(
  db: SqliteDatabaseLike,
  options: { owned: boolean; synchronous: SqliteSynchronous; busyTimeoutMs: number },
): SqlConnection {
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
  } catch (err) {
    throw classify(err)
  }
  const cache = new Map<string, SqliteStatementLike>()
  const arrayCache = new Map<string, SqliteStatementLike>()
  const prepare = (sql: string, arrays = false): SqliteStatementLike => {
    const statements = arrays ? arrayCache : cache
    let statement = statements.get(sql)
    if (!statement) {
      // Multi-row inserts vary in size; keep the cache bounded.
      if (statements.size >= 512) statements.clear()
      statement = db.prepare(sql)
      if (arrays) statement.raw?.(true)
      statements.set(sql, statement)
    }
    return statement
  }
  const executor: SqlExecutor = {
    run: (sql, params = []) => prepare(sql).run(...params),
    get: <Row>(sql: string, params: readonly unknown[] = []) => prepare(sql).get(...params) as Row | undefined,
    all: <Row>(sql: string, params: readonly unknown[] = [], options?: RowOptions) =>
      prepare(sql, options?.arrays === true).all(...params) as Row[],
  }
  const reader: SqlExecutor = {
    run: (sql, params) => guard(() => executor.run(sql, params)),
    get: (sql, params) => guard(() => executor.get(sql, params)),
    all: (sql, params, options) => guard(() => executor.all(sql, params, options)),
  }
  return {
    reader,
    synchronousReads: true,
    async transaction(body) {
      try {
        prepare('BEGIN IMMEDIATE').run()
      } catch (err) {
        throw classify(err)
      }
      try {
        const result = drive(body(executor))
        if (result instanceof Promise) throw new Error('a SQLite transaction body must not wait on a promise')
        prepare('COMMIT').run()
        return result
      } catch (err) {
        if (db.inTransaction) prepare('ROLLBACK').run()
        throw classify(err)
      }
    },
    async close() {
      cache.clear()
      arrayCache.clear()
      if (options.owned) db.close()
    },
  }
}

function guard<T>(work: () => T): T {
  try {
    return work()
  } catch (err) {
    throw classify(err)
  }
}
