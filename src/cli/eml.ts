import { TextDecoder } from 'node:util'
// Rewrites the HTML, text and AMP parts of a raw RFC 5322 message in place:
// only the bodies (and, when needed, their charset/encoding headers) of the
// edited parts change; every other byte of the message is kept.

/** The bodies handed to the transformer, decoded to text. */
export interface MessageBodies {
  html?: string
  text?: string
  amp?: string
  /** Top-level header fields, unfolded (last occurrence wins). */
  headers: Record<string, string>
}

/** What the transformer gives back. An `amp` that was present and comes back absent removes the AMP part. */
export interface RewrittenBodies {
  html?: string
  text?: string
  amp?: string
  /**
   * The message's header fields after the rewrite: fields whose value differs
   * from {@link MessageBodies.headers} are replaced, new ones added, and the
   * ones that disappeared removed. Unchanged fields are left where they are.
   */
  headers: Record<string, string>
}

/** Thrown for a message this module cannot take apart. */
export class MessageFormatError extends Error {
  override name = 'MessageFormatError'
}

interface HeaderField {
  name: string
  /** Unfolded value, raw (not RFC 2047-decoded). */
  value: string
  /** Range of the whole field, continuation lines and final EOL included. */
  start: number
  end: number
}

interface Part {
  start: number
  end: number
  headers: HeaderField[]
  /** Where the header block ends (the blank line's start) and the body begins. */
  headerEnd: number
  bodyStart: number
  mediaType: string
  params: Map<string, string>
  encoding: string
  attachment: boolean
  /** Start of the delimiter line that opens this part, for removal. */
  delimiterStart?: number
  /** End of the EOL that closes this part (the next delimiter line starts here). */
  removeEnd?: number
  children: Part[]
}

type Role = 'html' | 'text' | 'amp'
const ROLE_OF: Record<string, Role> = { 'text/html': 'html', 'text/plain': 'text', 'text/x-amp-html': 'amp' }
const MAX_LINE = 998

/**
 * Decodes the HTML, text and AMP parts of `raw`, passes them to `rewrite`,
 * and splices the results back. Parts and bytes that do not change are kept as they were.
 */
export async function rewriteMessage(raw: Uint8Array, rewrite: (bodies: MessageBodies) => Promise<RewrittenBodies>): Promise<Uint8Array> {
  // latin1 maps each byte to one char, so offsets are byte offsets and 8-bit bodies survive.
  const source = Buffer.from(raw).toString('latin1')
  const eol = source.includes('\r\n') ? '\r\n' : '\n'
  const root = parsePart(source, 0, source.length, eol, 0)
  if (root.headers.length === 0) throw new MessageFormatError('Not an email message: no header fields')
  const found: Partial<Record<Role, Part>> = {}
  collectBodies(root, found)
  if (!found.html && !found.text) throw new MessageFormatError('The message has no text/html or text/plain part')

  const bodies: MessageBodies = { headers: {} }
  for (const field of root.headers) bodies.headers[field.name] = field.value.trim()
  for (const role of ['html', 'text', 'amp'] as const) {
    const part = found[role]
    if (part) bodies[role] = decodeBody(source, part)
  }
  const result = await rewrite(bodies)

  const edits: { start: number; end: number; text: string }[] = []
  for (const role of ['html', 'text', 'amp'] as const) {
    const part = found[role]
    if (!part) continue
    const next = result[role]
    if (next === undefined) {
      if (role === 'amp' && part !== root && part.delimiterStart !== undefined && part.removeEnd !== undefined)
        edits.push({ start: part.delimiterStart, end: part.removeEnd, text: '' })
      continue
    }
    if (next === bodies[role]) continue
    edits.push(...encodePart(source, part, next, eol))
  }
  edits.push(...headerEdits(source, root, bodies.headers, result.headers, eol))

  let out = source
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end)
  return new Uint8Array(Buffer.from(out, 'latin1'))
}

function collectBodies(part: Part, found: Partial<Record<Role, Part>>): void {
  if (part.mediaType.startsWith('multipart/')) {
    for (const child of part.children) collectBodies(child, found)
    return
  }
  const role = ROLE_OF[part.mediaType]
  if (role && !part.attachment && !found[role]) found[role] = part
}

function parsePart(source: string, start: number, end: number, eol: string, depth: number): Part {
  if (depth > 20) throw new MessageFormatError('MIME parts are nested too deeply')
  const blank = eol + eol
  let headerEnd: number
  let bodyStart: number
  if (source.startsWith(eol, start)) {
    headerEnd = start
    bodyStart = start + eol.length
  } else {
    const at = source.indexOf(blank, start)
    if (at === -1 || at >= end) {
      headerEnd = end
      bodyStart = end
    } else {
      headerEnd = at + eol.length
      bodyStart = at + blank.length
    }
  }
  const headers = parseHeaders(source, start, headerEnd, eol)
  const contentType = lastHeader(headers, 'content-type')
  const { mediaType, params } = parseContentType(contentType ?? 'text/plain')
  const part: Part = {
    start,
    end,
    headers,
    headerEnd,
    bodyStart,
    mediaType,
    params,
    encoding: (lastHeader(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase(),
    attachment: /^\s*attachment/i.test(lastHeader(headers, 'content-disposition') ?? ''),
    children: [],
  }
  const boundary = params.get('boundary')
  if (mediaType.startsWith('multipart/') && boundary) part.children = splitMultipart(source, bodyStart, end, boundary, eol, depth)
  return part
}

function parseHeaders(source: string, start: number, end: number, eol: string): HeaderField[] {
  const fields: HeaderField[] = []
  let pos = start
  while (pos < end) {
    let lineEnd = source.indexOf(eol, pos)
    if (lineEnd === -1 || lineEnd > end) lineEnd = end
    const line = source.slice(pos, lineEnd)
    const next = Math.min(lineEnd + eol.length, end)
    const last = fields.at(-1)
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.value += line
      last.end = next
    } else {
      const colon = line.indexOf(':')
      if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1), start: pos, end: next })
    }
    pos = next
  }
  return fields
}

function lastHeader(fields: HeaderField[], name: string): string | undefined {
  for (let i = fields.length - 1; i >= 0; i--) if (fields[i]!.name.toLowerCase() === name) return fields[i]!.value
  return undefined
}

function parseContentType(value: string): { mediaType: string; params: Map<string, string> } {
  const params = new Map<string, string>()
  const pieces = splitParams(value)
  const mediaType = (pieces.shift() ?? '').trim().toLowerCase()
  for (const piece of pieces) {
    const eq = piece.indexOf('=')
    if (eq < 1) continue
    const key = piece.slice(0, eq).trim().toLowerCase()
    let val = piece.slice(eq + 1).trim()
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1).replace(/\\(.)/g, '$1')
    params.set(key, val)
  }
  return { mediaType: mediaType || 'text/plain', params }
}

function splitParams(value: string): string[] {
  const out: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    if (c === '\\' && quoted) {
      current += c + (value[i + 1] ?? '')
      i++
    } else if (c === '"') {
      quoted = !quoted
      current += c
    } else if (c === ';' && !quoted) {
      out.push(current)
      current = ''
    } else current += c
  }
  out.push(current)
  return out
}

function splitMultipart(source: string, start: number, end: number, boundary: string, eol: string, depth: number): Part[] {
  const delimiter = `--${boundary}`
  // Offsets of delimiter lines: a line that starts with the delimiter (RFC 2046 5.1.1).
  const lines: { at: number; close: boolean; after: number }[] = []
  let pos = start
  while (pos < end) {
    let lineEnd = source.indexOf(eol, pos)
    if (lineEnd === -1 || lineEnd > end) lineEnd = end
    if (source.startsWith(delimiter, pos)) {
      const rest = source.slice(pos + delimiter.length, lineEnd)
      const close = rest.startsWith('--')
      if (/^(--)?[ \t]*$/.test(rest)) lines.push({ at: pos, close, after: Math.min(lineEnd + eol.length, end) })
    }
    pos = lineEnd + eol.length
  }
  const parts: Part[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!
    if (open.close) break
    const next = lines[i + 1]
    // The EOL before a delimiter belongs to the delimiter; a truncated message's last part runs to the end.
    const partEnd = next ? Math.max(open.after, next.at - eol.length) : end
    const part = parsePart(source, open.after, partEnd, eol, depth + 1)
    part.delimiterStart = open.at
    part.removeEnd = next ? next.at : end
    parts.push(part)
  }
  return parts
}

function charsetOf(part: Part): string {
  const charset = (part.params.get('charset') ?? 'us-ascii').toLowerCase()
  return charset === 'utf8' ? 'utf-8' : charset
}

function decodeBody(source: string, part: Part): string {
  const bytes = decodeTransfer(source.slice(part.bodyStart, part.end), part.encoding)
  const charset = charsetOf(part)
  let decoder: TextDecoder
  try {
    decoder = new TextDecoder(charset === 'us-ascii' ? 'utf-8' : charset)
  } catch {
    throw new MessageFormatError(`Unsupported charset ${JSON.stringify(charset)} in a ${part.mediaType} part`)
  }
  return decoder.decode(bytes)
}

function decodeTransfer(body: string, encoding: string): Uint8Array {
  if (encoding === 'base64') return new Uint8Array(Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'))
  if (encoding === 'quoted-printable') {
    const text = body.replace(/[ \t]+(?=\r?\n)/g, '').replace(/=\r?\n/g, '')
    const out: number[] = []
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 61 && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
        out.push(parseInt(text.slice(i + 1, i + 3), 16))
        i += 2
      } else out.push(c & 0xff)
    }
    return new Uint8Array(out)
  }
  return new Uint8Array(Buffer.from(body, 'latin1'))
}

/** Body and header edits that store `text` in `part`, in UTF-8, keeping its transfer encoding when it can carry the result. */
function encodePart(source: string, part: Part, text: string, eol: string): { start: number; end: number; text: string }[] {
  const normalized = text.replace(/\r?\n/g, eol)
  const bytes = Buffer.from(normalized, 'utf8')
  const ascii = !/[^\x00-\x7f]/.test(normalized)
  const longLines = normalized.split(eol).some((line) => Buffer.byteLength(line, 'utf8') > MAX_LINE)
  let encoding = part.encoding
  if (encoding !== 'base64' && encoding !== 'quoted-printable') {
    const fits = !longLines && (ascii || encoding === '8bit' || encoding === 'binary')
    if (!fits) encoding = 'quoted-printable'
  }
  let body: string
  if (encoding === 'base64') body = (bytes.toString('base64').match(/.{1,76}/g) ?? []).join(eol)
  else if (encoding === 'quoted-printable') body = encodeQuotedPrintable(bytes, eol)
  else body = bytes.toString('latin1')

  const edits = [{ start: part.bodyStart, end: part.end, text: body }]
  const charset = charsetOf(part)
  const needsCharset = charset !== 'utf-8' && !(charset === 'us-ascii' && ascii)
  const contentType = part.headers.filter((f) => f.name.toLowerCase() === 'content-type').at(-1)
  if (needsCharset) {
    if (contentType) {
      const raw = source.slice(contentType.start, contentType.end)
      const replaced = /charset\s*=\s*("[^"]*"|[^;\s]*)/i.test(raw)
        ? raw.replace(/charset\s*=\s*("[^"]*"|[^;\s]*)/i, 'charset=utf-8')
        : raw.slice(0, raw.length - eol.length) + '; charset=utf-8' + eol
      edits.push({ start: contentType.start, end: contentType.end, text: replaced })
    } else {
      edits.push({ start: part.headerEnd, end: part.headerEnd, text: `Content-Type: ${part.mediaType}; charset=utf-8${eol}` })
    }
  }
  if (encoding !== part.encoding) {
    const field = part.headers.filter((f) => f.name.toLowerCase() === 'content-transfer-encoding').at(-1)
    const line = `Content-Transfer-Encoding: ${encoding}${eol}`
    if (field) edits.push({ start: field.start, end: field.end, text: line })
    else edits.push({ start: part.headerEnd, end: part.headerEnd, text: line })
  }
  return edits
}

/** RFC 2045 6.7 quoted-printable, with the message's line breaks as hard breaks. */
export function encodeQuotedPrintable(bytes: Uint8Array, eol: string): string {
  const text = Buffer.from(bytes).toString('latin1')
  const lines = text.split(eol)
  return lines
    .map((line) => {
      let out = ''
      let width = 0
      for (let i = 0; i < line.length; i++) {
        const code = line.charCodeAt(i)
        const last = i === line.length - 1
        const plain = (code >= 33 && code <= 126 && code !== 61) || ((code === 32 || code === 9) && !last)
        const piece = plain ? line[i]! : `=${code.toString(16).toUpperCase().padStart(2, '0')}`
        if (width + piece.length > 75) {
          out += `=${eol}`
          width = 0
        }
        out += piece
        width += piece.length
      }
      return out
    })
    .join(eol)
}

function headerEdits(
  source: string,
  root: Part,
  before: Record<string, string>,
  after: Record<string, string>,
  eol: string,
): { start: number; end: number; text: string }[] {
  const edits: { start: number; end: number; text: string }[] = []
  const lower = (record: Record<string, string>) => new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]))
  const old = lower(before)
  const next = lower(after)
  const drop = (name: string) => {
    for (const field of root.headers) if (field.name.toLowerCase() === name) edits.push({ start: field.start, end: field.end, text: '' })
  }
  for (const name of old.keys()) if (!next.has(name)) drop(name)
  let added = ''
  for (const [name, value] of Object.entries(after)) {
    if (old.get(name.toLowerCase()) === value) continue
    if (!/^[!-9;-~]+$/.test(name) || /[\r\n]/.test(value)) throw new MessageFormatError(`Refusing to write header ${JSON.stringify(name)}`)
    drop(name.toLowerCase())
    added += foldHeader(`${name}: ${value}`, eol) + eol
  }
  if (added) {
    // New fields go at the end of the header block, right before the blank line.
    const at = root.headerEnd
    const needsEol = at > 0 && !source.slice(0, at).endsWith(eol)
    edits.push({ start: at, end: at, text: (needsEol ? eol : '') + added })
  }
  return edits
}

/** Folds a long field after commas, where RFC 5322 allows it (e.g. List-Unsubscribe). */
function foldHeader(line: string, eol: string): string {
  if (line.length <= 78) return line
  return line.replace(/, (?=<)/g, `,${eol} `)
}
