import type { ConsentRecord } from '../../policy/types.js'
import type { ConsentEvent } from '../types.js'
import { EVENT_COLUMNS, eventFromRow, RECORD_COLUMNS, recordFromRow } from './base.js'
import type { SqlDialect } from './dialect.js'
import type { MaybePromise, SqlRow } from './executor.js'

/** Direct access to an SQL store's tables: reads, and tampering run as one transaction with the append-only guard off. */
export interface SqlProbeAccess {
  all(sql: string, params?: readonly unknown[]): MaybePromise<SqlRow[]>
  /** Runs `statements` in one transaction, in order. */
  tamper(statements: readonly (readonly [string, readonly unknown[]])[]): Promise<void>
}

/**
 * Fields of a stored event a probe can overwrite.
 *
 * @example
 * ```ts
 * import type { EventEdit } from 'email-tracking-consent/store/testing'
 * // Rewrite an event behind the store's back, then check that verify() notices.
 * const edit: EventEdit = { type: 'grant', evidence: { forged: 'yes' } }
 * await probe.editEvent(5, edit)
 * expect((await store.verify()).reason).toBe('hash-mismatch')
 * ```
 */
export type EventEdit = Partial<Pick<ConsentEvent, 'contactId' | 'type' | 'at' | 'source' | 'evidence' | 'purposes' | 'noticeVersion'>>

/** The SQL implementation of the conformance probe (see `StoreProbe` in `store/testing`). */
export function createSqlProbe(d: SqlDialect, access: SqlProbeAccess) {
  const events = d.table('events')
  const p = d.placeholder
  const eventList = EVENT_COLUMNS.join(', ')
  const rowOf = async (seq: number): Promise<SqlRow | undefined> => (await access.all(`SELECT ${eventList} FROM ${events} WHERE seq = ${p(1)}`, [seq]))[0]
  const guarded = (statements: (readonly [string, readonly unknown[]])[]) =>
    access.tamper([...d.guardOff.map((s) => [s, []] as const), ...statements, ...d.guardOn.map((s) => [s, []] as const)])
  const contentParams = (row: SqlRow): unknown[] => EVENT_COLUMNS.filter((c) => c !== 'seq').map((c) => row[c])
  const setContent = EVENT_COLUMNS.filter((c) => c !== 'seq')
    .map((c, i) => `${c} = ${p(i + 1)}`)
    .join(', ')

  return {
    async readEvent(seq: number): Promise<ConsentEvent | undefined> {
      const row = await rowOf(seq)
      return row ? eventFromRow(d, row) : undefined
    },
    async countEvents(): Promise<number> {
      const rows = await access.all(`SELECT count(*) AS n FROM ${events}`)
      return d.fromInt(rows[0]!.n)
    },
    async readRecord(contactId: string): Promise<ConsentRecord | undefined> {
      const rows = await access.all(`SELECT ${RECORD_COLUMNS.join(', ')} FROM ${d.table('records')} WHERE contact_id = ${p(1)}`, [contactId])
      return rows[0] ? recordFromRow(d, rows[0]) : undefined
    },
    async editEvent(seq: number, edit: EventEdit): Promise<void> {
      const sets: string[] = []
      const params: unknown[] = []
      const set = (column: string, value: unknown): void => {
        params.push(value)
        sets.push(`${column} = ${p(params.length)}`)
      }
      if (edit.contactId !== undefined) set('contact_id', edit.contactId)
      if (edit.type !== undefined) set('type', edit.type)
      if (edit.at !== undefined) set('at', d.toTime(edit.at))
      if (edit.source !== undefined) set('source', edit.source)
      if (edit.evidence !== undefined) set('evidence', JSON.stringify(edit.evidence))
      if (edit.purposes !== undefined) set('purposes', edit.purposes.join(','))
      if (edit.noticeVersion !== undefined) set('notice_version', edit.noticeVersion)
      if (sets.length === 0) return
      params.push(seq)
      await guarded([[`UPDATE ${events} SET ${sets.join(', ')} WHERE seq = ${p(params.length)}`, params]])
    },
    async deleteEvent(seq: number): Promise<void> {
      await guarded([[`DELETE FROM ${events} WHERE seq = ${p(1)}`, [seq]]])
    },
    async swapEvents(a: number, b: number): Promise<void> {
      const rowA = await rowOf(a)
      const rowB = await rowOf(b)
      if (!rowA || !rowB) throw new Error(`no event at seq ${rowA ? b : a}`)
      const n = setContent.split(', ').length
      const update = `UPDATE ${events} SET ${setContent} WHERE seq = ${p(n + 1)}`
      const parked = contentParams(rowB)
      parked[0] = `swap-${String(rowB.id)}`
      await guarded([
        [update, [...parked, a]],
        [update, [...contentParams(rowA), b]],
        [`UPDATE ${events} SET id = ${p(1)} WHERE seq = ${p(2)}`, [rowB.id, a]],
      ])
    },
    async insertEvent(event: ConsentEvent): Promise<void> {
      const values = [
        event.seq,
        event.id,
        event.contactId,
        event.type,
        event.purposes.join(','),
        d.toTime(event.at),
        event.source,
        event.noticeVersion ?? null,
        JSON.stringify(event.evidence),
        d.toTime(event.recordedAt),
        event.prevHash,
        event.hash,
      ]
      await guarded([
        // Two steps keep the primary key unique while later rows move up by one.
        [`UPDATE ${events} SET seq = -(seq + 1) WHERE seq >= ${p(1)}`, [event.seq]],
        [`UPDATE ${events} SET seq = -seq WHERE seq < 0`, []],
        [`INSERT INTO ${events} (${eventList}) VALUES (${values.map((_, i) => p(i + 1)).join(', ')})`, values],
      ])
    },
  }
}
