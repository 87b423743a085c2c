import { describe, expect, test } from 'vitest'
import { describeFigures, measureExport } from './export-memory.js'

describe('export() memory', () => {
  test('streams 50,000 events with heap growth far below the exported volume', () => {
    const figures = measureExport(50_000, 120_000)
    console.log(describeFigures(figures))
    expect(figures.events).toBe(50_000)
    expect(figures.ordered).toBe(true)
    // Holding the export would need more than the whole JSON volume; streaming stays within a few pages.
    expect(figures.exportedBytes).toBeGreaterThan(30 * 2 ** 20)
    expect(figures.peakHeap - figures.baseHeap).toBeLessThan(8 * 2 ** 20)
    expect(figures.peakRss - figures.baseRss).toBeLessThan(48 * 2 ** 20)
  }, 120_000)
})
