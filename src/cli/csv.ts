import { createReadStream } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'

/** One CSV record and the physical line it starts on (1-based). */
export interface CsvRecord {
  line: number
  fields: string[]
}

/** Thrown for CSV that cannot be read as records (an unterminated quote). */
export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError'
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

/**
 * Streams RFC 4180 records from a file: quoted fields may hold commas, quotes
 * (`""`) and line breaks; CRLF and LF both end records; a UTF-8 BOM is
 * skipped; blank lines are ignored.
 */
export async function* readCsv(path: string): AsyncGenerator<CsvRecord> {
  const decoder = new StringDecoder('utf8')
  let line = 1
  let recordLine = 1
  let field = ''
  let fields: string[] = []
  // 'quoted': inside quotes; 'quote': saw a quote inside quotes (an escape or the closing one).
  let state: 'plain' | 'quoted' | 'quote' = 'plain'
  let wasQuoted = false
  let first = true
  let pendingCr = false

  const endRecord = (): CsvRecord | undefined => {
    fields.push(field)
    const record = fields.length === 1 && fields[0] === '' && !wasQuoted ? undefined : { line: recordLine, fields }
    fields = []
    field = ''
    wasQuoted = false
    return record
  }

  for await (const chunk of createReadStream(path)) {
    let text = decoder.write(chunk as Buffer)
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
      first = false
    }
    const out: CsvRecord[] = []
    for (const c of text) {
      if (pendingCr) {
        pendingCr = false
        if (c === '\n') {
          if (state === 'quoted') field += c
          continue
        }
      }
      if (state === 'quote') {
        if (c === '"') {
          field += '"'
          state = 'quoted'
          continue
        }
        state = 'plain'
      }
      if (state === 'quoted') {
        if (c === '"') state = 'quote'
        else {
          if (c === '\r') {
            line++
            pendingCr = true
          } else if (c === '\n') line++
          field += c
        }
        continue
      }
      if (c === '"' && field === '') {
        state = 'quoted'
        wasQuoted = true
      } else if (c === ',') {
        fields.push(field)
        field = ''
      } else if (c === '\n' || c === '\r') {
        const record = endRecord()
        if (record) out.push(record)
        line++
        recordLine = line
        if (c === '\r') pendingCr = true
      } else {
        field += c
      }
    }
    for (const record of out) yield record
  }
  field += decoder.end()
  if (state === 'quoted') throw new CsvSyntaxError('unterminated quoted field', recordLine)
  const record = endRecord()
  if (record) yield record
}

/** Quotes a CSV cell when needed and neutralises spreadsheet formulas (a leading `'`). */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) || safe !== safe.trim() ? `"${safe.replaceAll('"', '""')}"` : safe
}
