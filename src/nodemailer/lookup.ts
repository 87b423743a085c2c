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
