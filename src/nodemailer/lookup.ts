import type { ConsentRecord } from '../policy/types.js'

/** How a bounded lookup ended. */
export type Lookup<T> = { ok: true; value: T } | { ok: false; reason: 'store-error' | 'store-timeout'; error?: unknown }

/**
 * Runs `query` and waits at most `timeoutMs` for it. A query that throws
 * synchronously, rejects or never settles gives a failed lookup; nothing
 * here ever throws or hangs.
 */
export function lookupWithin<T>(query: () => Promise<T>, timeoutMs: number): Promise<Lookup<T>> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (result: Lookup<T>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => settle({ ok: false, reason: 'store-timeout' }), timeoutMs)
    try {
      Promise.resolve(query()).then(
        (value) => settle({ ok: true, value }),
        (error: unknown) => settle({ ok: false, reason: 'store-error', error }),
      )
    } catch (error) {
      settle({ ok: false, reason: 'store-error', error })
    }
  })
}

/**
 * The record found for `contactId`, or a store error when the store answered
 * with anything but this contact's record (a corrupt row, a mixed-up index):
 * a message is never decided, nor its links signed, on someone else's consent.
 */
export function ownRecord(contactId: string, record: unknown): Lookup<ConsentRecord | null> {
  if (record === null || record === undefined) return { ok: true, value: null }
  if (typeof record !== 'object' || (record as ConsentRecord).contactId !== contactId)
    return { ok: false, reason: 'store-error', error: new Error('the consent store answered with a record that is not the contact asked for') }
  return { ok: true, value: record as ConsentRecord }
}
