import type { ConsentRecord, Purpose, PurposeState } from '../../policy/types.js'
import { offerReadNow } from '../read-now.js'
import { contactIds, givenIds, planAppend, randomEventId, type ChainHead } from '../append.js'
import type { HashText } from '../chain.js'
import { StoreError } from '../errors.js'
import type { ContactState } from '../fold.js'
import { checkExportRange, cloneEvent } from '../event-utils.js'
import type { ConsentEvent, ConsentEventInput, ConsentEventType, ConsentSource, ConsentStore, Evidence, VerifyResult } from '../types.js'
import { CONSENT_EVENT_TYPES, CONSENT_SOURCES, contactIdProblem, DEFAULT_MAX_FUTURE_SKEW_MS, normalizeEvent, type NormalizedEvent } from '../validate.js'
import { ChainWalk } from '../verify.js'
import type { SqlDialect } from './dialect.js'
import { step, type SqlConnection, type SqlExecutor, type SqlRow, type Steps } from './executor.js'

/**
 * Options shared by the SQL adapters.
 *
 * @example
 * ```ts
 * import { createSqliteStore, type SqlStoreOptions } from 'email-tracking-consent/store/sqlite'
 * // The same tuning fits createPostgresStore (import the type from 'email-tracking-consent/store/postgres').
 * const tuning: SqlStoreOptions = { pageSize: 500, lookupChunkSize: 10_000, maxEventsPerTransaction: 200, maxFutureSkewMs: 60_000 }
 * const store = createSqliteStore({ database: 'consent.db', ...tuning })
 * ```
 */
export interface SqlStoreOptions {
  /** How far ahead of the clock an event's `at` may be, in milliseconds. Default 300,000 (5 minutes). */
  maxFutureSkewMs?: number
  /** Events per page when `history()`, `export()` and `verify()` stream. Default 1,000. */
  pageSize?: number
  /** Contact ids per query in `getMany()`. Default 5,000 on Postgres, 20,000 on SQLite. */
  lookupChunkSize?: number
  /** `getMany()` queries in flight at once when ids span several chunks. Default 4 on Postgres, 1 on SQLite. */
  lookupConcurrency?: number
  /**
   * Concurrent `record()` calls are written together, up to this many events
   * per transaction (one commit, one lock); each call still resolves only
   * after its events are committed. Default 1,000.
   */
  maxEventsPerTransaction?: number
}

/** Latest schema version the SQL adapters know. */
export const SQL_SCHEMA_VERSION = 1

/** Columns of the event log, in insert order. */
export const EVENT_COLUMNS = [
  'seq',
  'id',
  'contact_id',
  'type',
  'purposes',
  'at',
  'source',
  'notice_version',
  'evidence',
  'recorded_at',
  'prev_hash',
  'hash',
] as const

/** Columns `get` and `getMany` read: what a {@link ConsentRecord} holds. */
export const LOOKUP_COLUMNS = [
  'contact_id',
  'opens_status',
  'opens_at',
  'clicks_status',
  'clicks_at',
  'collected_at',
  'informed_at',
  'last_request_at',
  'subscribed',
] as const

const RECORD_TIMES: ReadonlySet<string> = new Set(['opens_at', 'clicks_at', 'collected_at', 'informed_at', 'last_request_at', 'subscribed_at'])
const EVENT_TIMES: ReadonlySet<string> = new Set(['at', 'recorded_at'])

/** Columns of the materialized records, in insert order. */
export const RECORD_COLUMNS = [
  'contact_id',
  'opens_status',
  'opens_at',
  'clicks_status',
  'clicks_at',
  'collected_at',
  'informed_at',
  'last_request_at',
  'subscribed',
  'subscribed_at',
  'last_seq',
] as const

const ROWS_PER_INSERT = 100
const TYPES = new Set<string>(CONSENT_EVENT_TYPES)
const SOURCES = new Set<string>(CONSENT_SOURCES)

/** Wraps a driver failure; store errors pass through. */
export function toStoreError(err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new StoreError('storage-failed', `the database failed: ${message}`, { cause: err })
}

/** Parameters of one event row, in {@link EVENT_COLUMNS} order. */
function eventParams(d: SqlDialect, e: ConsentEvent): unknown[] {
  return [
    e.seq,
    e.id,
    e.contactId,
    e.type,
    e.purposes.join(','),
    d.toTime(e.at),
    e.source,
    e.noticeVersion ?? null,
    JSON.stringify(e.evidence),
    d.toTime(e.recordedAt),
    e.prevHash,
    e.hash,
  ]
}

/** Reads an event row back, refusing anything a valid write could not have produced. */
export function eventFromRow(d: SqlDialect, row: SqlRow): ConsentEvent {
  const seq = d.fromInt(row.seq)
  const bad = (what: string): never => {
    throw new StoreError('corrupt-row', `event row ${seq} has an invalid ${what}`)
  }
  const { id, contact_id: contactId, type, source, prev_hash: prevHash, hash } = row
  if (typeof id !== 'string') bad('id')
  if (typeof contactId !== 'string') bad('contact_id')
  if (typeof type !== 'string' || !TYPES.has(type)) bad('type')
  if (typeof source !== 'string' || !SOURCES.has(source)) bad('source')
  if (typeof prevHash !== 'string' || typeof hash !== 'string') bad('hash')
  if (typeof row.purposes !== 'string') bad('purposes')
  const purposes = (row.purposes as string).split(',')
  if (!purposes.every((p) => p === 'opens' || p === 'clicks')) bad('purposes')
  let evidence: Evidence
  try {
    evidence = JSON.parse(row.evidence as string) as Evidence
  } catch {
    return bad('evidence')
  }
  if (typeof evidence !== 'object' || evidence === null || Array.isArray(evidence) || !Object.values(evidence).every((v) => typeof v === 'string')) {
    bad('evidence')
  }
  const at = d.fromTime(row.at)
  const recordedAt = d.fromTime(row.recorded_at)
  if (Number.isNaN(at.getTime()) || Number.isNaN(recordedAt.getTime()) || !Number.isSafeInteger(seq)) bad('time or seq')
  const event: ConsentEvent = {
    id: id as string,
    contactId: contactId as string,
    type: type as ConsentEventType,
    purposes: purposes as Purpose[],
    at,
    source: source as ConsentSource,
    evidence,
    seq,
    recordedAt,
    prevHash: prevHash as string,
    hash: hash as string,
  }
  if (row.notice_version !== null && row.notice_version !== undefined) event.noticeVersion = String(row.notice_version)
  return event
}

function purposeFromRow(d: SqlDialect, status: unknown, at: unknown, contactId: unknown): PurposeState {
  switch (status) {
    case 'granted':
    case 'denied':
    case 'withdrawn':
    case 'unknown':
      return at === null || at === undefined ? { status } : { status, at: d.fromTime(at) }
    default:
      throw new StoreError('corrupt-row', `record row ${String(contactId)} has an invalid status`)
  }
}

/** Reads a materialized record row as the public record. */
export function recordFromRow(d: SqlDialect, row: SqlRow): ConsentRecord {
  const record: ConsentRecord = {
    contactId: row.contact_id as string,
    opens: purposeFromRow(d, row.opens_status, row.opens_at, row.contact_id),
    clicks: purposeFromRow(d, row.clicks_status, row.clicks_at, row.contact_id),
  }
  if (row.collected_at !== null) record.collectedAt = d.fromTime(row.collected_at)
  if (row.informed_at !== null) record.informedAt = d.fromTime(row.informed_at)
  if (row.last_request_at !== null) record.lastRequestAt = d.fromTime(row.last_request_at)
  if (row.subscribed !== null) record.subscribed = d.fromBool(row.subscribed)
  return record
}

/** {@link recordFromRow} for a row of {@link LOOKUP_COLUMNS} values, the form `getMany` reads. */
export function recordFromValues(d: SqlDialect, v: readonly unknown[]): ConsentRecord {
  const record: ConsentRecord = {
    contactId: v[0] as string,
    opens: purposeFromRow(d, v[1], v[2], v[0]),
    clicks: purposeFromRow(d, v[3], v[4], v[0]),
  }
  if (v[5] !== null) record.collectedAt = d.fromTime(v[5])
  if (v[6] !== null) record.informedAt = d.fromTime(v[6])
  if (v[7] !== null) record.lastRequestAt = d.fromTime(v[7])
  if (v[8] !== null) record.subscribed = d.fromBool(v[8])
  return record
}

function stateFromRow(d: SqlDialect, row: SqlRow): ContactState {
  const state: ContactState = { ...recordFromRow(d, row), lastSeq: d.fromInt(row.last_seq) }
  if (row.subscribed_at !== null) state.subscribedAt = d.fromTime(row.subscribed_at)
  return state
}

function stateParams(d: SqlDialect, s: ContactState): unknown[] {
  const time = (date: Date | undefined): unknown => (date ? d.toTime(date) : null)
  return [
    s.contactId,
    s.opens.status,
    time(s.opens.at),
    s.clicks.status,
    time(s.clicks.at),
    time(s.collectedAt),
    time(s.informedAt),
    time(s.lastRequestAt),
    s.subscribed === undefined ? null : d.toBool(s.subscribed),
    time(s.subscribedAt),
    s.lastSeq,
  ]
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new StoreError('invalid-option', `${name} must be a positive integer`)
  return value
}

/** Schema migration as a transaction body: creates or upgrades the store's tables. */
export function* migrate(d: SqlDialect, tx: SqlExecutor): Steps<number> {
  for (const sql of d.migrationPrelude) yield* step(tx.run(sql))
  for (const sql of d.migrationsTable) yield* step(tx.run(sql))
  const row = yield* step(tx.get<{ version: unknown }>(`SELECT max(version) AS version FROM ${d.table('migrations')}`))
  const current = row?.version === null || row?.version === undefined ? 0 : d.fromInt(row.version)
  if (current > d.migrations.length) {
    throw new StoreError('schema-too-new', `the database schema is at version ${current}; this library knows up to ${d.migrations.length}: upgrade email-tracking-consent`)
  }
  for (let version = current; version < d.migrations.length; version++) {
    for (const sql of d.migrations[version]!) yield* step(tx.run(sql))
    yield* step(
      tx.run(`INSERT INTO ${d.table('migrations')} (version, applied_at) VALUES (${d.placeholder(1)}, ${d.placeholder(2)})`, [version + 1, d.toTime(new Date())]),
    )
  }
  return d.migrations.length
}

/**
 * The consent store over any SQL database the dialect describes. The
 * connection gives reads and serialized write transactions; every query is
 * written here once.
 */
export function createSqlStore(connection: SqlConnection, d: SqlDialect, options: SqlStoreOptions & { hashText?: HashText } = {}): ConsentStore {
  const hashText = options.hashText
  const maxFutureSkewMs = options.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS
  const pageSize = positiveInteger(options.pageSize, 1000, 'pageSize')
  // SQLite binds the ids as one JSON text, so it takes bigger chunks than Postgres' array parameter.
  const lookupChunkSize = positiveInteger(options.lookupChunkSize, d.name === 'sqlite' ? 20_000 : 5000, 'lookupChunkSize')
  const lookupConcurrency = positiveInteger(options.lookupConcurrency, d.name === 'postgres' ? 4 : 1, 'lookupConcurrency')
  const maxEventsPerTransaction = positiveInteger(options.maxEventsPerTransaction, 1000, 'maxEventsPerTransaction')
  const reader = connection.reader
  const events = d.table('events')
  const records = d.table('records')
  const head = d.table('head')
  const p = d.placeholder

  const recordList = d.readColumns(RECORD_COLUMNS, RECORD_TIMES)
  const lookupList = d.readColumns(LOOKUP_COLUMNS, RECORD_TIMES)
  const eventList = d.readColumns(EVENT_COLUMNS, EVENT_TIMES)
  const sql = {
    head: `SELECT seq, hash, recorded_at${d.clock ? `, ${d.clock} AS now` : ''} FROM ${head} WHERE singleton = 1${d.lockHead}`,
    eventsById: d.selectByKeys(events, eventList, 'id'),
    statesByContact: d.selectByKeys(records, recordList, 'contact_id'),
    recordsByContact: d.selectByKeys(records, lookupList, 'contact_id'),
    setHead: `UPDATE ${head} SET seq = ${p(1)}, hash = ${p(2)}, recorded_at = ${p(3)} WHERE singleton = 1`,
    record: `SELECT ${lookupList} FROM ${records} WHERE contact_id = ${p(1)}`,
    history: `SELECT ${eventList} FROM ${events} WHERE contact_id = ${p(1)} AND seq > ${p(2)} ORDER BY seq LIMIT ${pageSize}`,
    headSeq: `SELECT seq, hash FROM ${head} WHERE singleton = 1`,
    firstSince: `SELECT min(seq) AS seq FROM ${events} WHERE recorded_at >= ${p(1)}`,
    lastBefore: `SELECT max(seq) AS seq FROM ${events} WHERE recorded_at < ${p(1)}`,
    page: `SELECT ${eventList} FROM ${events} WHERE seq > ${p(1)} AND seq <= ${p(2)} ORDER BY seq LIMIT ${pageSize}`,
    beyondHead: `SELECT (SELECT min(seq) FROM ${events} WHERE seq > h.seq) AS beyond FROM ${head} h WHERE h.singleton = 1`,
  }
  const insertSql = new Map<string, string>()
  // `offset` shifts the placeholders, for statements combined into one.
  const multiRowInsert = (table: string, columns: readonly string[], rows: number, tail = '', offset = 0): string => {
    const key = `${table}:${rows}:${offset}`
    let text = insertSql.get(key)
    if (!text) {
      const values: string[] = []
      for (let r = 0; r < rows; r++) values.push(`(${columns.map((_, c) => p(offset + r * columns.length + c + 1)).join(', ')})`)
      text = `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')}${tail}`
      insertSql.set(key, text)
    }
    return text
  }
  const upsertTail = d.upsert('contact_id', RECORD_COLUMNS)
  const combinedSql = new Map<string, string>()
  /** Events, records and chain head in one statement: one round trip instead of three where the dialect allows it. */
  const combinedWrite = (combine: (statements: readonly string[]) => string, eventRows: number, recordRows: number): string => {
    const key = `${eventRows}:${recordRows}`
    let text = combinedSql.get(key)
    if (!text) {
      const eventParamsCount = eventRows * EVENT_COLUMNS.length
      const recordParamsCount = recordRows * RECORD_COLUMNS.length
      const at = eventParamsCount + recordParamsCount
      text = combine([
        multiRowInsert(events, EVENT_COLUMNS, eventRows),
        multiRowInsert(records, RECORD_COLUMNS, recordRows, upsertTail, eventParamsCount),
        `UPDATE ${head} SET seq = ${p(at + 1)}, hash = ${p(at + 2)}, recorded_at = ${p(at + 3)} WHERE singleton = 1`,
      ])
      combinedSql.set(key, text)
    }
    return text
  }

  let closed = false
  let ready: Promise<void> | undefined
  // The schema is in place: reads need not wait for open().
  let opened = false
  const inflight = new Set<Promise<unknown>>()

  const open = (): Promise<void> => {
    if (closed) return Promise.reject(new StoreError('closed', 'the store is closed'))
    ready ??= connection.transaction((tx) => migrate(d, tx)).then(
      () => {
        opened = true
      },
      (err: unknown) => {
        ready = undefined
        throw toStoreError(err)
      },
    )
    return ready
  }

  // Tracks an operation so close() can wait for it.
  const track = <T>(work: () => Promise<T>): Promise<T> => {
    const run = open()
      .then(work)
      .catch((err: unknown) => {
        throw toStoreError(err)
      })
    inflight.add(run)
    const done = (): void => {
      inflight.delete(run)
    }
    run.then(done, done)
    return run
  }

  /** One `record()` or `recordMany()` call waiting for the writer. */
  interface WriteJob {
    events: NormalizedEvent[]
    resolve: (events: ConsentEvent[]) => void
    reject: (err: unknown) => void
  }

  /**
   * Writes several jobs in one transaction (one commit, one chain-head lock).
   * Each job is planned on top of the previous ones and stays all or nothing:
   * a job whose id conflicts fails alone.
   */
  function* appendJobs(tx: SqlExecutor, jobs: readonly WriteJob[]): Steps<(ConsentEvent[] | StoreError)[]> {
    const headRow = yield* step(tx.get<SqlRow>(sql.head))
    if (!headRow) throw new StoreError('storage-failed', 'the chain head row is missing')
    let chainHead: ChainHead = { seq: d.fromInt(headRow.seq), hash: String(headRow.hash) }
    if (headRow.recorded_at !== null) chainHead.recordedAt = d.fromTime(headRow.recorded_at)
    // Read under the write lock, so recordedAt follows commit order.
    const now = headRow.now === undefined ? new Date() : d.fromTime(headRow.now)
    const all = jobs.flatMap((job) => job.events)

    const existing = new Map<string, ConsentEvent>()
    for (const ids of chunks(givenIds(all), lookupChunkSize)) {
      const rows = yield* step(tx.all<SqlRow>(sql.eventsById, [d.listParam(ids)]))
      for (const row of rows) {
        const event = eventFromRow(d, row)
        existing.set(event.id, event)
      }
    }
    const states = new Map<string, ContactState>()
    for (const ids of chunks(contactIds(all), lookupChunkSize)) {
      const rows = yield* step(tx.all<SqlRow>(sql.statesByContact, [d.listParam(ids)]))
      for (const row of rows) states.set(row.contact_id as string, stateFromRow(d, row))
    }

    const inserted: ConsentEvent[] = []
    const changed = new Map<string, ContactState>()
    const outcomes = jobs.map((job) => {
      try {
        const plan = planAppend({ head: chainHead, now, events: job.events, existing, states, newId: randomEventId, hashText })
        chainHead = plan.head
        for (const event of plan.inserted) {
          inserted.push(event)
          existing.set(event.id, event)
        }
        for (const [contactId, state] of plan.states) {
          states.set(contactId, state)
          changed.set(contactId, state)
        }
        return plan.results
      } catch (err) {
        if (err instanceof StoreError && err.code === 'idempotency-conflict') return err
        throw err
      }
    })
    if (inserted.length === 0) return outcomes

    const headParams = [chainHead.seq, chainHead.hash, d.toTime(chainHead.recordedAt!)]
    if (d.combineWrites !== undefined && inserted.length <= ROWS_PER_INSERT && changed.size <= ROWS_PER_INSERT) {
      const states = [...changed.values()]
      const params = [...inserted.flatMap((e) => eventParams(d, e)), ...states.flatMap((st) => stateParams(d, st)), ...headParams]
      yield* step(tx.run(combinedWrite(d.combineWrites, inserted.length, states.length), params))
      return outcomes
    }
    for (const rows of chunks(inserted, ROWS_PER_INSERT)) {
      yield* step(tx.run(multiRowInsert(events, EVENT_COLUMNS, rows.length), rows.flatMap((e) => eventParams(d, e))))
    }
    for (const rows of chunks([...changed.values()], ROWS_PER_INSERT)) {
      yield* step(tx.run(multiRowInsert(records, RECORD_COLUMNS, rows.length, upsertTail), rows.flatMap((s) => stateParams(d, s))))
    }
    yield* step(tx.run(sql.setHead, headParams))
    return outcomes
  }

  // Writes queue here; one writer loop drains them, many jobs per transaction.
  let queue: WriteJob[] = []
  let writing = false

  const writeLoop = async (): Promise<void> => {
    writing = true
    try {
      // Let every write issued in the same tick join the first transaction.
      await Promise.resolve()
      while (queue.length > 0) {
        let size = 0
        let take = 0
        while (take < queue.length && (take === 0 || size + queue[take]!.events.length <= maxEventsPerTransaction)) {
          size += queue[take]!.events.length
          take++
        }
        const jobs = queue.slice(0, take)
        queue = queue.slice(take)
        try {
          const outcomes = await connection.transaction((tx) => appendJobs(tx, jobs))
          outcomes.forEach((outcome, k) => {
            if (outcome instanceof StoreError) jobs[k]!.reject(outcome)
            else jobs[k]!.resolve(outcome.map(cloneEvent))
          })
        } catch (err) {
          const error = toStoreError(err)
          for (const job of jobs) job.reject(error)
        }
      }
    } finally {
      writing = false
    }
  }

  const append = (inputs: readonly ConsentEventInput[]): Promise<ConsentEvent[]> => {
    if (closed) return Promise.reject(new StoreError('closed', 'the store is closed'))
    const now = Date.now()
    let batch: NormalizedEvent[]
    try {
      batch = inputs.map((input, i) => normalizeEvent(input, { now, maxFutureSkewMs }, inputs.length > 1 ? `event ${i}: ` : ''))
    } catch (err) {
      return Promise.reject(err)
    }
    return track(
      () =>
        new Promise<ConsentEvent[]>((resolve, reject) => {
          queue.push({ events: batch, resolve, reject })
          if (!writing) void writeLoop()
        }),
    )
  }

  async function* pages(next: (after: number) => Promise<SqlRow[]>): AsyncGenerator<SqlRow[]> {
    let after = 0
    for (;;) {
      if (closed) throw new StoreError('closed', 'the store is closed')
      const rows = await track(() => next(after))
      if (rows.length > 0) yield rows
      if (rows.length < pageSize) return
      after = d.fromInt(rows[rows.length - 1]!.seq)
    }
  }

  /**
   * `get()` without a promise, on a connection whose reads return their rows
   * (SQLite): the record, or `undefined` until the store has opened once.
   */
  const getNow = (contactId: string): ConsentRecord | null | undefined => {
    if (closed) throw new StoreError('closed', 'the store is closed')
    if (!opened) return undefined
    if (contactIdProblem(contactId)) return null
    let row: SqlRow | undefined
    try {
      row = reader.get<SqlRow>(sql.record, [contactId]) as SqlRow | undefined
    } catch (err) {
      throw toStoreError(err)
    }
    return row ? recordFromRow(d, row) : null
  }

  const store: ConsentStore = {
    async record(event: ConsentEventInput): Promise<ConsentEvent> {
      return (await append([event]))[0]!
    },

    async recordMany(inputs: readonly ConsentEventInput[]): Promise<ConsentEvent[]> {
      if (!Array.isArray(inputs)) throw new StoreError('invalid-event', 'recordMany takes an array of events')
      return inputs.length === 0 ? (await track(async () => []), []) : append(inputs)
    },

    get(contactId: string): Promise<ConsentRecord | null> {
      return track(async () => {
        if (contactIdProblem(contactId)) return null
        const row = await reader.get<SqlRow>(sql.record, [contactId])
        return row ? recordFromRow(d, row) : null
      })
    },

    getMany(ids: readonly string[]): Promise<Map<string, ConsentRecord>> {
      return track(async () => {
        const out = new Map<string, ConsentRecord>()
        // Duplicates need no removal: they only repeat a row, and the map keeps one.
        const pending = chunks(ids, lookupChunkSize)
        // A few chunks in flight let the server work while rows of the previous chunk are read.
        const lookupWorker = async (): Promise<void> => {
          for (let chunk = pending.shift(); chunk; chunk = pending.shift()) {
            const rows = await reader.all<unknown[]>(sql.recordsByContact, [d.listParam(chunk)], { arrays: true })
            for (const row of rows) out.set(row[0] as string, recordFromValues(d, row))
          }
        }
        await Promise.all(Array.from({ length: Math.min(lookupConcurrency, pending.length) }, lookupWorker))
        return out
      })
    },

    async *history(contactId: string): AsyncGenerator<ConsentEvent> {
      if (typeof contactId !== 'string' || contactIdProblem(contactId)) {
        if (closed) throw new StoreError('closed', 'the store is closed')
        return
      }
      for await (const rows of pages((after) => Promise.resolve(reader.all<SqlRow>(sql.history, [contactId, after])))) {
        for (const row of rows) yield eventFromRow(d, row)
      }
    },

    async *export(range?: { since?: Date; until?: Date }): AsyncGenerator<ConsentEvent> {
      const { since, until } = checkExportRange(range)
      const bounds = await track(async () => {
        const headRow = await reader.get<SqlRow>(sql.headSeq)
        let lo = 1
        let hi = headRow ? d.fromInt(headRow.seq) : 0
        if (since) {
          const row = await reader.get<SqlRow>(sql.firstSince, [d.toTime(since)])
          lo = row?.seq === null || row?.seq === undefined ? hi + 1 : d.fromInt(row.seq)
        }
        if (until) {
          const row = await reader.get<SqlRow>(sql.lastBefore, [d.toTime(until)])
          hi = Math.min(hi, row?.seq === null || row?.seq === undefined ? 0 : d.fromInt(row.seq))
        }
        return { lo, hi }
      })
      if (bounds.lo > bounds.hi) return
      const sinceMs = since?.getTime() ?? -Infinity
      const untilMs = until?.getTime() ?? Infinity
      for await (const rows of pages((after) => Promise.resolve(reader.all<SqlRow>(sql.page, [Math.max(after, bounds.lo - 1), bounds.hi])))) {
        for (const row of rows) {
          const event = eventFromRow(d, row)
          const t = event.recordedAt.getTime()
          if (t >= sinceMs && t < untilMs) yield event
        }
      }
    },

    verify(): Promise<VerifyResult> {
      return track(async () => {
        const headRow = await reader.get<SqlRow>(sql.headSeq)
        if (!headRow) throw new StoreError('storage-failed', 'the chain head row is missing')
        const chainHead = { seq: d.fromInt(headRow.seq), hash: String(headRow.hash) }
        const walk = new ChainWalk(hashText)
        let after = 0
        walking: for (;;) {
          if (closed) throw new StoreError('closed', 'the store is closed')
          const rows = await reader.all<SqlRow>(sql.page, [after, chainHead.seq])
          for (const row of rows) {
            let event: ConsentEvent | { seq: number; unreadable: true }
            try {
              event = eventFromRow(d, row)
            } catch {
              event = { seq: d.fromInt(row.seq), unreadable: true }
            }
            if (!walk.check(event)) break walking
          }
          if (rows.length < pageSize) break
          after = d.fromInt(rows[rows.length - 1]!.seq)
        }
        const beyond = await reader.get<SqlRow>(sql.beyondHead)
        return walk.finish(chainHead, beyond?.beyond === null || beyond?.beyond === undefined ? undefined : d.fromInt(beyond.beyond))
      })
    },

    async close(): Promise<void> {
      if (closed) return
      closed = true
      await Promise.allSettled([...inflight])
      await connection.close()
    },
  }
  if (connection.synchronousReads) offerReadNow(store, getNow)
  return store
}
