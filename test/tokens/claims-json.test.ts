import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { readClaimsJson } from '../../src/tokens/claims-json.js'

// Ids as callers pass them: mostly plain, sometimes with quotes, backslashes, controls or any Unicode.
const id = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,40}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }) },
)

/** A payload as the signer builds it (create.ts): the same keys, in the same order. */
const signerPayload = fc.record(
  {
    iss: id,
    sub: id,
    aud: fc.uniqueArray(fc.constantFrom('o', 'c', 'w', 'p', 'k', 'u'), { minLength: 1 }),
    iat: fc.integer({ min: 0, max: 2 ** 40 }),
    jti: fc.stringMatching(/^[A-Za-z0-9_-]{16}$/),
    exp: fc.integer({ min: 0, max: 2 ** 40 }),
    mid: id,
    lks: id,
    nv: id,
    uh: fc.stringMatching(/^[A-Za-z0-9_-]{22}$/),
  },
  { requiredKeys: ['iss', 'sub', 'aud', 'iat', 'jti'] },
)

describe('readClaimsJson', () => {
  test('property: on what the signer writes it gives exactly JSON.parse, and it reads every payload of plain ids itself', () => {
    fc.assert(
      fc.property(signerPayload, (payload) => {
        const text = JSON.stringify(payload)
        const read = readClaimsJson(text)
        if (read !== undefined) {
          expect(read).toStrictEqual(JSON.parse(text))
          expect(Object.keys(read)).toEqual(Object.keys(JSON.parse(text)))
        }
        // Only escapes (quotes, backslashes, controls) send a payload to JSON.parse.
        const escaped = Object.values(payload).some((v) => typeof v === 'string' && JSON.stringify(v) !== `"${v}"`)
        expect(read === undefined).toBe(escaped)
      }),
      { numRuns: 5000 },
    )
  })

  test('property: on any JSON text it gives JSON.parse or leaves it to JSON.parse', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          // Objects under the claim names (and a few others) with any JSON values.
          fc
            .dictionary(fc.constantFrom('iss', 'sub', 'aud', 'iat', 'jti', 'exp', 'nbf', 'mid', 'lks', 'nv', 'uh', 'kid', 'n', '__proto__'), fc.jsonValue(), { maxKeys: 8 })
            .map((v) => JSON.stringify(v)),
        ),
        (text) => {
        const read = readClaimsJson(text)
        if (read !== undefined) expect(read).toStrictEqual(JSON.parse(text))
        },
      ),
      { numRuns: 5000 },
    )
  })

  test('property: text that is not JSON is never read', () => {
    const chars = fc.constantFrom(...'{}[]":,0123456789abz-_ \\'.split(''))
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 30 }).map((c) => c.join('')), (text) => {
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch {
          expect(readClaimsJson(text)).toBeUndefined()
          return
        }
        const read = readClaimsJson(text)
        if (read !== undefined) expect(read).toStrictEqual(parsed)
      }),
      { numRuns: 20_000 },
    )
  })

  test('reads the accepted forms, and leaves every other form to JSON.parse', () => {
    expect(readClaimsJson('{}')).toStrictEqual({})
    expect(readClaimsJson('{"iss":"x","iat":12,"aud":[],"sub":"é","mid":["p","q"],"iss":"y","nbf":3}')).toStrictEqual({ iss: 'y', iat: 12, aud: [], sub: 'é', mid: ['p', 'q'], nbf: 3 })
    expect(readClaimsJson('{"exp":0,"nv":"","uh":"u","jti":"j","lks":"l"}')).toStrictEqual({ exp: 0, nv: '', uh: 'u', jti: 'j', lks: 'l' })
    expect(readClaimsJson('{"exp":999999999999999}')).toStrictEqual({ exp: 999999999999999 })
    for (const other of [
      '', '{', '{}x', ' {}', '{ }', '{"sub": "a"}', '{"sub":"\\""}', '{"sub":"\n"}', '{"__proto__":"x"}', '{"SUB":"a"}', '{"sub1":1}', '{"":1}',
      '{"exp":01}', '{"exp":-1}', '{"exp":1.5}', '{"exp":1e3}', '{"exp":1000000000000000}', '{"exp":true}', '{"exp":null}', '{"exp":{}}',
      '{"aud":[1]}', '{"aud":["a",]}', '{"sub":"a",}', '{"sub":"a"', '{"sub":"a"}}', '[]', '"x"', '{"n":1}', '{"nn":1}', '{"subs":"a"}',
      '{"su":"a"}', '{"constructor":"x"}',
    ])
      expect(readClaimsJson(other), other).toBeUndefined()
  })
})
