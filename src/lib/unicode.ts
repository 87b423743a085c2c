// Well-formed UTF-16: a lone surrogate cannot be encoded as UTF-8 (encodeURIComponent throws,
// TextEncoder and database drivers write U+FFFD in its place).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g')

/** True for a string with no lone surrogate. */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value)
}

/** `value` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder writes it. */
export function toWellFormed(value: string): string {
  return value.replace(LONE_SURROGATES, '\uFFFD')
}
