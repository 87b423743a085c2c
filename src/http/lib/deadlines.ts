// Timeouts for store calls, one timer per handler rather than one per call: a
// pixel hit makes one store call, and arming and clearing a timer for it costs
// more than the lookup itself on an in-process store. The timer runs only
// while calls are pending, and checks them every eighth of the timeout, so a
// call that hangs fails between `ms` and `ms + ms / 8` after it started.
//
// Pending calls are kept in a doubly linked list through the calls themselves:
// adding and removing one touches a few fields. (A Set cost more than the
// store lookup: each new entry needs an identity hash, and the table grows and
// shrinks with the load.)

/** One call still waiting for its answer, linked into its {@link Deadlines}. */
class PendingCall {
  prev: PendingCall | undefined = undefined
  next: PendingCall | undefined = undefined
  /** Whether it is still in the list (neither answered nor timed out). */
  linked = true

  constructor(
    readonly at: number,
    readonly message: string,
    readonly reject: (reason: Error) => void,
  ) {}
}

/** Runs calls under one shared, coarse deadline checker. */
export class Deadlines {
  readonly #ms: number
  readonly #step: number
  #head: PendingCall | undefined = undefined
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
    let pending: Promise<T>
    try {
      // Called now, without a microtask hop first.
      pending = Promise.resolve(call())
    } catch (err) {
      return Promise.reject(err)
    }
    return new Promise<T>((resolve, reject) => {
      const entry = new PendingCall(Date.now() + this.#ms, message, reject)
      this.#link(entry)
      this.#timer ??= setTimeout(this.#check, this.#step)
      pending.then(
        (value) => {
          if (this.#unlink(entry)) resolve(value)
        },
        (err: unknown) => {
          if (this.#unlink(entry)) reject(err)
        },
      )
    })
  }

  #link(entry: PendingCall): void {
    entry.next = this.#head
    if (this.#head) this.#head.prev = entry
    this.#head = entry
  }

  /** Takes `entry` out of the list; false when it was out already (answered or timed out). */
  #unlink(entry: PendingCall): boolean {
    if (!entry.linked) return false
    entry.linked = false
    if (entry.prev) entry.prev.next = entry.next
    else this.#head = entry.next
    if (entry.next) entry.next.prev = entry.prev
    entry.prev = entry.next = undefined
    return true
  }

  readonly #check = (): void => {
    this.#timer = undefined
    const now = Date.now()
    for (let entry = this.#head; entry; ) {
      const next = entry.next
      if (entry.at <= now && this.#unlink(entry)) entry.reject(new Error(entry.message))
      entry = next
    }
    if (this.#head) this.#timer = setTimeout(this.#check, this.#step)
  }
}
