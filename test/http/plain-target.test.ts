// The Node bridge routes plain request targets without parsing a URL. For any
// target it calls plain, the path and the query parameters must be exactly
// what `new URL(target, base)` gives; anything else must not be called plain.
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { isPlainTarget, pathAndQuery, PLAIN_TARGET } from '../../src/http/lib/responses.js'

const viaPlain = (target: string) => pathAndQuery({ [PLAIN_TARGET]: target } as unknown as Request)

function viaUrl(target: string) {
  const url = new URL(target, 'http://mail.example.com')
  return { pathname: url.pathname, search: url.search }
}

const params = (search: string) => [...new URLSearchParams(search)]

// Targets built from the characters that matter: URL delimiters, dot segments, escapes, controls, non-ASCII.
const piece = fc.constantFrom('/', '//', '.', '..', '/./', '/../', '%2e', '%2F', '%', '?', '??', '#', '&', '=', '+', ' ', '\\', '\t', '\n', '"', "'", '<', '`', '{', '|', '~', 'é', '\u0000', 'a', 'Z', '0', '-', '_', '@', ':', ';', ',', '!', '$', '(', '*', 'u=https://x.example/a?b=c&d', 't', 'o', 'eyJ.abc_-')
const target = fc.array(piece, { maxLength: 14 }).map((parts) => `/${parts.join('')}`)

describe('plain request targets', () => {
  test('a plain target routes to the same path and query parameters as new URL()', () => {
    let plain = 0
    fc.assert(
      fc.property(target, (t) => {
        if (!isPlainTarget(t)) return
        plain++
        const [fast, parsed] = [viaPlain(t), viaUrl(t)]
        expect(fast.pathname).toBe(parsed.pathname)
        expect(params(fast.search)).toEqual(params(parsed.search))
        expect(fast.search === '').toBe(parsed.search === '')
      }),
      { numRuns: 20_000 },
    )
    expect(plain).toBeGreaterThan(1_000)
  })

  test('real link shapes are plain; host-naming, dot-segment, escaped and fragment targets are not', () => {
    for (const t of ['/t/o/eyJhbGciOi.eyJpc3Mi.sig_-.tag', '/t/c/abc.def.ghi.jkl?u=https%3A%2F%2Fshop.example.com%2Fa&h=Zx-_', '/t/w/abc', '/t/c/x?u=https://a.example/b?c=d&h=1', '/'])
      expect(isPlainTarget(t), t).toBe(true)
    for (const t of ['//evil.example/t/o/x', '/t/../o/x', '/t/./o', '/t/o/x/.', '/t/o/%2e%2e', '/t/o/x y', '/t/o/x#f', '/t/o/x?a#b', '/t\\o', 'http://a.example/t/o/x', '*', '', '/t/o/é'])
      expect(isPlainTarget(t), t).toBe(false)
  })
})
