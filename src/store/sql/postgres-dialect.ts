import { GENESIS_HASH } from '../chain.js'
import { StoreError } from '../errors.js'
import { onConflictUpdate, TABLES, type SqlDialect } from './dialect.js'

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Checks a Postgres schema name (letters, digits, underscore; at most 63 characters). */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new StoreError('invalid-option', 'schema must match [A-Za-z_][A-Za-z0-9_]{0,62}')
  }
  return schema
}

/**
 * Postgres in `schema`: `$n` placeholders, `timestamptz` times, `boolean`,
 * lists bound as one `text[]` parameter (`= ANY($n)`), writers serialized by
 * locking the chain-head row, the database clock for `recordedAt`.
 */
export function postgresDialect(schema: string): SqlDialect {
  const q = `"${checkSchemaName(schema)}"`
  const t = (name: keyof typeof TABLES): string => `${q}.${TABLES[name]}`
  const events = t('events')
  const guardFunction = `${q}.${TABLES.events}_append_only`
  return {
    name: 'postgres',
    placeholder: (n) => `$${n}`,
    // Epoch milliseconds parse as one float; timestamptz text goes through a date parser per value.
    readColumns: (columns, timeColumns) =>
      columns.map((c) => (timeColumns.has(c) ? `(extract(epoch from ${c}) * 1000)::float8 AS ${c}` : c)).join(', '),
    selectByKeys: (table, selectList, key) => `SELECT ${selectList} FROM ${table} WHERE ${key} = ANY($1::text[])`,
    listParam: (values) => values,
    table: t,
    upsert: onConflictUpdate,
    toTime: (date) => date,
    fromTime: (value) => (value instanceof Date ? value : new Date(value as string | number)),
    toBool: (value) => value,
    fromBool: (value) => value === true,
    fromInt: (value) => (typeof value === 'number' ? value : Number(value)),
    // Each round trip holds the chain-head lock longer, so the writes go as one statement.
    combineWrites: (statements) =>
      `WITH ${statements
        .slice(0, -1)
        .map((statement, i) => `w${i} AS (${statement})`)
        .join(', ')} ${statements[statements.length - 1]}`,
    lockHead: ' FOR UPDATE',
    // The database clock keeps recordedAt consistent across app servers.
    clock: 'clock_timestamp()',
    migrationPrelude: [
      // Serializes first use by several processes; the key is derived from the schema name.
      `SELECT pg_advisory_xact_lock(hashtext('email-tracking-consent:' || ${sqlString(schema)}))`,
      ...(schema === 'public' ? [] : [`CREATE SCHEMA IF NOT EXISTS ${q}`]),
    ],
    migrationsTable: [
      `CREATE TABLE IF NOT EXISTS ${t('migrations')} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    ],
    migrations: [
      [
        `CREATE TABLE ${events} (
          seq bigint PRIMARY KEY,
          id text NOT NULL UNIQUE,
          contact_id text NOT NULL,
          type text NOT NULL,
          purposes text NOT NULL,
          at timestamptz NOT NULL,
          source text NOT NULL,
          notice_version text,
          evidence text NOT NULL,
          recorded_at timestamptz NOT NULL,
          prev_hash text NOT NULL,
          hash text NOT NULL
        )`,
        `CREATE INDEX ${TABLES.events}_contact ON ${events} (contact_id, seq)`,
        `CREATE INDEX ${TABLES.events}_recorded ON ${events} (recorded_at)`,
        `CREATE TABLE ${t('records')} (
          contact_id text PRIMARY KEY,
          opens_status text NOT NULL,
          opens_at timestamptz,
          clicks_status text NOT NULL,
          clicks_at timestamptz,
          collected_at timestamptz,
          informed_at timestamptz,
          last_request_at timestamptz,
          subscribed boolean,
          subscribed_at timestamptz,
          last_seq bigint NOT NULL
        )`,
        `CREATE TABLE ${t('head')} (
          singleton integer PRIMARY KEY CHECK (singleton = 1),
          seq bigint NOT NULL,
          hash text NOT NULL,
          recorded_at timestamptz
        )`,
        `INSERT INTO ${t('head')} (singleton, seq, hash, recorded_at) VALUES (1, 0, '${GENESIS_HASH}', NULL)`,
        `CREATE FUNCTION ${guardFunction}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'consent events are append-only'; END
        $$`,
        `CREATE TRIGGER ${TABLES.events}_no_change BEFORE UPDATE OR DELETE ON ${events} FOR EACH ROW EXECUTE FUNCTION ${guardFunction}()`,
        `CREATE TRIGGER ${TABLES.events}_no_truncate BEFORE TRUNCATE ON ${events} FOR EACH STATEMENT EXECUTE FUNCTION ${guardFunction}()`,
      ],
    ],
    guardOff: [`ALTER TABLE ${events} DISABLE TRIGGER USER`],
    guardOn: [`ALTER TABLE ${events} ENABLE TRIGGER USER`],
  }
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
