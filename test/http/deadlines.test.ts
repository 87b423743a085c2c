// The shared store-call timer: each call fails on its own deadline (within an
// eighth of the timeout), answers that come in time win, late answers are
// dropped, and no timer is left once nothing is pending.
import { describe, expect, test } from 'vitest'
import { Deadlines } from '../../src/http/lib/deadlines.js'

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('Deadlines', () => {
  test('a call that never settles fails between ms and ms + ms/8 after it started, each on its own deadline', async () => {
    const deadlines = new Deadlines(200)
    const started: number[] = []
    const failed: number[] = []
    const runs = [0, 60, 120].map(async (delay, i) => {
      await sleep(delay)
      started[i] = performance.now()
      await expect(deadlines.run(() => new Promise(() => {}), 'too slow')).rejects.toThrow('too slow')
      failed[i] = performance.now()
    })
    await Promise.all(runs)
    for (let i = 0; i < 3; i++) {
      const took = failed[i]! - started[i]!
      expect(took).toBeGreaterThanOrEqual(195)
      expect(took).toBeLessThan(200 + 25 + 60) // an eighth of the timeout, plus timer slack on a busy machine
    }
  })

  test('answers in time win, errors pass through, late answers are dropped', async () => {
    const deadlines = new Deadlines(100)
    await expect(deadlines.run(async () => 42, 'x')).resolves.toBe(42)
    await expect(deadlines.run(async () => { throw new RangeError('boom') }, 'x')).rejects.toThrow(RangeError)
    await expect(deadlines.run(() => { throw new TypeError('sync boom') }, 'x')).rejects.toThrow(TypeError)
    let late!: (v: string) => void
    const outcome = deadlines.run(() => new Promise<string>((r) => (late = r)), 'late')
    await expect(outcome).rejects.toThrow('late')
    late('too late') // must not throw or resolve anything
    await sleep(10)
  })

  test('thousands of concurrent calls, then no timer left behind', async () => {
    await sleep(100) // the timers of the tests above have run out
    const before = timers()
    const deadlines = new Deadlines(50)
    const results = await Promise.allSettled(
      Array.from({ length: 5000 }, (_, i) => deadlines.run(() => (i % 2 ? Promise.resolve(i) : new Promise(() => {})), 'hung')),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2500)
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(2500)
    await sleep(20)
    expect(timers()).toBe(before)
  })
})
