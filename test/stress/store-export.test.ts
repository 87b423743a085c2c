import { describe, expect, test } from 'vitest'
import { describeFigures, measureExport } from '../store/export-memory.js'

describe('export() of 1,000,000 events', () => {
  test('runs in bounded memory and reports peak RSS', () => {
    const figures = measureExport(1_000_000, 30 * 60_000)
    console.log(describeFigures(figures))
    expect(figures.events).toBe(1_000_000)
    expect(figures.ordered).toBe(true)
    expect(figures.peakHeap - figures.baseHeap).toBeLessThan(8 * 2 ** 20)
    expect(figures.peakRss - figures.baseRss).toBeLessThan(64 * 2 ** 20)
  }, 30 * 60_000)
})
