// dayOf remembers recent answers by whole second: it must still give Intl's
// answer for every instant and zone, including across day boundaries, in any
// call order, and in zones whose historical offsets are not whole minutes.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { dayOf } from '../../src/policy/calendar.js'

const zones = ['Europe/Paris', 'UTC', 'America/St_Johns', 'Asia/Kathmandu', 'Pacific/Chatham', 'Australia/Lord_Howe', 'Africa/Monrovia']
const intl = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at)

describe('dayOf', () => {
  test('gives Intl’s calendar day for any instant and zone, in any order', () => {
    const near = fc.integer({ min: -3, max: 3 }) // around midnight boundaries: seconds either side
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...zones), fc.oneof(fc.integer({ min: -2_500_000_000_000, max: 4_000_000_000_000 }), near.map((d) => Date.UTC(2026, 2, 29, 0, 0, 0) + d * 500))), { minLength: 1, maxLength: 40 }),
        (calls) => {
          for (const [zone, ms] of calls) expect(dayOf(new Date(ms), zone)).toBe(intl(new Date(ms), zone))
        },
      ),
      { numRuns: 500 },
    )
  })

  test('every millisecond around midnight in Paris, and in Monrovia before 1972 (offset -0:44:30)', () => {
    for (const [zone, midnightUtc] of [['Europe/Paris', Date.UTC(2026, 10, 28, 23, 0, 0)], ['Africa/Monrovia', Date.UTC(1950, 5, 1, 0, 44, 30)]] as const)
      for (let ms = midnightUtc - 2000; ms <= midnightUtc + 2000; ms += 1) expect(dayOf(new Date(ms), zone)).toBe(intl(new Date(ms), zone))
  })
})
