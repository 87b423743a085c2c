import { toStoreError } from './base.js'
import { drive, type SqlConnection, type SqlExecutor } from './executor.js'

/** Result shape of a pg query. */
export interface PgResultLike {
  rows: unknown[]
}

/** The part of a pg client checked out of a pool that the store uses. */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<PgResultLike>
  release(destroy?: boolean | Error): void
}

/** The part of a pg `Pool` the store uses (so the driver's types are not needed). */
export interface PgPoolLike {
  query(text: string, values?: unknown[]): Promise<PgResultLike>
  connect(): Promise<PgClientLike>
  end(): Promise<void>
}

export function executorOf(target: { query(text: string, values?: unknown[]): Promise<PgResultLike> }): SqlExecutor {
  return {
    run: (sql, params) => target.query(sql, params as unknown[] | undefined),
    get: async <Row>(sql: string, params?: readonly unknown[]) => (await target.query(sql, params as unknown[] | undefined)).rows[0] as Row | undefined,
    all: async <Row>(sql: string, params?: readonly unknown[]) => (await target.query(sql, params as unknown[] | undefined)).rows as Row[],
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
      // BEGIN rides along with the first statement when it has no parameters (simple protocol, one round trip).
      const beginning = {
        query: async (text: string, values?: unknown[]): Promise<PgResultLike> => {
          if (begun) return client.query(text, values)
          begun = true
          if (values && values.length > 0) {
            await client.query('BEGIN')
            return client.query(text, values)
          }
          const results = (await client.query(`BEGIN; ${text}`)) as unknown as PgResultLike[]
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
        client.release(broken)
      }
    },
    async close() {
      if (options.owned) await pool.end()
    },
  }
}
