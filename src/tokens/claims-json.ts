// A reader for the JSON this library's signer writes: `JSON.stringify` of a flat
// object whose values are strings, whole numbers and arrays of strings. It gives
// exactly what `JSON.parse` gives for such text, and `undefined` for anything else
// (whitespace, escapes, other value types, keys other than the registered and
// library claims it writes), which the caller then hands to `JSON.parse`.
//
// Why not JSON.parse alone: it interns every key and short string value in V8's
// string table. Under a pixel load that table is cold, and the lookups cost more
// than the parse (perf: about 1 us of a 2 us parse). This reader slices the
// values out of the text and stores them under literal property names.

const QUOTE = 34
const BACKSLASH = 92
const COMMA = 44
const COLON = 58
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const ZERO = 48
const NINE = 57
const LOWER_A = 97
const LOWER_Z = 122
// Whole numbers of up to 15 digits are exact doubles, as JSON.parse reads them.
const MAX_DIGITS = 15

/**
 * Stores `value` under the key of `length` letters at `k`, when it is a
 * claim this library writes (or jose checks): through a literal property
 * name, so V8 neither looks the key up in its string table nor goes
 * megamorphic. False for any other key.
 */
function storeClaim(claims: Claims, text: string, k: number, length: number, value: unknown): boolean {
  const a = text.charCodeAt(k)
  const b = text.charCodeAt(k + 1)
  if (length === 2) {
    if (a === 110 && b === 118) claims.nv = value // nv
    else if (a === 117 && b === 104) claims.uh = value // uh
    else return false
    return true
  }
  if (length !== 3) return false
  const c = text.charCodeAt(k + 2)
  if (a === 105 && b === 115 && c === 115) claims.iss = value // iss
  else if (a === 115 && b === 117 && c === 98) claims.sub = value // sub
  else if (a === 97 && b === 117 && c === 100) claims.aud = value // aud
  else if (a === 105 && b === 97 && c === 116) claims.iat = value // iat
  else if (a === 106 && b === 116 && c === 105) claims.jti = value // jti
  else if (a === 101 && b === 120 && c === 112) claims.exp = value // exp
  else if (a === 110 && b === 98 && c === 102) claims.nbf = value // nbf
  else if (a === 109 && b === 105 && c === 100) claims.mid = value // mid
  else if (a === 108 && b === 107 && c === 115) claims.lks = value // lks
  else return false
  return true
}

/** The claims the reader knows by name. */
interface Claims {
  iss?: unknown
  sub?: unknown
  aud?: unknown
  iat?: unknown
  jti?: unknown
  exp?: unknown
  nbf?: unknown
  mid?: unknown
  lks?: unknown
  nv?: unknown
  uh?: unknown
}

/**
 * `JSON.parse(text)` for the compact JSON of a flat object of strings, whole
 * numbers and string arrays under the claim names this library writes (iss,
 * sub, aud, iat, jti, exp, nbf, mid, lks, nv, uh), as its signer writes it;
 * `undefined` for any other text (parse that with `JSON.parse`).
 */
export function readClaimsJson(text: string): Record<string, unknown> | undefined {
  const n = text.length
  if (n < 2 || text.charCodeAt(0) !== OPEN_BRACE) return undefined
  const claims: Claims = {}
  if (text.charCodeAt(1) === CLOSE_BRACE) return n === 2 ? (claims as Record<string, unknown>) : undefined
  let i = 1
  for (;;) {
    // A key: lowercase ASCII letters between quotes (so never `__proto__`), then a colon.
    if (text.charCodeAt(i) !== QUOTE) return undefined
    const key = i + 1
    i = key
    for (let c = text.charCodeAt(i); c >= LOWER_A && c <= LOWER_Z; c = text.charCodeAt(++i));
    const keyLength = i - key
    if (text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COLON) return undefined
    i += 2
    let value: unknown
    let c = text.charCodeAt(i)
    if (c === QUOTE || c === OPEN_BRACKET) {
      const list = c === OPEN_BRACKET
      const strings: string[] | undefined = list ? [] : undefined
      if (list) i++
      if (list && text.charCodeAt(i) === CLOSE_BRACKET) i++
      else {
        for (;;) {
          // A string without escapes or control characters.
          if (text.charCodeAt(i) !== QUOTE) return undefined
          const from = i + 1
          for (i = from; i < n; i++) {
            c = text.charCodeAt(i)
            if (c === QUOTE || c === BACKSLASH || c < 32) break
          }
          if (c !== QUOTE || i >= n) return undefined
          const string = text.slice(from, i++)
          if (!strings) {
            value = string
            break
          }
          strings.push(string)
          c = text.charCodeAt(i++)
          if (c === CLOSE_BRACKET) break
          if (c !== COMMA) return undefined
        }
      }
      if (strings) value = strings
    } else {
      // A whole number: no sign, no leading zero, at most 15 digits.
      let number = 0
      const from = i
      for (; c >= ZERO && c <= NINE; c = text.charCodeAt(++i)) number = number * 10 + (c - ZERO)
      const digits = i - from
      if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && text.charCodeAt(from) === ZERO)) return undefined
      value = number
    }
    if (!storeClaim(claims, text, key, keyLength, value)) return undefined
    c = text.charCodeAt(i++)
    if (c === CLOSE_BRACE) return i === n ? (claims as Record<string, unknown>) : undefined
    if (c !== COMMA) return undefined
  }
}
