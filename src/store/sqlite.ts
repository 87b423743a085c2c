import { StoreError } from './errors.js'
import { createSqlStore, type SqlStoreOptions } from './sql/base.js'
import { loadDriver } from './sql/driver.js'
import { nodeSha256 } from './sql/node-hash.js'
import { sqliteConnection, type SqliteDatabaseLike, type SqliteSynchronous } from './sql/sqlite-binding.js'
import { sqliteDialect } from './sql/sqlite-dialect.js'
import type { ConsentStore } from './types.js'

export type { SqliteDatabaseLike, SqliteStatementLike, SqliteSynchronous } from './sql/sqlite-binding.js'
export type { SqlStoreOptions } from './sql/base.js'

/**
 * Options of {@link createSqliteStore}.
 *
 * @example
 * ```ts
 * import { createSqliteStore, type SqliteStoreOptions } from 'email-tracking-consent/store/sqlite'
 * const options: SqliteStoreOptions = { database: '/var/lib/app/consent.db', synchronous: 'normal', busyTimeoutMs: 10_000, pageSize: 500 }
 * const store = createSqliteStore(options) // opened from a path: close() closes the database too
 * ```
 */
export interface SqliteStoreOptions extends SqlStoreOptions {
  /**
   * A better-sqlite3 `Database` (the caller keeps ownership: `close()` leaves
   * it open), or the path of a file to open or create (closed by `close()`).
   */
  database: SqliteDatabaseLike | string
  /** Commit durability: `full` (default) survives power loss; `normal` survives process crashes and is faster. */
  synchronous?: SqliteSynchronous
  /** How long a write waits for another process's lock before failing with `busy`, in milliseconds. Default 5,000. */
  busyTimeoutMs?: number
}

type DatabaseConstructor = new (filename: string) => SqliteDatabaseLike

/**
 * The embedded consent store on SQLite (better-sqlite3, an optional peer:
 * `npm i better-sqlite3`). The database is switched to WAL; the schema is
 * created or migrated on first use and versioned in
 * `consent_schema_migrations`; every write is one `BEGIN IMMEDIATE`
 * transaction, so several processes can share the file.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from 'email-tracking-consent/store/sqlite'
 * const store = createSqliteStore({ database: './consent.db' })
 * await store.record({ contactId: 'c_42', type: 'grant', at: new Date(), source: 'form', evidence: { formId: 'signup' } })
 * const records = await store.getMany(['c_42', 'c_43'])
 * await store.close()
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): ConsentStore {
  if (typeof options !== 'object' || options === null) throw new StoreError('invalid-option', 'createSqliteStore takes { database }')
  const { database, synchronous = 'full', busyTimeoutMs = 5000 } = options
  if (synchronous !== 'full' && synchronous !== 'normal') throw new StoreError('invalid-option', "synchronous must be 'full' or 'normal'")
  if (!Number.isFinite(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreError('invalid-option', 'busyTimeoutMs must be a non-negative number')
  let db: SqliteDatabaseLike
  let owned = false
  if (typeof database === 'string') {
    if (database.length === 0) throw new StoreError('invalid-option', 'database must be a better-sqlite3 Database or a non-empty path')
    const Database = loadDriver<DatabaseConstructor>('better-sqlite3')
    try {
      db = new Database(database)
    } catch (err) {
      throw new StoreError('storage-failed', `cannot open SQLite database ${database}: ${(err as Error).message}`, { cause: err })
    }
    owned = true
  } else if (database && typeof database.prepare === 'function' && typeof database.pragma === 'function') {
    db = database
  } else {
    throw new StoreError('invalid-option', 'database must be a better-sqlite3 Database or a file path')
  }
  try {
    return createSqlStore(sqliteConnection(db, { owned, synchronous, busyTimeoutMs }), sqliteDialect, { ...options, hashText: nodeSha256 })
  } catch (err) {
    if (owned) db.close()
    throw err
  }
}
