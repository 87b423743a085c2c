// Timeouts for store calls, one timer per handler rather than one per call: a
// pixel hit makes one store call, and arming and clearing a timer for it costs
// more than the lookup itself on an in-process store. The timer runs only
// while calls are pending, and checks them every eighth of the timeout, so a
// call that hangs fails between `ms` and `ms + ms / 8` after it started.

interface Pending {
  at: number
  fail: () => void
}

/** Runs calls under one shared, coarse deadline checker. */
export class Deadlines {
  readonly #ms: number
  readonly #step: number
  readonly #pending = new Set<Pending>()
  #timer: ReturnType<typeof setTimeout> | undefined

  /** @param ms the timeout of every call, at least 1. */
  constructor(ms: number) {
    this.#ms = ms
    this.#step = Math.max(1, Math.ceil(ms / 8))
  }

  /**
   * `call()`'s result, or a rejection with `Error(message)` when it has not
   * settled within the timeout (the call itself may still finish later; its
   * result is then dropped). A call that throws rejects with what it threw.
   */
  run<T>(call: () => Promise<T>, message: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { at: Date.now() + this.#ms, fail: () => reject(new Error(message)) }
      this.#pending.add(entry)
      this.#timer ??= setTimeout(this.#check, this.#step)
      // Called now (a synchronous throw rejects like a rejected promise), without a microtask hop first.
      let pending: Promise<T>
      try {
        pending = Promise.resolve(call())
      } catch (err) {
        pending = Promise.reject(err)
      }
      pending
        .then(
          (value) => {
            if (this.#pending.delete(entry)) resolve(value)
          },
          (err: unknown) => {
            if (this.#pending.delete(entry)) reject(err)
          },
        )
    })
  }

  readonly #check = (): void => {
    this.#timer = undefined
    const now = Date.now()
    for (const entry of this.#pending) {
      if (entry.at <= now) {
        this.#pending.delete(entry)
        entry.fail()
      }
    }
    if (this.#pending.size > 0) this.#timer = setTimeout(this.#check, this.#step)
  }
}
