import { extname } from 'node:path'
import { Option, type Command } from 'commander'
import { CATEGORIES, validateRecord } from '../../policy/validate.js'
import type { Category, ConsentRecord } from '../../policy/types.js'
import type { TransformResult } from '../../transform.js'
import type { RunContext } from '../context.js'
import { rewriteMessage, MessageFormatError } from '../eml.js'
import { CliError, EXIT } from '../exit-codes.js'
import { parseDateOption, readInput, writeOutput } from '../io.js'
import { loadKeys } from '../lazy.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

/** Default base URL of the endpoints: where `serve` listens by default. */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080'

interface TransformCommandOptions {
  contact: string
  category: Category
  store: string
  keys?: string
  baseUrl: string
  messageId?: string
  now?: string
  locale?: string
  format?: 'html' | 'eml'
  out?: string
  json?: boolean
  unsubscribe?: boolean
}

const DATE_FIELDS = ['collectedAt', 'informedAt', 'lastRequestAt'] as const

/** A consent record given as JSON on the command line: ISO strings become Dates. */
export function parseContactJson(text: string): ConsentRecord {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new CliError(`--contact is not valid JSON: ${(err as Error).message}`, EXIT.invalidInput)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliError('--contact JSON must be an object (a consent record)', EXIT.invalidInput)
  const record = json as Record<string, unknown>
  const toDate = (value: unknown, field: string): Date => {
    const date = typeof value === 'string' ? new Date(value) : undefined
    if (!date || Number.isNaN(date.getTime())) throw new CliError(`--contact: ${field} must be an ISO 8601 date string`, EXIT.invalidInput)
    return date
  }
  for (const field of DATE_FIELDS) if (record[field] !== undefined) record[field] = toDate(record[field], field)
  for (const purpose of ['opens', 'clicks']) {
    const state = record[purpose]
    if (state === undefined) record[purpose] = { status: 'unknown' }
    else if (typeof state === 'string') record[purpose] = { status: state }
    else if (typeof state === 'object' && state !== null && (state as { at?: unknown }).at !== undefined)
      record[purpose] = { ...state, at: toDate((state as { at: unknown }).at, `${purpose}.at`) }
  }
  if (typeof record.contactId !== 'string' || record.contactId === '') throw new CliError('--contact JSON needs a contactId', EXIT.invalidInput)
  // transform() would fail closed on a bad record; on the command line it is a typo to report.
  try {
    validateRecord(record as unknown as ConsentRecord)
  } catch (err) {
    throw new CliError(`--contact: ${(err as Error).message}`, EXIT.invalidInput, { cause: err })
  }
  return record as unknown as ConsentRecord
}

/** An RFC 5322 message rather than an HTML document: header fields, then a blank line. */
export function looksLikeMessage(content: Buffer, path: string): boolean {
  const ext = extname(path).toLowerCase()
  if (ext === '.eml') return true
  if (ext === '.html' || ext === '.htm') return false
  const head = content.subarray(0, 16384).toString('latin1')
  const end = head.search(/\r?\n\r?\n/)
  if (end <= 0) return false
  const block = head.slice(0, end)
  return /^[!-9;-~]+:/.test(block) && /^(from|to|subject|date|mime-version|content-type|received|return-path|message-id):/im.test(block)
}

/** The decision and what was done, for people (stderr). */
export function describeResult(result: TransformResult, contact: string, inputHeaders: Record<string, string> = {}): string {
  const d = result.decision
  const tracking = d.opens || d.clicks ? `tracked (${[d.opens && 'opens', d.clicks && 'clicks'].filter(Boolean).join(', ')})` : 'untracked'
  const lines = [
    `decision: ${d.send ? 'send' : 'do not send'}, ${tracking}; basis ${d.basis}; policy ${d.policy}; contact ${contact}`,
    `reasons:  ${d.reasons.join(', ') || '(none)'}`,
  ]
  for (const [name, url] of Object.entries(result.links)) if (url) lines.push(`link:     ${name} ${url}`)
  if (result.removed.length) {
    lines.push(`removed:  ${result.removed.length} tracker${result.removed.length > 1 ? 's' : ''}`)
    for (const r of result.removed.slice(0, 10)) lines.push(`          ${r.kind} ${r.url.length > 90 ? r.url.slice(0, 87) + '...' : r.url} (${r.reason})`)
    if (result.removed.length > 10) lines.push(`          ... and ${result.removed.length - 10} more`)
  }
  const before = new Map(Object.entries(inputHeaders).map(([k, v]) => [k.toLowerCase(), v]))
  for (const [name, value] of Object.entries(result.headers)) if (before.get(name.toLowerCase()) !== value) lines.push(`header:   ${name}: ${value.length > 100 ? value.slice(0, 97) + '...' : value}`)
  for (const w of result.warnings) lines.push(`warning:  ${w}`)
  return lines.join('\n') + '\n'
}

/** `transform <file>`: rewrites one email for one contact and category. */
export function transformCommand(program: Command, ctx: RunContext): void {
  program
    .command('transform')
    .argument('<file>', 'an HTML file (.html) or a raw message (.eml)')
    .summary('rewrite one email for a contact and category, and explain the decision')
    .description(
      'Decides and rewrites one email: tracked (pixel, signed click links, withdrawal link) or untracked\n' +
        '(every tracker removed). Prints the rewritten email (HTML, or the whole .eml message) on stdout\n' +
        'or to --out, and the decision with its reasons, links, removed trackers and headers on stderr.\n' +
        '--contact is a contact id looked up in --store, or a consent record as JSON, e.g.\n' +
        `'{"contactId":"c_1","opens":"granted","clicks":"granted","collectedAt":"2026-05-02"}'.\n` +
        'In a .eml, only the HTML, text and AMP bodies (and their encoding headers) change.',
    )
    .requiredOption('--contact <json|id>', 'contact id in the store, or a consent record as JSON')
    .addOption(new Option('--category <category>', 'message category').choices([...CATEGORIES]).makeOptionMandatory())
    .addOption(storeOption())
    .option('--keys <file>', 'key file (default: $ETC_KEYS or $ETC_KEYS_FILE)')
    .addOption(new Option('--base-url <url>', 'where the endpoints are mounted').env('ETC_BASE_URL').default(DEFAULT_BASE_URL))
    .option('--message-id <id>', 'message id bound into the tokens (default: random)')
    .option('--now <date>', 'decide as of this date (ISO 8601); default: now')
    .option('--locale <locale>', 'language of inserted lines (en, fr)')
    .option('--unsubscribe', 'add List-Unsubscribe headers pointing at the one-click endpoint')
    .addOption(new Option('--format <format>', 'force the input format instead of guessing from the name and content').choices(['html', 'eml']))
    .option('-o, --out <file>', 'write the rewritten email to a file instead of stdout')
    .option('--json', 'print the whole result (email parts, headers, decision, links, removed) as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ email-tracking-consent transform newsletter.html --contact c_42 --category marketing --keys keys.json -o out.html\n' +
        `  $ email-tracking-consent transform campaign.eml --contact '{"contactId":"c_1","opens":"withdrawn","clicks":"withdrawn"}' --category marketing --keys keys.json`,
    )
    .action(async (file: string, options: TransformCommandOptions) => {
      const { io } = ctx
      const { tokens } = await loadKeys(options.keys, io)
      const { transform } = await import('../../transform.js')
      const content = await readInput(file)
      const now = options.now ? parseDateOption(options.now, '--now') : undefined
      let consent: ConsentRecord | null
      let contactLabel: string
      if (options.contact.trim().startsWith('{')) {
        consent = parseContactJson(options.contact)
        contactLabel = `${consent.contactId} (from --contact JSON)`
      } else {
        const opened = await openStore(options.store, io.cwd, { mustExist: true })
        try {
          consent = await opened.store.get(options.contact)
        } finally {
          await opened.close()
        }
        contactLabel = consent ? `${options.contact} (from ${opened.label})` : `${options.contact} (not in ${opened.label}: unknown contact)`
      }
      const transformOptions = {
        tokens,
        baseUrl: options.baseUrl,
        ...(options.messageId ? { messageId: options.messageId } : {}),
        ...(now ? { now } : {}),
        ...(options.locale ? { locale: options.locale } : {}),
        ...(options.unsubscribe ? { unsubscribe: true } : {}),
      }
      const asMessage = options.format ? options.format === 'eml' : looksLikeMessage(content, file)
      let result: TransformResult | undefined
      let inputHeaders: Record<string, string> = {}
      let output: Uint8Array | string
      if (asMessage) {
        try {
          output = await rewriteMessage(content, async (bodies) => {
            inputHeaders = bodies.headers
            const email = { headers: bodies.headers, ...(bodies.html !== undefined ? { html: bodies.html } : {}), ...(bodies.text !== undefined ? { text: bodies.text } : {}), ...(bodies.amp !== undefined ? { amp: bodies.amp } : {}) }
            result = await transform(email, consent, options.category, transformOptions)
            return result
          })
        } catch (err) {
          if (err instanceof MessageFormatError) throw new CliError(`${file}: ${err.message}`, EXIT.invalidInput, { cause: err })
          throw err
        }
      } else {
        result = await transform({ html: content.toString('utf8') }, consent, options.category, transformOptions)
        output = result.html ?? ''
      }
      const final = result!
      if (options.json) io.stdout.write(JSON.stringify({ ...final, ...(asMessage ? { message: Buffer.from(output).toString('utf8') } : {}) }, null, 2) + '\n')
      else if (options.out) await writeOutput(options.out, output)
      else io.stdout.write(typeof output === 'string' ? output : Buffer.from(output))
      io.stderr.write(describeResult(final, contactLabel, inputHeaders) + (options.out ? `wrote ${options.out}\n` : ''))
    })
}
