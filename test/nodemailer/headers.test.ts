// Header edits on Nodemailer's two header shapes, checked on the message
// Nodemailer actually builds (MailComposer), read back off the raw message.
import fc from 'fast-check'
import MailComposer from 'nodemailer/lib/mail-composer'
import { describe, expect, test } from 'vitest'
import { combineHeaders, readHeaders, writeHeaders } from '../../src/nodemailer/headers.js'

const names = ['X-Campaign', 'x-campaign', 'X-SMTPAPI', 'X-Msys-Api', 'X-Entity-Ref-ID', 'X-PM-TrackOpens', 'x-pm-trackopens']
const name = fc.constantFrom(...names)
const value = fc.oneof(
  fc.stringMatching(/^[!-~]([ -~]{0,80}[!-~])?$/),
  fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 10 }))).map((o) => JSON.stringify(o)),
  fc.constantFrom('Zoë Ünïcode', 'café "au lait"', 'a'.repeat(1200)),
)
const headerObject = fc.dictionary(name, value, { maxKeys: 4 })
const headers = fc.oneof(
  headerObject,
  headerObject.map((o) => Object.entries(o).map(([key, v]) => ({ key, value: v }))),
)

// Header values exactly as they go on the wire, unfolded as RFC 5322 §2.2.3
// says (remove each CRLF that precedes white space, nothing else). A parser
// that also collapses the white space would report `"a":"  "` as `"a":" "`
// when Nodemailer folds a line at that spot, which is not what an ESP reads.
async function built(data: Record<string, unknown>): Promise<Map<string, string[]>> {
  const raw = (await new MailComposer({ from: 'a@example.org', to: 'b@example.org', text: 'x', ...data } as never).compile().build()).toString('latin1')
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n(?=[ \t])/g, '')
  const out = new Map<string, string[]>()
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':')
    const key = line.slice(0, colon).toLowerCase()
    out.set(key, [...(out.get(key) ?? []), line.slice(colon + 1).replace(/^[ \t]/, '')])
  }
  return out
}

const namesOf = (h: unknown) => (Array.isArray(h) ? h.map((e: { key: string }) => e.key) : Object.keys(h as object)).map((k) => k.toLowerCase())
const lower = (record: Record<string, string>) => new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]))

describe('writeHeaders', () => {
  test('sets each change once, keeps every other header, never touches the caller’s object', async () => {
    await fc.assert(
      fc.asyncProperty(headers, fc.dictionary(name, value, { minKeys: 1, maxKeys: 3 }), async (original, changes) => {
        const snapshot = structuredClone(original)
        const data: Record<string, unknown> = { headers: original }
        writeHeaders(data, changes)
        expect(original).toEqual(snapshot)
        const [result, untouched] = await Promise.all([built(data), built({ headers: original })])
        const changed = new Set(Object.keys(changes).map((k) => k.toLowerCase()))
        // Headers not in `changes` come out exactly as Nodemailer writes them without the plugin.
        for (const [k, v] of untouched) if (k.startsWith('x-') && !changed.has(k)) expect(result.get(k), k).toEqual(v)
        // Each change appears once; of several case variants of a name, the last wins. Printable ASCII goes
        // out verbatim, anything else as Nodemailer encodes that same value given as a plain header.
        for (const [k, v] of lower(changes)) {
          const verbatim = /^[ -~]*$/.test(v) && k.length + 2 + v.length <= 998
          expect(result.get(k), k).toEqual(verbatim ? [v] : (await built({ headers: { [k]: v } })).get(k))
        }
      }),
      {
        numRuns: 150,
        // Nodemailer folds this line inside `"  "`; a parser that collapses white space when unfolding
        // reported it as `" "` (CI seed -1144215793).
        examples: [[[], { 'X-Campaign': '{"a":"  ","_":"!\\"\\"\\"","a_aa_":1000000000,"____a__":"\\"\\"\\"\\""}' }]],
      },
    )
  })

  test('JSON values go out unencoded', async () => {
    const data: Record<string, unknown> = {}
    const json = JSON.stringify({ filters: { opentrack: { settings: { enable: 0 } } }, category: ['a b'] })
    writeHeaders(data, { 'X-SMTPAPI': json })
    const raw = (await new MailComposer({ from: 'a@example.org', text: 'x', ...data } as never).compile().build()).toString()
    expect(raw).not.toContain('=?')
    expect((await built(data)).get('x-smtpapi')).toEqual([json])
  })
})

describe('combineHeaders', () => {
  test('the second set wins by name (any case); neither input changes', () => {
    fc.assert(
      fc.property(headers, headers, (base, over) => {
        const [b, o] = [structuredClone(base), structuredClone(over)]
        const combined = combineHeaders(base, over)
        expect([base, over]).toEqual([b, o])
        const expected = lower(readHeaders(base))
        const overNames = new Set(namesOf(over))
        for (const k of [...expected.keys()]) if (overNames.has(k)) expected.delete(k)
        for (const [k, v] of lower(readHeaders(over))) expected.set(k, v)
        expect(lower(readHeaders(combined))).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})
