/** The store's tables: the event log, the materialized records, the chain head and the migrations ledger. */
export type TableName = 'events' | 'records' | 'head' | 'migrations'

/** Unqualified table names, shared by every dialect. */
export const TABLES: Readonly<Record<TableName, string>> = {
  events: 'consent_events',
  records: 'consent_records',
  head: 'consent_chain_head',
  migrations: 'consent_schema_migrations',
}

/**
 * What differs between SQL databases, and nothing else: placeholders, list
 * binding, upsert syntax, time and boolean types, DDL. The queries
 * themselves live in the shared base (`sql/base.ts`).
 */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres'
  /** Placeholder of the `n`-th parameter (1-based). */
  placeholder(n: number): string
  /**
   * A select list for `columns`; `timeColumns` may be read in the cheapest
   * form {@link SqlDialect.fromTime} accepts (Postgres: epoch milliseconds,
   * one float, instead of timestamp text through a date parser).
   */
  readColumns(columns: readonly string[], timeColumns: ReadonlySet<string>): string
  /**
   * `SELECT selectList FROM table` restricted to rows whose `key` is one of
   * the distinct strings bound as the one parameter, in a single statement.
   */
  selectByKeys(table: string, selectList: string, key: string): string
  /** The parameter value {@link SqlDialect.selectByKeys} expects for `values`. */
  listParam(values: readonly string[]): unknown
  /** Qualified name of one of the store's tables. */
  table(name: TableName): string
  /** `ON CONFLICT … DO UPDATE` tail of an insert that upserts on `key`. */
  upsert(key: string, columns: readonly string[]): string
  /** A `Date` as the database's time parameter. */
  toTime(date: Date): unknown
  /** A time column value as a `Date`. */
  fromTime(value: unknown): Date
  /** A boolean as a parameter. */
  toBool(value: boolean): unknown
  /** A boolean column value. */
  fromBool(value: unknown): boolean
  /** An integer column value (Postgres returns int8 as a string). */
  fromInt(value: unknown): number
  /**
   * Joins write statements (with consecutive placeholders) into one, where the
   * database allows it (Postgres data-modifying CTEs); `undefined` runs them
   * one by one.
   */
  readonly combineWrites: ((statements: readonly string[]) => string) | undefined
  /** Appended to the chain-head read inside a write transaction to lock the row (`FOR UPDATE`). */
  readonly lockHead: string
  /** SQL expression of the database clock for `recordedAt`, or `undefined` to use the process clock. */
  readonly clock: string | undefined
  /** Statements opening a migration transaction: they serialize concurrent first uses. */
  readonly migrationPrelude: readonly string[]
  /** DDL creating the migrations ledger if absent (`version`, `applied_at`). */
  readonly migrationsTable: readonly string[]
  /** DDL of each schema version; entry 0 takes an empty database to version 1. */
  readonly migrations: readonly (readonly string[])[]
  /** Statements suspending the append-only triggers (used by the conformance probe to simulate tampering). */
  readonly guardOff: readonly string[]
  /** Statements restoring them. */
  readonly guardOn: readonly string[]
}

/** Upsert tail in the syntax SQLite and Postgres share. */
export function onConflictUpdate(key: string, columns: readonly string[]): string {
  return ` ON CONFLICT (${key}) DO UPDATE SET ${columns.filter((c) => c !== key).map((c) => `${c} = excluded.${c}`).join(', ')}`
}
