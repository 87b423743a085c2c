import { sha256Hex } from '../lib/sha256.js'
import type { Purpose } from '../policy/types.js'
import type { ConsentEventInput, ConsentEventType, ConsentSource, Evidence } from '../store/types.js'
import { CONSENT_SOURCES, DEFAULT_MAX_FUTURE_SKEW_MS, normalizeEvent } from '../store/validate.js'

/** Event names accepted in the `event` column, including the words CRMs tend to use. */
export const EVENT_ALIASES: Readonly<Record<string, ConsentEventType>> = {
  collect: 'collect',
  collected: 'collect',
  inform: 'inform',
  informed: 'inform',
  grant: 'grant',
  granted: 'grant',
  'opt-in': 'grant',
  'opted-in': 'grant',
  consented: 'grant',
  deny: 'deny',
  denied: 'deny',
  object: 'deny',
  objected: 'deny',
  refused: 'deny',
  withdraw: 'withdraw',
  withdrawn: 'withdraw',
  request: 'request',
  requested: 'request',
  unsubscribe: 'unsubscribe',
  unsubscribed: 'unsubscribe',
  resubscribe: 'resubscribe',
  resubscribed: 'resubscribe',
}

/** Columns of an import file; `evidence.<key>` columns add evidence. */
export const IMPORT_COLUMNS = ['contact_id', 'event', 'at', 'purposes', 'source', 'notice_version', 'id'] as const
const REQUIRED = ['contact_id', 'event', 'at'] as const

/** How the header row maps to fields. */
export interface ImportLayout {
  index: Partial<Record<(typeof IMPORT_COLUMNS)[number], number>>
  evidence: { key: string; index: number }[]
}

/** A problem with one line of the file. */
export interface RowProblem {
  line: number
  message: string
}

function normalizeHeader(name: string): string {
  return name.trim().toLowerCase().replace(/[\s-]+/g, '_')
}

/** Reads the header row; returns the problems instead when it is unusable. */
export function readLayout(header: string[]): ImportLayout | string[] {
  const layout: ImportLayout = { index: {}, evidence: [] }
  const problems: string[] = []
  header.forEach((raw, index) => {
    const trimmed = raw.trim()
    const evidence = /^evidence[._](.+)$/i.exec(trimmed)
    if (evidence) {
      layout.evidence.push({ key: evidence[1]!, index })
      return
    }
    const name = normalizeHeader(trimmed) as (typeof IMPORT_COLUMNS)[number]
    if (!IMPORT_COLUMNS.includes(name)) problems.push(`unknown column ${JSON.stringify(raw)} (expected ${IMPORT_COLUMNS.join(', ')} or evidence.<name>)`)
    else if (layout.index[name] !== undefined) problems.push(`column ${name} appears twice`)
    else layout.index[name] = index
  })
  for (const name of REQUIRED) if (layout.index[name] === undefined) problems.push(`missing required column ${name}`)
  return problems.length ? problems : layout
}

function parsePurposes(value: string): Purpose[] | undefined | string {
  const text = value.trim().toLowerCase()
  if (text === '' || text === 'both' || text === 'all') return undefined
  const parts = text.split(/[\s;|+,]+/).filter(Boolean)
  for (const p of parts) if (p !== 'opens' && p !== 'clicks') return `unknown purpose ${JSON.stringify(p)} (use opens, clicks or both)`
  return parts as Purpose[]
}

function parseAt(value: string): Date | string {
  const text = value.trim()
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return new Date(`${text}T00:00:00Z`)
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text))
    return `at must be an ISO 8601 date (2024-03-10) or date-time with a zone (2024-03-10T09:00:00Z), got ${JSON.stringify(text)}`
  const date = new Date(text.replace(' ', 'T'))
  return Number.isNaN(date.getTime()) ? `at is not a real date: ${JSON.stringify(text)}` : date
}

/**
 * The idempotency id of an imported event: a hash of its content, so the
 * same row imported twice (from any file, in any order) is stored once.
 */
export function importEventId(event: ConsentEventInput): string {
  const evidence = Object.entries(event.evidence ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
  const canonical = JSON.stringify([
    event.contactId,
    event.type,
    [...(event.purposes ?? ['opens', 'clicks'])].sort(),
    event.at.toISOString(),
    event.source,
    event.noticeVersion ?? null,
    evidence,
  ])
  return `import-${sha256Hex(canonical).slice(0, 40)}`
}

/**
 * Turns one data row into an event, validated exactly as the store's
 * `record()` would validate it. Returns the problem text instead when the row is bad.
 */
export function rowToEvent(fields: string[], layout: ImportLayout, now: number): ConsentEventInput | string {
  const cell = (name: (typeof IMPORT_COLUMNS)[number]) => {
    const i = layout.index[name]
    return i === undefined ? '' : (fields[i] ?? '').trim()
  }
  const eventName = cell('event').toLowerCase()
  const type = EVENT_ALIASES[eventName]
  if (!type) return `unknown event ${JSON.stringify(cell('event'))} (expected ${Object.keys(EVENT_ALIASES).join(', ')})`
  const at = parseAt(cell('at'))
  if (typeof at === 'string') return at
  const purposes = parsePurposes(cell('purposes'))
  if (typeof purposes === 'string') return purposes
  const source = (cell('source') || 'import') as ConsentSource
  if (!CONSENT_SOURCES.includes(source)) return `unknown source ${JSON.stringify(source)} (expected ${CONSENT_SOURCES.join(', ')})`
  const evidence: Evidence = {}
  for (const { key, index } of layout.evidence) {
    const value = (fields[index] ?? '').trim()
    if (value !== '') evidence[key] = value
  }
  const event: ConsentEventInput = { contactId: cell('contact_id'), type, at, source, evidence }
  if (purposes) event.purposes = purposes
  if (cell('notice_version')) event.noticeVersion = cell('notice_version')
  event.id = cell('id') || importEventId(event)
  try {
    normalizeEvent(event, { now, maxFutureSkewMs: DEFAULT_MAX_FUTURE_SKEW_MS })
  } catch (err) {
    return (err as Error).message
  }
  return event
}
