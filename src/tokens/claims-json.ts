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

/** Where the reader is: a position in the text, or -1 once the text is not of the accepted form. */
let at = 0

/** The end of the string starting at `start` (its opening quote), just past its closing quote; -1 for an escape or a control character. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) return i + 1
    if (c === BACKSLASH || c < 32) return -1
  }
  return -1
}

/** A string value at `at`, or `undefined` (with `at` = -1). */
function readString(text: string): string | undefined {
  if (text.charCodeAt(at) !== QUOTE) return fail()
  const end = stringEnd(text, at)
  if (end < 0) return fail()
  const value = text.slice(at + 1, end - 1)
  at = end
  return value
}

/** A whole number at `at` (no sign, no leading zero, at most 15 digits), or `undefined`. */
function readNumber(text: string): number | undefined {
  let value = 0
  let digits = 0
  for (; at < text.length; at++, digits++) {
    const c = text.charCodeAt(at)
    if (c < ZERO || c > NINE) break
    if (digits === MAX_DIGITS || (digits === 1 && value === 0)) return fail()
    value = value * 10 + (c - ZERO)
  }
  return digits === 0 ? fail() : value
}

/** An array of strings at `at`, or `undefined`. */
function readStrings(text: string): string[] | undefined {
  at++ // [
  const values: string[] = []
  if (text.charCodeAt(at) === CLOSE_BRACKET) {
    at++
    return values
  }
  for (;;) {
    const value = readString(text)
    if (value === undefined) return undefined
    values.push(value)
    const c = text.charCodeAt(at++)
    if (c === CLOSE_BRACKET) return values
    if (c !== COMMA) return fail()
  }
}

function fail(): undefined {
  at = -1
  return undefined
}

/** The length of the key at `at` (lowercase ASCII letters between quotes, followed by a colon), or -1. */
function keyLength(text: string): number {
  if (text.charCodeAt(at) !== QUOTE) return -1
  let i = at + 1
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < LOWER_A || c > LOWER_Z) break
  }
  if (text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COLON) return -1
  return i - at - 1
}

/**
 * Stores `value` under the key of `length` letters at `at` + 1, when it is a
 * claim this library writes (or jose checks): through a literal property
 * name, so V8 neither looks the key up in its string table nor goes
 * megamorphic. False for any other key.
 */
function storeClaim(claims: Claims, text: string, length: number, value: unknown): boolean {
  const k = at + 1
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
  if (text.charCodeAt(0) !== OPEN_BRACE) return undefined
  const claims: Claims = {}
  at = 1
  if (text.charCodeAt(at) === CLOSE_BRACE) return text.length === 2 ? (claims as Record<string, unknown>) : undefined
  for (;;) {
    const length = keyLength(text)
    if (length < 0) return undefined
    const key = at
    at += length + 3 // the quotes and the colon
    const c = text.charCodeAt(at)
    const value = c === QUOTE ? readString(text) : c === OPEN_BRACKET ? readStrings(text) : readNumber(text)
    if (value === undefined) return undefined
    const end = at
    at = key
    if (!storeClaim(claims, text, length, value)) return undefined
    at = end
    const next = text.charCodeAt(at++)
    if (next === CLOSE_BRACE) return at === text.length ? (claims as Record<string, unknown>) : undefined
    if (next !== COMMA) return undefined
  }
}
