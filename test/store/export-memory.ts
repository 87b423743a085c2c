import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Figures printed by export-memory-child.mjs. */
export interface ExportMemoryFigures {
  events: number
  ordered: boolean
  fillMs: number
  exportMs: number
  exportedBytes: number
  baseRss: number
  peakRss: number
  baseHeap: number
  peakHeap: number
  maxRssProcess: number
}

/** Fills a fresh SQLite file with `count` events in a child process, streams export(), and returns the memory figures. */
export function measureExport(count: number, timeoutMs: number): ExportMemoryFigures {
  const child = fileURLToPath(new URL('./export-memory-child.mjs', import.meta.url))
  if (!existsSync(fileURLToPath(new URL('../../dist/store/sqlite.js', import.meta.url)))) {
    throw new Error('dist/store/sqlite.js is missing: run `npm run build` first (npm test does)')
  }
  const dir = mkdtempSync(join(tmpdir(), 'etc-export-'))
  try {
    const run = spawnSync(process.execPath, ['--expose-gc', child, join(dir, 'export.db'), String(count)], { encoding: 'utf8', timeout: timeoutMs })
    if (run.status !== 0) throw new Error(`export child failed (${run.status ?? run.signal}): ${run.stderr}`)
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as ExportMemoryFigures
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** One line of figures for the test log. */
export function describeFigures(f: ExportMemoryFigures): string {
  const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`
  return (
    `export of ${f.events.toLocaleString('en-US')} events (${mb(f.exportedBytes)} as JSON) in ${f.exportMs} ms ` +
    `(fill ${f.fillMs} ms): heap ${mb(f.baseHeap)} -> peak ${mb(f.peakHeap)}, RSS ${mb(f.baseRss)} -> peak ${mb(f.peakRss)}, ` +
    `process max RSS ${mb(f.maxRssProcess)}`
  )
}
