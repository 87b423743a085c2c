import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { Purpose } from '../../src/policy/types.js'
import { canonicalEvent, consentEventHash, GENESIS_HASH } from '../../src/store/chain.js'
import { foldEvent, toConsentRecord, type ContactState } from '../../src/store/fold.js'
import { CONSENT_EVENT_TYPES, CONSENT_SOURCES, createMemoryStore, StoreError, type ConsentEvent, type ConsentEventInput } from '../../src/store/index.js'
import { expectedRecord } from '../../src/store/testing.js'
import { looksLikeEmail, normalizeEvent } from '../../src/store/validate.js'

const NOW = Date.UTC(2026, 10, 1)
const options = { now: NOW, maxFutureSkewMs: 300_000 }

const evidenceKey = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/).filter((k) => k !== '__proto__')
const validInput: fc.Arbitrary<ConsentEventInput> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s)),
    contactId: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    type: fc.constantFrom(...CONSENT_EVENT_TYPES),
    purposes: fc.uniqueArray(fc.constantFrom<Purpose>('opens', 'clicks'), { minLength: 1 }),
    at: fc.date({ min: new Date(Date.UTC(2000, 0, 1)), max: new Date(NOW), noInvalidDate: true }),
    source: fc.constantFrom(...CONSENT_SOURCES),
    noticeVersion: fc.stringMatching(/^[a-z0-9.-]{1,12}$/),
    evidence: fc.dictionary(evidenceKey, fc.string({ unit: 'grapheme', maxLength: 60 }), { maxKeys: 16 }),
  },
  { requiredKeys: ['contactId', 'type', 'at', 'source'] },
)

describe('validation', () => {
  test('every valid input is accepted and normalized without losing content', () => {
    fc.assert(
      fc.property(validInput, (input) => {
        const out = normalizeEvent(input, options)
        expect(out.contactId).toBe(input.contactId)
        expect(out.at.getTime()).toBe(input.at.getTime())
        expect(out.purposes).toEqual((['opens', 'clicks'] as const).filter((p) => (input.purposes ?? ['opens', 'clicks']).includes(p)))
        expect(out.evidence).toEqual(input.evidence ?? {})
      }),
    )
  })

  test('arbitrary input never throws anything but a StoreError', () => {
    fc.assert(
      fc.property(fc.anything({ withDate: true, withNullPrototype: true }), validInput, fc.boolean(), (junk, input, merge) => {
        const candidate = merge && typeof junk === 'object' && junk !== null ? { ...input, ...(junk as object) } : junk
        try {
          normalizeEvent(candidate as ConsentEventInput, options)
        } catch (err) {
          expect(err).toBeInstanceOf(StoreError)
        }
      }),
    )
  })

  test('a contactId holding an email address is always refused, wherever the address sits', () => {
    fc.assert(
      fc.property(fc.emailAddress(), fc.stringMatching(/^[a-z0-9:_-]{0,10}$/), fc.stringMatching(/^[a-z0-9:_-]{0,10}$/), fc.boolean(), (email, before, after, encode) => {
        const contactId = before + (encode ? email.replace('@', '%40') : email) + after
        expect(looksLikeEmail(contactId)).toBe(true)
        let code: string | undefined
        try {
          normalizeEvent({ contactId, type: 'grant', at: new Date(NOW), source: 'api' }, options)
        } catch (err) {
          code = (err as StoreError).code
        }
        expect(code === 'email-like-contact-id' || code === 'invalid-contact-id').toBe(true)
      }),
    )
    for (const id of ['c_42', 'crm:123e4567-e89b-12d3-a456-426614174000', 'team@7', 'a@b']) expect(looksLikeEmail(id)).toBe(false)
  })

  test('evidence values are measured in UTF-8 bytes', () => {
    const at = new Date(NOW)
    expect(normalizeEvent({ contactId: 'c', type: 'grant', at, source: 'api', evidence: { ua: '€'.repeat(341) } }, options).evidence.ua).toHaveLength(341)
    expect(() => normalizeEvent({ contactId: 'c', type: 'grant', at, source: 'api', evidence: { ua: '€'.repeat(342) } }, options)).toThrow(
      expect.objectContaining({ code: 'evidence-too-large' }),
    )
    expect(() => normalizeEvent({ contactId: 'c', type: 'grant', at, source: 'api', evidence: { ua: 'a\uD800b' } }, options)).toThrow(
      expect.objectContaining({ code: 'invalid-evidence' }),
    )
    expect(() => normalizeEvent({ contactId: 'c', type: 'grant', at, source: 'api', evidence: JSON.parse('{"__proto__":"x"}') }, options)).toThrow(
      expect.objectContaining({ code: 'invalid-evidence' }),
    )
  })
})

describe('hash chain', () => {
  const event: ConsentEvent = {
    id: 'e-1',
    contactId: 'c-1',
    type: 'grant',
    purposes: ['opens', 'clicks'],
    at: new Date('2026-05-01T10:00:00.000Z'),
    source: 'form',
    noticeVersion: 'v2',
    evidence: { ip: '192.0.2.1', formId: 'signup' },
    seq: 1,
    recordedAt: new Date('2026-05-01T10:00:01.500Z'),
    prevHash: GENESIS_HASH,
    hash: '',
  }

  test('the canonical serialization is the documented JSON array, and the hash is SHA-256 of prevHash, a newline and it', () => {
    const canonical = canonicalEvent(event)
    expect(canonical).toBe(
      '["consent-event/1",1,"e-1","c-1","grant",["opens","clicks"],"2026-05-01T10:00:00.000Z","form","v2",[["formId","signup"],["ip","192.0.2.1"]],"2026-05-01T10:00:01.500Z"]',
    )
    expect(consentEventHash(event)).toBe(createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`).digest('hex'))
  })

  test('changing any field changes the hash', () => {
    const variants: Partial<ConsentEvent>[] = [
      { id: 'e-2' },
      { contactId: 'c-2' },
      { type: 'deny' },
      { purposes: ['opens'] },
      { at: new Date('2026-05-01T10:00:00.001Z') },
      { source: 'api' },
      { noticeVersion: undefined },
      { evidence: { ip: '192.0.2.1' } },
      { seq: 2 },
      { recordedAt: new Date('2026-05-01T10:00:01.501Z') },
      { prevHash: '1'.repeat(64) },
    ]
    const hashes = new Set([consentEventHash(event), ...variants.map((v) => consentEventHash({ ...event, ...v }))])
    expect(hashes.size).toBe(variants.length + 1)
  })

  test('stored events hash to their hash for arbitrary content', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(validInput, { minLength: 1, maxLength: 8 }), async (inputs) => {
        const store = createMemoryStore({ clock: () => new Date(NOW) })
        const unique = inputs.map((input, i) => ({ ...input, id: `${i}-${input.id ?? ''}` }))
        let prev = GENESIS_HASH
        for (const stored of await store.recordMany!(unique)) {
          expect(stored.prevHash).toBe(prev)
          expect(consentEventHash(stored)).toBe(stored.hash)
          prev = stored.hash
        }
        expect((await store.verify()).ok).toBe(true)
      }),
      { numRuns: 50 },
    )
  })
})

describe('fold and the ordering rule', () => {
  const eventArb = fc.record({
    type: fc.constantFrom(...CONSENT_EVENT_TYPES),
    purposes: fc.constantFrom<Purpose[]>(['opens'], ['clicks'], ['opens', 'clicks']),
    minute: fc.integer({ min: 0, max: 15 }),
  })
  const toEvents = (specs: { type: ConsentEvent['type']; purposes: Purpose[]; minute: number }[]): ConsentEvent[] =>
    specs.map((s, i) => ({
      id: `e-${i}`,
      contactId: 'c',
      type: s.type,
      purposes: s.purposes,
      at: new Date(NOW - 1000 * 60 * 60 + s.minute * 60_000),
      source: 'api',
      evidence: {},
      seq: i + 1,
      recordedAt: new Date(NOW),
      prevHash: '',
      hash: '',
    }))
  const fold = (events: ConsentEvent[]) => {
    let state: ContactState | undefined
    for (const e of events) state = foldEvent(state, e)
    return state ? toConsentRecord(state) : null
  }

  test('folding event by event equals the whole-history rule: greatest (at, seq) wins', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (specs) => {
        const events = toEvents(specs)
        expect(fold(events)).toEqual(expectedRecord('c', events))
      }),
    )
  })

  test('with distinct times, the record does not depend on the order events arrive in', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(eventArb, { selector: (e) => e.minute, maxLength: 16 }).chain((specs) => fc.tuple(fc.constant(specs), fc.shuffledSubarray(specs, { minLength: specs.length, maxLength: specs.length }))),
        ([inOrder, shuffled]) => {
          expect(fold(toEvents(shuffled))).toEqual(fold(toEvents(inOrder)))
        },
      ),
    )
  })
})
