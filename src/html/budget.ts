// The per-email time budget of compile() and transform(): checked before and
// between the expensive steps (each parse), so no email can hold a send for long.

/** Raised inside the rewriter once the budget is spent; the template catches it and falls back to untracked. */
export class TimeBudgetExceeded extends Error {
  override name = 'TimeBudgetExceeded'
}

/** Throws {@link TimeBudgetExceeded} once the budget is spent; a no-op before. */
export type BudgetCheck = () => void

/** A check that starts throwing `ms` milliseconds (wall clock) from now; at once for 0, never for `Infinity`. */
export function timeBudget(ms: number): BudgetCheck {
  const deadline = Date.now() + ms
  return () => {
    if (Date.now() >= deadline) throw new TimeBudgetExceeded(`the time budget of ${ms} ms is spent`)
  }
}
