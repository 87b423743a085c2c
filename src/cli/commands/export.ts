import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { Option, type Command } from 'commander'
import type { ConsentEvent } from '../../store/types.js'
import type { RunContext } from '../context.js'
import { csvCell } from '../csv.js'
import { CliError, EXIT } from '../exit-codes.js'
import { counted, describeFsError, parseDateOption } from '../io.js'
import { progress } from '../progress.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

/** Columns of the CSV export, in order. */
export const EXPORT_CSV_COLUMNS = [
  'seq',
  'id',
  'contact_id',
  'type',
  'purposes',
  'at',
  'source',
  'notice_version',
  'evidence',
  'recorded_at',
  'prev_hash',
  'hash',
] as const

/** One event as a JSON Lines record: every stored field, dates in ISO 8601. */
export function eventJson(e: ConsentEvent): string {
  return JSON.stringify({
    seq: e.seq,
    id: e.id,
    contactId: e.contactId,
    type: e.type,
    purposes: e.purposes,
    at: e.at.toISOString(),
    source: e.source,
    ...(e.noticeVersion !== undefined ? { noticeVersion: e.noticeVersion } : {}),
    evidence: e.evidence,
    recordedAt: e.recordedAt.toISOString(),
    prevHash: e.prevHash,
    hash: e.hash,
  })
}

function eventCsv(e: ConsentEvent): string {
  return [
    String(e.seq),
    e.id,
    e.contactId,
    e.type,
    e.purposes.join(' '),
    e.at.toISOString(),
    e.source,
    e.noticeVersion ?? '',
    Object.keys(e.evidence).length ? JSON.stringify(e.evidence) : '',
    e.recordedAt.toISOString(),
    e.prevHash,
    e.hash,
  ]
    .map(csvCell)
    .join(',')
}

interface ExportOptions {
  store: string
  since?: string
  until?: string
  format: 'jsonl' | 'csv'
  out?: string
}

/** `export`: the accountability file, streamed. */
export function exportCommand(program: Command, ctx: RunContext): void {
  program
    .command('export')
    .summary('export the consent events for an audit (JSON Lines or CSV), streamed')
    .description(
      'Streams every consent event with its evidence, sequence number and hash-chain links, in seq order.\n' +
        '--since/--until select by the time the store recorded the event (recordedAt), [since, until).\n' +
        'JSON Lines keeps every value exactly; in CSV, a cell a spreadsheet would run as a formula\n' +
        '(starting with = + - @) is prefixed with a quote character.',
    )
    .addOption(storeOption())
    .option('--since <date>', 'first recordedAt included (ISO 8601 date or date-time)')
    .option('--until <date>', 'recordedAt bound, excluded')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .addHelpText('after', '\nExample:\n  $ email-tracking-consent export --since 2026-01-01 --format csv -o consent-2026.csv')
    .action(async (options: ExportOptions) => {
      const range: { since?: Date; until?: Date } = {}
      if (options.since) range.since = parseDateOption(options.since, '--since')
      if (options.until) range.until = parseDateOption(options.until, '--until')
      if (range.since && range.until && range.since > range.until) throw new CliError('--since is after --until', EXIT.usage)
      const { io } = ctx
      const opened = await openStore(options.store, io.cwd, { mustExist: true })
      let out: NodeJS.WritableStream = io.stdout
      let file: ReturnType<typeof createWriteStream> | undefined
      try {
        if (options.out) {
          file = createWriteStream(options.out, { mode: 0o600 })
          await Promise.race([
            once(file, 'open'),
            once(file, 'error').then(([err]) => {
              throw new CliError(`cannot write ${options.out}: ${describeFsError(err)}`, EXIT.invalidInput, { cause: err })
            }),
          ])
          out = file
        }
        const bar = progress(io, 'exporting', undefined, 'events')
        const write = async (line: string) => {
          // Respect backpressure so a large export streams in constant memory.
          if (!out.write(line + '\n')) await once(out, 'drain')
        }
        if (options.format === 'csv') await write(EXPORT_CSV_COLUMNS.join(','))
        let n = 0
        for await (const event of opened.store.export(range)) {
          await write(options.format === 'csv' ? eventCsv(event) : eventJson(event))
          n++
          bar.tick()
        }
        bar.done()
        if (file) {
          file.end()
          await once(file, 'finish')
          io.stderr.write(`exported ${counted(n, 'event')} from ${opened.label} to ${options.out}\n`)
        } else if (io.stderr.isTTY) {
          io.stderr.write(`exported ${counted(n, 'event')}\n`)
        }
      } finally {
        file?.destroy()
        await opened.close()
      }
    })
}
