import { decide } from '../../policy/decide.js'
import { cnilPolicy } from '../../policy/cnil.js'
import type { Basis, ConsentStatus, Policy, Purpose } from '../../policy/types.js'
import type { ConsentEventType, ConsentSource, ConsentStore, VerifyResult } from '../../store/types.js'

/** Counts per event type. */
export type TypeCounts = Record<ConsentEventType, number>

/** Everything the audit report shows, gathered in one pass over the log. */
export interface AuditData {
  generatedAt: Date
  store: string
  policy: string
  events: number
  contacts: number
  firstAt?: Date
  lastAt?: Date
  firstRecordedAt?: Date
  lastRecordedAt?: Date
  /** Events per calendar month of `at` (UTC), every month from the first to the last. */
  months: { month: string; counts: TypeCounts }[]
  sources: { source: ConsentSource; events: number; contacts: number }[]
  notices: { version: string; events: number; contacts: number; first: Date; last: Date }[]
  withdrawals: { source: ConsentSource; events: number; opens: number; clicks: number }[]
  unsubscribes: { source: ConsentSource; events: number }[]
  states: Record<Purpose, Record<ConsentStatus, number>>
  subscribed: { subscribed: number; unsubscribed: number }
  /** What a marketing email sent at `generatedAt` would carry, per basis. */
  decisions: { basis: Basis; contacts: number; opens: number; clicks: number }[]
  chain: VerifyResult
  /** Why the log could not be read to the end (the figures cover the events before it). */
  readError?: string
}

export const EVENT_TYPES: readonly ConsentEventType[] = ['collect', 'inform', 'grant', 'deny', 'withdraw', 'request', 'unsubscribe', 'resubscribe']
const zeroCounts = (): TypeCounts => ({ collect: 0, inform: 0, grant: 0, deny: 0, withdraw: 0, request: 0, unsubscribe: 0, resubscribe: 0 })

function monthsBetween(first: string, last: string): string[] {
  const out: string[] = []
  let [y, m] = first.split('-').map(Number) as [number, number]
  const [ly, lm] = last.split('-').map(Number) as [number, number]
  while (y < ly || (y === ly && m <= lm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`)
    m++
    if (m === 13) {
      m = 1
      y++
    }
  }
  return out
}

/** Streams the log once, folds the figures, reads current records and verifies the chain. */
export async function collectAuditData(store: ConsentStore, label: string, options: { now?: Date; policy?: Policy } = {}): Promise<AuditData> {
  const now = options.now ?? new Date()
  const policy = options.policy ?? cnilPolicy()
  const byMonth = new Map<string, TypeCounts>()
  const sources = new Map<ConsentSource, { events: number; contacts: Set<string> }>()
  const notices = new Map<string, { events: number; contacts: Set<string>; first: Date; last: Date }>()
  const withdrawals = new Map<ConsentSource, { events: number; opens: number; clicks: number }>()
  const unsubscribes = new Map<ConsentSource, number>()
  const contacts = new Set<string>()
  let events = 0
  let firstAt: Date | undefined
  let lastAt: Date | undefined
  let firstRecordedAt: Date | undefined
  let lastRecordedAt: Date | undefined

  let readError: string | undefined
  try {
    for await (const e of store.export()) {
      events++
      contacts.add(e.contactId)
      if (!firstAt || e.at < firstAt) firstAt = e.at
      if (!lastAt || e.at > lastAt) lastAt = e.at
      firstRecordedAt ??= e.recordedAt
      lastRecordedAt = e.recordedAt
      const month = e.at.toISOString().slice(0, 7)
      const counts = byMonth.get(month) ?? zeroCounts()
      counts[e.type]++
      byMonth.set(month, counts)
      const source = sources.get(e.source) ?? { events: 0, contacts: new Set() }
      source.events++
      source.contacts.add(e.contactId)
      sources.set(e.source, source)
      if (e.noticeVersion !== undefined) {
        const notice = notices.get(e.noticeVersion) ?? { events: 0, contacts: new Set(), first: e.at, last: e.at }
        notice.events++
        notice.contacts.add(e.contactId)
        if (e.at < notice.first) notice.first = e.at
        if (e.at > notice.last) notice.last = e.at
        notices.set(e.noticeVersion, notice)
      }
      if (e.type === 'withdraw') {
        const w = withdrawals.get(e.source) ?? { events: 0, opens: 0, clicks: 0 }
        w.events++
        if (e.purposes.includes('opens')) w.opens++
        if (e.purposes.includes('clicks')) w.clicks++
        withdrawals.set(e.source, w)
      }
      if (e.type === 'unsubscribe') unsubscribes.set(e.source, (unsubscribes.get(e.source) ?? 0) + 1)
    }
  } catch (err) {
    // A tampered row can be unreadable; the report still shows what precedes it and the chain result.
    readError = (err as Error).message
  }

  const states: AuditData['states'] = {
    opens: { granted: 0, denied: 0, withdrawn: 0, unknown: 0 },
    clicks: { granted: 0, denied: 0, withdrawn: 0, unknown: 0 },
  }
  const subscribed = { subscribed: 0, unsubscribed: 0 }
  const decisions = new Map<Basis, { contacts: number; opens: number; clicks: number }>()
  const ids = [...contacts]
  for (let i = 0; i < ids.length; i += 5000) {
    const records = await store.getMany(ids.slice(i, i + 5000))
    for (const record of records.values()) {
      states.opens[record.opens.status]++
      states.clicks[record.clicks.status]++
      record.subscribed === false ? subscribed.unsubscribed++ : subscribed.subscribed++
      const d = decide(record, 'marketing', { now, policy })
      const entry = decisions.get(d.basis) ?? { contacts: 0, opens: 0, clicks: 0 }
      entry.contacts++
      if (d.opens) entry.opens++
      if (d.clicks) entry.clicks++
      decisions.set(d.basis, entry)
    }
  }

  const monthKeys = [...byMonth.keys()].sort()
  const months = monthKeys.length ? monthsBetween(monthKeys[0]!, monthKeys.at(-1)!).map((month) => ({ month, counts: byMonth.get(month) ?? zeroCounts() })) : []
  const data: AuditData = {
    generatedAt: now,
    store: label,
    policy: `${policy.id}@${policy.version}`,
    events,
    contacts: contacts.size,
    months,
    sources: [...sources].map(([source, s]) => ({ source, events: s.events, contacts: s.contacts.size })).sort((a, b) => b.events - a.events),
    notices: [...notices].map(([version, n]) => ({ version, events: n.events, contacts: n.contacts.size, first: n.first, last: n.last })).sort((a, b) => a.first.getTime() - b.first.getTime()),
    withdrawals: [...withdrawals].map(([source, w]) => ({ source, ...w })).sort((a, b) => b.events - a.events),
    unsubscribes: [...unsubscribes].map(([source, n]) => ({ source, events: n })).sort((a, b) => b.events - a.events),
    states,
    subscribed,
    decisions: [...decisions].map(([basis, d]) => ({ basis, ...d })).sort((a, b) => b.contacts - a.contacts),
    chain: await store.verify(),
  }
  if (readError !== undefined) data.readError = readError
  if (firstAt) data.firstAt = firstAt
  if (lastAt) data.lastAt = lastAt
  if (firstRecordedAt) data.firstRecordedAt = firstRecordedAt
  if (lastRecordedAt) data.lastRecordedAt = lastRecordedAt
  return data
}
