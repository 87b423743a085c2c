// Nodemailer takes custom headers as an object ({ name: value | value[] |
// { prepared, value } }) or as an array of { key, value }; these helpers read
// and edit either shape in place, leaving every other header as it was.

type HeaderValue = unknown
type HeaderEntry = { key: string; value: HeaderValue }

function scalar(value: HeaderValue): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const inner = (value as { value?: unknown }).value
    if (typeof inner === 'string') return inner
  }
  return undefined
}

function entriesOf(headers: unknown): HeaderEntry[] {
  if (Array.isArray(headers)) return (headers as HeaderEntry[]).filter((e) => typeof e?.key === 'string')
  if (headers && typeof headers === 'object') return Object.entries(headers).map(([key, value]) => ({ key, value }))
  return []
}

/**
 * The single-valued custom headers as a plain map, for `transform()` to see.
 * A name given more than once (in any case, or with an array of values) is a
 * multi-valued header Nodemailer writes as several lines: it is left out.
 */
export function readHeaders(headers: unknown): Record<string, string> {
  const entries = entriesOf(headers)
  const counts = new Map<string, number>()
  for (const { key } of entries) counts.set(key.toLowerCase(), (counts.get(key.toLowerCase()) ?? 0) + 1)
  const out: Record<string, string> = {}
  for (const { key, value } of entries) {
    const text = scalar(value)
    if (text !== undefined && counts.get(key.toLowerCase()) === 1) out[key] = text
  }
  return out
}

/** Whether a header of that name (any case) is present. */
export function hasHeader(headers: unknown, name: string): boolean {
  const lower = name.toLowerCase()
  if (Array.isArray(headers)) return (headers as HeaderEntry[]).some((e) => e?.key?.toLowerCase() === lower)
  if (headers && typeof headers === 'object') return Object.keys(headers).some((k) => k.toLowerCase() === lower)
  return false
}

// RFC 5322 §2.1.1: a header line never exceeds 998 characters.
const MAX_LINE = 998

/**
 * The value as Nodemailer should write it: printable ASCII goes out as is
 * (`prepared`), folded at spaces. Left to Nodemailer, a value with a `"`
 * becomes an RFC 2047 encoded word, which ESPs reading JSON headers such as
 * X-SMTPAPI or X-MSYS-API do not decode.
 */
function asWritten(name: string, value: string): HeaderValue {
  if (/^[\x20-\x7e]*$/.test(value) && name.length + 2 + value.length <= MAX_LINE) return { prepared: true, foldLines: true, value }
  return value
}

/**
 * A shallow copy of `data.headers`, put back on `data`: the caller's object is
 * often reused across sends and must never carry one recipient's links into
 * the next message.
 */
function ownHeaders(data: { headers?: unknown }): void {
  if (Array.isArray(data.headers)) data.headers = [...(data.headers as HeaderEntry[])]
  else if (data.headers && typeof data.headers === 'object') data.headers = { ...(data.headers as Record<string, HeaderValue>) }
  else data.headers = {}
}

/**
 * Sets each header of `changes` on a copy of `data.headers`, replacing any
 * header of the same name (any case) and keeping the container's shape; a
 * header whose value is already the same is left as it was.
 */
export function writeHeaders(data: { headers?: unknown }, changes: Record<string, string>): void {
  ownHeaders(data)
  if (Array.isArray(data.headers)) {
    const entries = data.headers as HeaderEntry[]
    for (const [name, value] of Object.entries(changes)) {
      const lower = name.toLowerCase()
      const same = entries.filter((e) => e?.key?.toLowerCase() === lower)
      if (same.length === 1 && scalar(same[0]!.value) === value) continue
      for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.key?.toLowerCase() === lower) entries.splice(i, 1)
      entries.push({ key: name, value: asWritten(name, value) })
    }
    return
  }
  const headers = data.headers as Record<string, HeaderValue>
  for (const [name, value] of Object.entries(changes)) {
    const lower = name.toLowerCase()
    const existing = Object.keys(headers).filter((k) => k.toLowerCase() === lower)
    if (existing.length === 1 && scalar(headers[existing[0]!]) === value) continue
    for (const key of existing) delete headers[key]
    headers[name] = asWritten(name, value)
  }
}

/** Removes every header of that name (any case). */
export function removeHeader(data: { headers?: unknown }, name: string): void {
  if (!hasHeader(data.headers, name)) return
  ownHeaders(data)
  const lower = name.toLowerCase()
  if (Array.isArray(data.headers)) {
    const entries = data.headers as HeaderEntry[]
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]?.key?.toLowerCase() === lower) entries.splice(i, 1)
  } else if (data.headers && typeof data.headers === 'object') {
    const headers = data.headers as Record<string, HeaderValue>
    for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key]
  }
}

/**
 * `over` laid on `base`: every header of `over` replaces those of the same
 * name (any case) in `base`. Keeps the object shape unless either side is an
 * array of `{ key, value }`. Neither input is modified.
 */
export function combineHeaders(base: unknown, over: unknown): unknown {
  if (over === undefined || over === null) return base
  if (base === undefined || base === null) return over
  const names = new Set(entriesOf(over).map((e) => e.key.toLowerCase()))
  const kept = entriesOf(base).filter((e) => !names.has(e.key.toLowerCase()))
  if (!Array.isArray(base) && !Array.isArray(over)) {
    return Object.fromEntries([...kept, ...entriesOf(over)].map((e) => [e.key, e.value]))
  }
  return [...kept, ...entriesOf(over)]
}
