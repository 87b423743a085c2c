import { GENESIS_HASH } from '../chain.js'
import { onConflictUpdate, TABLES, type SqlDialect } from './dialect.js'

const { events, records, head, migrations } = TABLES

const guard = [
  `CREATE TRIGGER IF NOT EXISTS ${events}_no_update BEFORE UPDATE ON ${events} BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END`,
  `CREATE TRIGGER IF NOT EXISTS ${events}_no_delete BEFORE DELETE ON ${events} BEGIN SELECT RAISE(ABORT, 'consent events are append-only'); END`,
]

/** SQLite: `?` placeholders, times as integer milliseconds since the epoch, booleans as 0/1, STRICT tables. */
export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  readColumns: (columns) => columns.join(', '),
  // Driving the join from json_each makes one index probe per id (an IN list would first sort them).
  selectByKeys: (table, selectList, key) =>
    `SELECT ${selectList} FROM (SELECT value AS wanted_key FROM json_each(?)) AS wanted CROSS JOIN ${table} ON ${key} = wanted.wanted_key`,
  listParam: (values) => JSON.stringify(values),
  table: (name) => TABLES[name],
  upsert: onConflictUpdate,
  toTime: (date) => date.getTime(),
  fromTime: (value) => new Date(value as number),
  toBool: (value) => (value ? 1 : 0),
  fromBool: (value) => value === 1,
  fromInt: (value) => value as number,
  // In-process calls cost nothing, and SQLite has no data-modifying CTEs.
  combineWrites: undefined,
  // BEGIN IMMEDIATE already holds the database's only write lock.
  lockHead: '',
  clock: undefined,
  migrationPrelude: [],
  migrationsTable: [`CREATE TABLE IF NOT EXISTS ${migrations} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`],
  migrations: [
    [
      `CREATE TABLE ${events} (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        contact_id TEXT NOT NULL,
        type TEXT NOT NULL,
        purposes TEXT NOT NULL,
        at INTEGER NOT NULL,
        source TEXT NOT NULL,
        notice_version TEXT,
        evidence TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT`,
      `CREATE INDEX ${events}_contact ON ${events} (contact_id, seq)`,
      `CREATE INDEX ${events}_recorded ON ${events} (recorded_at)`,
      `CREATE TABLE ${records} (
        contact_id TEXT PRIMARY KEY,
        opens_status TEXT NOT NULL,
        opens_at INTEGER,
        clicks_status TEXT NOT NULL,
        clicks_at INTEGER,
        collected_at INTEGER,
        informed_at INTEGER,
        last_request_at INTEGER,
        subscribed INTEGER,
        subscribed_at INTEGER,
        last_seq INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID`,
      `CREATE TABLE ${head} (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        recorded_at INTEGER
      ) STRICT`,
      `INSERT INTO ${head} (singleton, seq, hash, recorded_at) VALUES (1, 0, '${GENESIS_HASH}', NULL)`,
      ...guard,
    ],
  ],
  guardOff: [`DROP TRIGGER IF EXISTS ${events}_no_update`, `DROP TRIGGER IF EXISTS ${events}_no_delete`],
  guardOn: guard,
}
