// Shared measuring helpers for every bench file: run a function for a fixed
// time after a warm-up, report operations per second, and print ratios
// against a baseline measured in the same run.

/**
 * Runs `fn` repeatedly (awaiting it if it returns a promise) for at least `ms`
 * milliseconds after `warmupMs` of warm-up. `fn` may return a number of
 * operations it performed (default 1) and bytes processed via `bytesPerOp`.
 */
export async function measure(name, fn, { ms = 1500, warmupMs = 300, bytesPerOp = 0 } = {}) {
  const runFor = async (budget) => {
    let ops = 0
    const start = performance.now()
    let now = start
    while (now - start < budget) {
      const r = fn()
      const n = r && typeof r.then === 'function' ? await r : r
      ops += typeof n === 'number' ? n : 1
      now = performance.now()
    }
    return { ops, elapsed: now - start }
  }
  await runFor(warmupMs)
  globalThis.gc?.()
  const { ops, elapsed } = await runFor(ms)
  const perSec = (ops / elapsed) * 1000
  return { name, ops, perSec, mbPerSec: bytesPerOp ? (perSec * bytesPerOp) / 1e6 : undefined }
}

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2))

/**
 * Prints a table of results with each row's ratio to the row named
 * `baseline`. `unit` labels the rate column (e.g. "emails/s").
 */
export function printTable(title, rows, { baseline, unit = 'ops/s' } = {}) {
  const base = baseline ? rows.find((r) => r.name === baseline) : undefined
  const hasMb = rows.some((r) => r.mbPerSec !== undefined)
  const width = Math.max(...rows.map((r) => r.name.length), 10)
  console.log(`\n## ${title}\n`)
  console.log(`| ${'case'.padEnd(width)} | ${unit.padStart(12)} |${hasMb ? '       MB/s |' : ''} ${base ? `vs ${baseline}` : ''}`)
  console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(14)}|${hasMb ? '-'.repeat(12) + '|' : ''}${base ? '-'.repeat(12) : ''}`)
  for (const r of rows) {
    const ratio = base ? ` ${(r.perSec / base.perSec).toFixed(2)}x` : ''
    const mb = hasMb ? ` ${r.mbPerSec === undefined ? '-'.padStart(10) : r.mbPerSec.toFixed(1).padStart(10)} |` : ''
    console.log(`| ${r.name.padEnd(width)} | ${fmt(r.perSec).padStart(12)} |${mb}${ratio}`)
  }
}

/** Prints a pass/fail line for a target and returns whether it held. */
export function checkTarget(label, actual, target) {
  const ok = actual >= target
  console.log(`${ok ? 'PASS' : 'FAIL'} ${label}: ${actual.toFixed(2)} (target >= ${target})`)
  return ok
}
