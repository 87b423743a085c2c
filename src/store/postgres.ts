import { StoreError } from './errors.js'
import { createSqlStore, type SqlStoreOptions } from './sql/base.js'
import { loadDriver } from './sql/driver.js'
import { nodeSha256 } from './sql/node-hash.js'
import { postgresConnection, type PgPoolLike } from './sql/postgres-binding.js'
import { checkSchemaName, postgresDialect } from './sql/postgres-dialect.js'
import type { ConsentStore } from './types.js'

export type { PgClientLike, PgPoolLike, PgQueryConfig, PgResultLike } from './sql/postgres-binding.js'
export type { SqlStoreOptions } from './sql/base.js'

/**
 * Options of {@link createPostgresStore}.
 *
 * @example
 * ```ts
 * import { createPostgresStore, type PostgresStoreOptions } from 'email-tracking-consent/store/postgres'
 * // From a connection string, the store creates its own pool and ends it on close().
 * const options: PostgresStoreOptions = { pool: process.env.DATABASE_URL!, schema: 'consent', poolSize: 5 }
 * const store = createPostgresStore(options)
 * ```
 */
export interface PostgresStoreOptions extends SqlStoreOptions {
  /**
   * A pg `Pool` (the caller keeps ownership: `close()` leaves it open), or a
   * connection string for a pool the store creates and ends on `close()`.
   */
  pool: PgPoolLike | string
  /** Schema holding the store's tables, created if absent. Default `public`. */
  schema?: string
  /** Size of the pool the store creates from a connection string. Default 10. */
  poolSize?: number
}

type ClientConstructor = new (config: unknown) => { on(event: 'error', listener: (err: Error) => void): unknown }
type PoolConstructor = new (config: { connectionString: string; max?: number; Client?: ClientConstructor }) => PgPoolLike & {
  on(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * The consent store on PostgreSQL (pg, an optional peer: `npm i pg`). The
 * schema is created or migrated on first use (versioned in
 * `consent_schema_migrations`, serialized by an advisory lock). Each write
 * locks the chain-head row, so writers in several pools or processes keep
 * `seq` gapless and the hash chain intact. `getMany` runs one
 * `= ANY($1)` query per chunk of ids.
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore } from 'email-tracking-consent/store/postgres'
 * const store = createPostgresStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }), schema: 'consent' })
 * const consent = await store.get('c_42')
 * ```
 */
export function createPostgresStore(options: PostgresStoreOptions): ConsentStore {
  if (typeof options !== 'object' || options === null) throw new StoreError('invalid-option', 'createPostgresStore takes { pool }')
  const { pool, schema = 'public', poolSize = 10 } = options
  const dialect = postgresDialect(checkSchemaName(schema))
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new StoreError('invalid-option', 'poolSize must be a positive integer')
  if (typeof pool === 'string') {
    if (pool.length === 0) throw new StoreError('invalid-option', 'pool must be a pg Pool or a connection string')
    const { Pool, Client } = loadDriver<{ Pool: PoolConstructor; Client: ClientConstructor }>('pg')
    // A backend dropped in the instant a new client is handed out (ReadyForQuery and the FATAL in one packet) is
    // emitted as 'error' before anyone listens, which would crash the process; the query that follows fails anyway.
    class ListenedClient extends Client {
      constructor(config: unknown) {
        super(config)
        this.on('error', () => {})
      }
    }
    const owned = new Pool({ connectionString: pool, max: poolSize, Client: ListenedClient })
    // An idle client dropped by the server is discarded by the pool; without a listener it would crash the process.
    owned.on('error', () => {})
    return createSqlStore(postgresConnection(owned, { owned: true }), dialect, { ...options, hashText: nodeSha256 })
  }
  if (!pool || typeof pool.connect !== 'function' || typeof pool.query !== 'function') {
    throw new StoreError('invalid-option', 'pool must be a pg Pool or a connection string')
  }
  return createSqlStore(postgresConnection(pool, { owned: false }), dialect, { ...options, hashText: nodeSha256 })
}
