/** A value or a promise of it: SQLite answers synchronously, Postgres asynchronously. */
export type MaybePromise<T> = T | Promise<T>

/** A result row, keyed by column name. */
export type SqlRow = Record<string, unknown>

/**
 * The three operations the SQL base needs from a driver. `sql` uses the
 * dialect's placeholders; `params` are already converted by the dialect
 * (times, booleans, lists).
 */
export interface SqlExecutor {
  /** Runs a statement that returns no rows. */
  run(sql: string, params?: readonly unknown[]): MaybePromise<unknown>
  /** The first row, or `undefined`. */
  get<Row = SqlRow>(sql: string, params?: readonly unknown[]): MaybePromise<Row | undefined>
  /**
   * Every row. With `{ arrays: true }` each row is an array of column values
   * in select order, which skips building a keyed object per row (the
   * drivers' `raw()` / `rowMode: 'array'`) on the hot lookup path.
   */
  all<Row = SqlRow>(sql: string, params?: readonly unknown[], options?: RowOptions): MaybePromise<Row[]>
}

/** Row shape options of {@link SqlExecutor.all}. */
export interface RowOptions {
  arrays?: boolean
}

/**
 * A transaction body written as a generator that yields each executor call
 * (through {@link step}). The same body runs synchronously on SQLite, so a
 * write never interleaves with another call on the one connection, and
 * asynchronously on Postgres.
 */
export type Steps<T> = Generator<unknown, T, unknown>

/** Yields one executor result into a {@link Steps} body and returns it typed. */
export function* step<T>(value: MaybePromise<T>): Steps<T> {
  return (yield value) as T
}

/** A database the SQL base can use: an executor for reads, and serialized write transactions. */
export interface SqlConnection {
  /** Executor for reads outside any transaction. */
  readonly reader: SqlExecutor
  /** The reader's calls return their result, never a promise (better-sqlite3): the store can then read without waiting. */
  readonly synchronousReads?: boolean
  /**
   * Runs `body` in one write transaction that excludes every other writer of
   * the same database (`BEGIN IMMEDIATE` on SQLite; on Postgres the body
   * itself locks the chain head row). Commits on return, rolls back on throw.
   */
  transaction<T>(body: (tx: SqlExecutor) => Steps<T>): Promise<T>
  /** Releases what the connection opened itself. */
  close(): Promise<void>
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Runs a {@link Steps} body: synchronously while the yielded values are
 * plain, switching to `await` at the first promise.
 */
export function drive<T>(steps: Steps<T>): MaybePromise<T> {
  let next = steps.next()
  while (!next.done) {
    if (isThenable(next.value)) return driveAsync(steps, next.value)
    next = steps.next(next.value)
  }
  return next.value
}

async function driveAsync<T>(steps: Steps<T>, pending: PromiseLike<unknown>): Promise<T> {
  let next: IteratorResult<unknown, T>
  let value = await pending
  for (;;) {
    next = steps.next(value)
    if (next.done) return next.value
    value = await next.value
  }
}
