import type { Command } from 'commander'
import type { ConsentEventInput } from '../../store/types.js'
import type { RunContext } from '../context.js'
import { CsvSyntaxError, readCsv } from '../csv.js'
import { CliError, EXIT } from '../exit-codes.js'
import { count, counted, describeFsError } from '../io.js'
import { readLayout, rowToEvent, type ImportLayout, type RowProblem } from '../import-rows.js'
import { progress } from '../progress.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

const SHOWN_PROBLEMS = 20

interface ImportOptions {
  store: string
  skipInvalid?: boolean
  dryRun?: boolean
  batchSize: string
}

/** Reads the file once, validating each row; returns the layout, the valid row count and the problems. */
async function validateFile(path: string, now: number): Promise<{ layout: ImportLayout; valid: number; problems: RowProblem[] }> {
  let layout: ImportLayout | undefined
  let width = 0
  let valid = 0
  const problems: RowProblem[] = []
  for await (const { line, fields } of readCsv(path)) {
    if (!layout) {
      const header = readLayout(fields)
      if (Array.isArray(header)) throw new CliError(`${path}:${line}: ${header.join('; ')}`, EXIT.invalidInput)
      layout = header
      width = fields.length
      continue
    }
    if (fields.length !== width) {
      problems.push({ line, message: `has ${fields.length} fields, the header has ${width}` })
      continue
    }
    const event = rowToEvent(fields, layout, now)
    if (typeof event === 'string') problems.push({ line, message: event })
    else valid++
  }
  if (!layout) throw new CliError(`${path} is empty: the first line must name the columns (contact_id,event,at,...)`, EXIT.invalidInput)
  return { layout, valid, problems }
}

/** `import <file.csv>`: existing contacts and their history, as events. */
export function importCommand(program: Command, ctx: RunContext): void {
  program
    .command('import')
    .argument('<file.csv>', 'one event per row; the first row names the columns')
    .summary('bulk-import contacts and their consent history from CSV')
    .description(
      'Imports consent history as events. Columns: contact_id, event, at (required); purposes, source,\n' +
        'notice_version, id and evidence.<name> (optional). event is collected, informed, granted,\n' +
        'objected (= denied), withdrawn, requested, unsubscribed or resubscribed (or the verb: grant, deny...).\n' +
        'at is a date (2024-03-10) or a date-time with a zone. purposes is opens, clicks or both (default).\n' +
        'source defaults to import.\n\n' +
        'Idempotent: each row gets an id derived from its content (or the id column), so importing the\n' +
        'same file again adds nothing. The whole file is checked first: if any row is bad, the bad rows are\n' +
        'listed with their line numbers and nothing is imported, unless --skip-invalid is given.',
    )
    .addOption(storeOption())
    .option('--skip-invalid', 'import the valid rows and list the bad ones instead of importing nothing')
    .option('--dry-run', 'check the file and report, without writing')
    .option('--batch-size <n>', 'events per transaction', '500')
    .addHelpText(
      'after',
      '\nExample file:\n' +
        '  contact_id,event,at,purposes,notice_version,evidence.formId\n' +
        '  c_001,collected,2024-03-10,,,\n' +
        '  c_001,informed,2026-05-20,,2026-04,\n' +
        '  c_002,granted,2026-05-02T10:00:00Z,both,2026-04,signup\n' +
        '  c_003,objected,2026-06-01,opens,2026-04,\n',
    )
    .action(async (file: string, options: ImportOptions) => {
      const batchSize = Number(options.batchSize)
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CliError('--batch-size must be an integer from 1 to 10000', EXIT.usage)
      const { io } = ctx
      const now = Date.now()
      let checked: Awaited<ReturnType<typeof validateFile>>
      try {
        checked = await validateFile(file, now)
      } catch (err) {
        if (err instanceof CsvSyntaxError) throw new CliError(`${file}:${err.line}: ${err.message}`, EXIT.invalidInput)
        if (err instanceof CliError) throw err
        throw new CliError(`cannot read ${file}: ${describeFsError(err)}`, EXIT.invalidInput, { cause: err })
      }
      const { layout, valid, problems } = checked
      const bad = new Set(problems.map((p) => p.line))
      for (const p of problems.slice(0, SHOWN_PROBLEMS)) io.stderr.write(`${file}:${p.line}: ${p.message}\n`)
      if (problems.length > SHOWN_PROBLEMS) io.stderr.write(`... and ${count(problems.length - SHOWN_PROBLEMS)} more bad rows\n`)
      if (problems.length && !options.skipInvalid) {
        throw new CliError(`${counted(problems.length, 'bad row')} in ${file}: nothing imported (fix them, or pass --skip-invalid)`, EXIT.invalidInput)
      }
      if (options.dryRun) {
        io.stdout.write(`dry run: ${count(valid)} valid rows, ${count(problems.length)} bad rows in ${file}; nothing written\n`)
        return
      }

      const opened = await openStore(options.store, io.cwd)
      try {
        const bar = progress(io, `importing ${file}`, valid)
        let added = 0
        let present = 0
        let batch: ConsentEventInput[] = []
        const flush = async () => {
          if (batch.length === 0) return
          const before = await opened.clock()
          const stored = opened.store.recordMany ? await opened.store.recordMany(batch) : await recordOneByOne(opened.store, batch)
          // New events are stamped by the store's clock at or after `before`; earlier ones were already there.
          for (const event of stored) event.recordedAt.getTime() >= before.getTime() ? added++ : present++
          bar.tick(batch.length)
          batch = []
        }
        let header = true
        for await (const { line, fields } of readCsv(file)) {
          if (header) {
            header = false
            continue
          }
          if (bad.has(line)) continue
          const event = rowToEvent(fields, layout, now)
          if (typeof event === 'string') throw new CliError(`${file}:${line}: ${event} (the file changed during the import)`, EXIT.invalidInput)
          batch.push(event)
          if (batch.length >= batchSize) await flush()
        }
        await flush()
        bar.done()
        io.stdout.write(
          `imported ${file} into ${opened.label}: ${counted(added, 'new event')}, ` +
            `${count(present)} already present` +
            (problems.length ? `, ${counted(problems.length, 'bad row')} skipped` : '') +
            '\n',
        )
      } finally {
        await opened.close()
      }
    })
}

async function recordOneByOne(store: { record(e: ConsentEventInput): Promise<import('../../store/types.js').ConsentEvent> }, events: ConsentEventInput[]) {
  const out = []
  for (const e of events) out.push(await store.record(e))
  return out
}
