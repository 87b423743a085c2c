import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cnilPolicy, decide, PolicyError } from '../../src/policy/index.js'
import type { Category, ConsentRecord, ConsentStatus, Policy } from '../../src/policy/types.js'

// Noon UTC is 13:00/14:00 in Paris: the same calendar day in both.
const day = (d: string) => new Date(`${d}T12:00:00Z`)
const record = (over: Partial<ConsentRecord> = {}): ConsentRecord => ({
  contactId: 'c_1',
  opens: { status: 'unknown' },
  clicks: { status: 'unknown' },
  ...over,
})
const legacy = (over: Partial<ConsentRecord> = {}) => record({ collectedAt: day('2025-01-10'), ...over })

describe('decide: marketing', () => {
  const cases: Array<[string, ConsentRecord | null, string, Partial<ReturnType<typeof decide>>]> = [
    ['unknown contact', null, '2026-09-01', { send: true, opens: false, clicks: false, basis: 'none', reasons: ['unknown-contact'] }],
    [
      'both granted',
      record({ opens: { status: 'granted', at: day('2026-05-01') }, clicks: { status: 'granted', at: day('2026-05-01') } }),
      '2026-09-01',
      { opens: true, clicks: true, basis: 'consent', reasons: ['opens:granted', 'clicks:granted'] },
    ],
    [
      'opens granted, clicks denied',
      record({ opens: { status: 'granted', at: day('2026-05-01') }, clicks: { status: 'denied', at: day('2026-05-01') } }),
      '2026-09-01',
      { opens: true, clicks: false, basis: 'consent', reasons: ['opens:granted', 'clicks:denied'] },
    ],
    [
      'withdrawn',
      record({ opens: { status: 'withdrawn', at: day('2026-06-01') }, clicks: { status: 'withdrawn', at: day('2026-06-01') } }),
      '2026-09-01',
      { opens: false, clicks: false, basis: 'none', reasons: ['opens:withdrawn', 'clicks:withdrawn'] },
    ],
    [
      'grant dated after the send',
      record({ opens: { status: 'granted', at: day('2026-10-01') }, clicks: { status: 'unknown' }, collectedAt: day('2026-05-01') }),
      '2026-09-01',
      { opens: false, reasons: ['opens:granted-later', 'clicks:opt-in-required'] },
    ],
    ['no collection date', record(), '2026-09-01', { opens: false, reasons: ['opens:collected-unknown', 'clicks:collected-unknown'] }],
    // Regime start boundary: collected 2026-04-13 is legacy, 2026-04-14 needs opt-in.
    ['collected 2026-04-13, in transition', record({ collectedAt: day('2026-04-13') }), '2026-05-01', { opens: true, clicks: true, basis: 'legacy-no-objection', reasons: ['opens:legacy-transition', 'clicks:legacy-transition'] }],
    ['collected 2026-04-14, in transition', record({ collectedAt: day('2026-04-14') }), '2026-05-01', { opens: false, clicks: false, basis: 'none', reasons: ['opens:opt-in-required', 'clicks:opt-in-required'] }],
    // Transition end boundary: 2026-07-14 inclusive.
    ['legacy uninformed on 2026-07-14', legacy(), '2026-07-14', { opens: true, basis: 'legacy-no-objection', reasons: ['opens:legacy-transition', 'clicks:legacy-transition'] }],
    ['legacy uninformed on 2026-07-15', legacy(), '2026-07-15', { opens: false, basis: 'none', reasons: ['opens:legacy-not-informed', 'clicks:legacy-not-informed'] }],
    ['legacy informed on 2026-07-15', legacy({ informedAt: day('2026-05-01') }), '2026-07-15', { opens: true, clicks: true, basis: 'legacy-no-objection', reasons: ['opens:legacy-no-objection', 'clicks:legacy-no-objection'] }],
    ['legacy informed but objected to clicks', legacy({ informedAt: day('2026-05-01'), clicks: { status: 'denied', at: day('2026-06-01') } }), '2026-08-01', { opens: true, clicks: false, basis: 'legacy-no-objection', reasons: ['opens:legacy-no-objection', 'clicks:denied'] }],
    ['legacy objected during transition', legacy({ opens: { status: 'denied', at: day('2026-05-01') } }), '2026-06-01', { opens: false, clicks: true, reasons: ['opens:denied', 'clicks:legacy-transition'] }],
    ['legacy informed only after the send', legacy({ informedAt: day('2026-09-02') }), '2026-09-01', { opens: false, reasons: ['opens:legacy-not-informed', 'clicks:legacy-not-informed'] }],
    ['unsubscribed contact is not mailed', record({ subscribed: false, opens: { status: 'granted' }, clicks: { status: 'granted' } }), '2026-09-01', { send: false, opens: false, clicks: false, reasons: ['unsubscribed'] }],
  ]
  test.each(cases)('%s', (_name, consent, now, expected) => {
    const d = decide(consent, 'marketing', { now: day(now) })
    expect(d).toMatchObject({ send: true, policy: 'cnil-2026@1', ...expected })
  })

  test('days are Paris days: 2026-07-14 23:30 Paris is still in the transition, 00:30 the next day is not', () => {
    expect(decide(legacy(), 'marketing', { now: new Date('2026-07-14T21:30:00Z') }).opens).toBe(true)
    expect(decide(legacy(), 'marketing', { now: new Date('2026-07-14T22:30:00Z') }).opens).toBe(false)
    // Collected 2026-04-14 00:30 Paris = 2026-04-13 22:30 UTC: already under the opt-in regime.
    const c = record({ collectedAt: new Date('2026-04-13T22:30:00Z') })
    expect(decide(c, 'marketing', { now: day('2026-05-01') }).opens).toBe(false)
  })

  test('strict: silence is refusal after the transition, not during it', () => {
    const policy = cnilPolicy({ strict: true })
    const informed = legacy({ informedAt: day('2026-05-01') })
    expect(decide(informed, 'marketing', { policy, now: day('2026-07-14') })).toMatchObject({ opens: true, policy: 'cnil-2026-strict@1' })
    expect(decide(informed, 'marketing', { policy, now: day('2026-07-15') })).toMatchObject({
      opens: false,
      clicks: false,
      reasons: ['opens:legacy-strict', 'clicks:legacy-strict'],
    })
    const granted = record({ opens: { status: 'granted' }, clicks: { status: 'granted' } })
    expect(decide(granted, 'marketing', { policy, now: day('2026-09-01') }).opens).toBe(true)
  })

  test('kill switch turns all tracking off and still sends', () => {
    const policy = cnilPolicy({ trackingEnabled: false })
    const granted = record({ opens: { status: 'granted' }, clicks: { status: 'granted' } })
    expect(decide(granted, 'marketing', { policy, now: day('2026-09-01') })).toMatchObject({
      send: true,
      opens: false,
      clicks: false,
      basis: 'none',
      reasons: ['kill-switch'],
    })
  })

  test('list hygiene is off by default, and when on tracks only opens of silent contacts', () => {
    const silent = record({ collectedAt: day('2026-06-01') })
    expect(decide(silent, 'marketing', { now: day('2026-09-01') }).opens).toBe(false)
    const policy = cnilPolicy({ listHygiene: true })
    expect(decide(silent, 'marketing', { policy, now: day('2026-09-01') })).toMatchObject({
      opens: true,
      clicks: false,
      basis: 'exempt',
      listHygiene: true,
      reasons: ['opens:opt-in-required', 'clicks:opt-in-required', 'opens:list-hygiene'],
    })
    const refused = record({ opens: { status: 'withdrawn' } })
    expect(decide(refused, 'marketing', { policy, now: day('2026-09-01') }).opens).toBe(false)
  })
})

describe('decide: transactional', () => {
  test('exempt and untouched by default', () => {
    expect(decide(null, 'transactional')).toMatchObject({ send: true, opens: false, clicks: false, basis: 'exempt', reasons: ['transactional-exempt'] })
  })
  test('a policy can choose to apply the rules to it', () => {
    const policy = cnilPolicy({ exemptCategories: [] })
    const granted = record({ opens: { status: 'granted' }, clicks: { status: 'granted' } })
    expect(decide(granted, 'transactional', { policy }).opens).toBe(true)
  })
})

describe('decide: consent-request', () => {
  const now = day('2026-09-01')
  test('never tracks, sends to a contact never asked', () => {
    expect(decide(record({ collectedAt: day('2026-05-01') }), 'consent-request', { now })).toMatchObject({
      send: true,
      opens: false,
      clicks: false,
      basis: 'none',
      reasons: ['consent-request'],
    })
    expect(decide(null, 'consent-request', { now }).send).toBe(true)
  })
  test('6-month cooldown edge: asked 2026-03-01 → not on 2026-08-31, yes on 2026-09-01', () => {
    const asked = record({ lastRequestAt: day('2026-03-01') })
    expect(decide(asked, 'consent-request', { now: day('2026-08-31') })).toMatchObject({ send: false, reasons: ['request-cooldown'] })
    expect(decide(asked, 'consent-request', { now: day('2026-09-01') })).toMatchObject({ send: true, reasons: ['consent-request'] })
  })
  test('month-end clamping: asked 2026-08-31 → again from 2027-02-28', () => {
    const asked = record({ lastRequestAt: day('2026-08-31') })
    expect(decide(asked, 'consent-request', { now: day('2027-02-27') }).send).toBe(false)
    expect(decide(asked, 'consent-request', { now: day('2027-02-28') }).send).toBe(true)
  })
  test('a refusal restarts the wait; a positive answer ends it', () => {
    const denied = record({ lastRequestAt: day('2026-01-01'), opens: { status: 'denied', at: day('2026-08-01') } })
    expect(decide(denied, 'consent-request', { now }).send).toBe(false)
    const answered = record({ lastRequestAt: day('2026-08-01'), opens: { status: 'granted', at: day('2026-08-02') } })
    expect(decide(answered, 'consent-request', { now }).send).toBe(true)
  })
  test('not sent to a contact who already granted both', () => {
    const granted = record({ opens: { status: 'granted' }, clicks: { status: 'granted' } })
    expect(decide(granted, 'consent-request', { now })).toMatchObject({ send: false, reasons: ['already-granted'] })
  })
})

describe('decide: bad input is an error, never consent', () => {
  const bad: Array<[string, unknown, string]> = [
    ['no contactId', { opens: { status: 'granted' }, clicks: { status: 'granted' } }, 'invalid-consent'],
    ['empty contactId', { contactId: '', opens: { status: 'granted' }, clicks: { status: 'granted' } }, 'invalid-consent'],
    ['missing purpose', { contactId: 'c', opens: { status: 'granted' } }, 'invalid-consent'],
    ['unknown status', { contactId: 'c', opens: { status: 'yes' }, clicks: { status: 'granted' } }, 'invalid-status'],
    ['invalid date', { contactId: 'c', opens: { status: 'granted', at: new Date('nope') }, clicks: { status: 'unknown' } }, 'invalid-date'],
    ['string date', { contactId: 'c', opens: { status: 'unknown' }, clicks: { status: 'unknown' }, collectedAt: '2025-01-01' }, 'invalid-date'],
    ['not an object', 'c_1', 'invalid-consent'],
  ]
  test.each(bad)('%s', (_name, consent, code) => {
    expect(() => decide(consent as ConsentRecord, 'marketing')).toThrowError(expect.objectContaining({ code }))
    expect(() => decide(consent as ConsentRecord, 'marketing')).toThrowError(PolicyError)
  })
  test('unknown category', () => {
    expect(() => decide(null, 'newsletter' as Category)).toThrowError(expect.objectContaining({ code: 'invalid-category' }))
  })
  test('invalid now and invalid policy', () => {
    expect(() => decide(null, 'marketing', { now: new Date(Number.NaN) })).toThrowError(expect.objectContaining({ code: 'invalid-date' }))
    const policy = { ...cnilPolicy(), transitionEnd: '2026-02-30' } as Policy
    expect(() => decide(null, 'marketing', { policy })).toThrowError(expect.objectContaining({ code: 'invalid-policy' }))
    expect(() => cnilPolicy({ timeZone: 'Mars/Olympus' })).toThrowError(expect.objectContaining({ code: 'invalid-policy' }))
  })
})

describe('decide: user-defined policies', () => {
  test("a policy with other dates (e.g. Italy's Garante) is honoured and named in the decision", () => {
    const garante: Policy = { ...cnilPolicy(), id: 'garante-example', version: 2, timeZone: 'Europe/Rome', regimeStart: '2026-06-01', transitionEnd: '2026-12-31' }
    const c = record({ collectedAt: day('2026-05-15') })
    expect(decide(c, 'marketing', { policy: garante, now: day('2026-10-01') })).toMatchObject({ opens: true, policy: 'garante-example@2' })
    expect(decide(c, 'marketing', { now: day('2026-10-01') }).opens).toBe(false)
  })
})

describe('decide: properties', () => {
  const status = fc.constantFrom<ConsentStatus>('granted', 'denied', 'withdrawn', 'unknown')
  const date = fc.date({ min: new Date('2024-01-01'), max: new Date('2028-12-31'), noInvalidDate: true })
  const arbRecord = fc.record({
    contactId: fc.constant('c_1'),
    opens: fc.record({ status, at: fc.option(date, { nil: undefined }) }),
    clicks: fc.record({ status, at: fc.option(date, { nil: undefined }) }),
    collectedAt: fc.option(date, { nil: undefined }),
    informedAt: fc.option(date, { nil: undefined }),
    lastRequestAt: fc.option(date, { nil: undefined }),
    subscribed: fc.option(fc.boolean(), { nil: undefined }),
  })
  const arbPolicy = fc.record({ strict: fc.boolean(), listHygiene: fc.boolean(), trackingEnabled: fc.boolean() }).map(cnilPolicy)

  test('a denied, withdrawn or unknown purpose is never tracked, except on the legacy basis (or hygiene for silent opens)', () => {
    fc.assert(
      fc.property(arbRecord, fc.constantFrom<Category>('marketing', 'transactional', 'consent-request'), date, arbPolicy, (consent, category, now, policy) => {
        const d = decide(consent, category, { policy, now })
        for (const purpose of ['opens', 'clicks'] as const) {
          if (!d[purpose]) continue
          const s = consent[purpose].status
          if (s === 'granted') continue
          expect(s).not.toBe('denied')
          expect(s).not.toBe('withdrawn')
          const viaLegacy = d.reasons.includes(`${purpose}:legacy-transition`) || d.reasons.includes(`${purpose}:legacy-no-objection`)
          const viaHygiene = purpose === 'opens' && d.listHygiene === true
          expect(viaLegacy || viaHygiene).toBe(true)
          if (viaLegacy) expect(consent.collectedAt! < new Date('2026-04-14T00:00:00+02:00')).toBe(true)
        }
        if (category !== 'marketing') expect(d.opens || d.clicks).toBe(false)
        if (!policy.trackingEnabled) expect(d.opens || d.clicks).toBe(false)
      }),
      { numRuns: 5000 },
    )
  })
})
