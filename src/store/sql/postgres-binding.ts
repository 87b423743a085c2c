import { toStoreError } from './base.js'
import { drive, type RowOptions, type SqlConnection, type SqlExecutor } from './executor.js'

/**
 * Result shape of a pg query.
 *
 * @example
 * ```ts
 * import type { PgResultLike } from 'email-tracking-consent/store/postgres'
 * const result: PgResultLike = await pool.query('SELECT count(*) AS n FROM consent.consent_events')
 * const [{ n }] = result.rows as [{ n: string }] // pg returns bigint counts as strings
 * ```
 */
export interface PgResultLike {
  rows: unknown[]
}

/**
 * A pg query config: text, values and, for lookups, rows as arrays.
 *
 * @example
 * ```ts
 * import type { PgQueryConfig } from 'email-tracking-consent/store/postgres'
 * // The shape the store hands to pool.query(): `rowMode: 'array'` for its lookups.
 * const config: PgQueryConfig = { text: 'SELECT contact_id, subscribed FROM consent.consent_records WHERE contact_id = ANY($1)', values: [['c_42', 'c_43']], rowMode: 'array' }
 * const { rows } = await pool.query(config) // [['c_42', false], …]
 * ```
 */
export interface PgQueryConfig {
  text: string
  values?: unknown[]
  rowMode?: 'array'
}

/**
 * The part of a pg client checked out of a pool that the store uses.
 *
 * @example
 * ```ts
 * import type { PgClientLike } from 'email-tracking-consent/store/postgres'
 * // What pool.connect() yields: the store runs each write transaction on one such client, then releases it.
 * const client: PgClientLike = await pool.connect()
 * try { await client.query('SELECT 1') } finally { client.release() }
 * ```
 */
export interface PgClientLike {
  /** Runs one query described by a config (text, values, optional `rowMode: 'array'`) on this client. */
  query(config: PgQueryConfig): Promise<PgResultLike>
  /** Runs one query with positional `$1…` values on this client. */
  query(text: string, values?: unknown[]): Promise<PgResultLike>
  /** Returns the client to its pool; `true` or an `Error` destroys it instead (after a failed rollback). */
  release(destroy?: boolean | Error): void
  /** pg clients are event emitters: a checked-out client reports a dropped connection as `error`. */
  on?(event: 'error', listener: (err: Error) => void): unknown
  /** Detaches the `error` listener when the client goes back to the pool. */
  removeListener?(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * The part of a pg `Pool` the store uses (so the driver's types are not needed).
 *
 * @example
 * ```ts
 * import pg from 'pg'
 * import { createPostgresStore, type PgPoolLike } from 'email-tracking-consent/store/postgres'
 * const pool: PgPoolLike = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
 * const store = createPostgresStore({ pool, schema: 'consent' })
 * await store.close() // leaves the pool open: the caller owns it
 * await pool.end()
 * ```
 */
export interface PgPoolLike {
  /** Runs one query described by a config (text, values, optional `rowMode: 'array'`) on any pooled client. */
  query(config: PgQueryConfig): Promise<PgResultLike>
  /** Runs one query with positional `$1…` values on any pooled client. */
  query(text: string, values?: unknown[]): Promise<PgResultLike>
  /** Checks out one client (for a transaction); the caller must release it. */
  connect(): Promise<PgClientLike>
  /** Closes every client; the store calls it only when it created the pool itself. */
  end(): Promise<void>
}

/** An executor over anything that runs a pg query config (a pool, a client). */
export function executorOf(target: { query(config: PgQueryConfig): Promise<PgResultLike> }): SqlExecutor {
  const query = (text: string, params?: readonly unknown[], options?: RowOptions): Promise<PgResultLike> =>
    target.query(options?.arrays ? { text, values: params as unknown[] | undefined, rowMode: 'array' } : { text, values: params as unknown[] | undefined })
  return {
    run: (sql, params) => query(sql, params),
    get: async <Row>(sql: string, params?: readonly unknown[]) => (await query(sql, params)).rows[0] as Row | undefined,
    all: async <Row>(sql: string, params?: readonly unknown[], options?: RowOptions) => (await query(sql, params, options)).rows as Row[],
  }
}

/**
 * A connection over a pg pool: reads go straight to the pool; each write
 * transaction checks out one client for `BEGIN … COMMIT`.
 */
export function postgresConnection(pool: PgPoolLike, options: { owned: boolean }): SqlConnection {
  return {
    reader: executorOf(pool),
    async transaction(body) {
      let client: PgClientLike
      try {
        client = await pool.connect()
      } catch (err) {
        throw toStoreError(err)
      }
      let broken = false
      let begun = false
      // A connection dropped mid-transaction is emitted as 'error' on the checked-out client; unheard, it would crash
      // the process. The running query rejects on its own; the client is discarded on release.
      const onError = (): void => {
        broken = true
      }
      client.on?.('error', onError)
      // BEGIN rides along with the first statement when it has no parameters (simple protocol, one round trip).
      const beginning = {
        query: async (config: PgQueryConfig): Promise<PgResultLike> => {
          if (begun) return client.query(config)
          begun = true
          if ((config.values && config.values.length > 0) || config.rowMode) {
            await client.query('BEGIN')
            return client.query(config)
          }
          const results = (await client.query(`BEGIN; ${config.text}`)) as unknown as PgResultLike[]
          return results[1]!
        },
      }
      try {
        const result = await drive(body(executorOf(beginning)))
        if (begun) await client.query('COMMIT')
        return result
      } catch (err) {
        // A client whose rollback fails is dropped rather than returned to the pool mid-transaction.
        if (begun) await client.query('ROLLBACK').catch(() => {
          broken = true
        })
        throw toStoreError(err)
      } finally {
        client.removeListener?.('error', onError)
        client.release(broken)
      }
    },
    async close() {
      if (options.owned) await pool.end()
    },
  }
}
