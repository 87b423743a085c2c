import type { Command } from 'commander'
import type { RunContext } from '../context.js'
import { EXIT } from '../exit-codes.js'
import { counted, parseDateOption, writeOutput } from '../io.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

/** `report -o audit.html`: the self-contained audit report. */
export function reportCommand(program: Command, ctx: RunContext): void {
  program
    .command('report')
    .summary('write a self-contained HTML audit report')
    .description(
      'Writes one HTML file that opens offline (inline CSS and SVG, no script, nothing fetched): consent\n' +
        'states per purpose, events over time as a chart, sources and notice versions, the hash-chain\n' +
        'verification result and withdrawals by channel. Exits 4 (after writing) when the chain is broken.',
    )
    .addOption(storeOption())
    .requiredOption('-o, --out <file>', 'the HTML file to write, e.g. audit.html')
    .option('--now <date>', 'date of the report (for the decision figures); default: now')
    .action(async (options: { store: string; out: string; now?: string }) => {
      const { collectAuditData } = await import('../report/collect.js')
      const { renderAuditReport } = await import('../report/render.js')
      const opened = await openStore(options.store, ctx.io.cwd, { mustExist: true })
      try {
        const now = options.now ? parseDateOption(options.now, '--now') : new Date()
        const data = await collectAuditData(opened.store, opened.label, { now })
        await writeOutput(options.out, renderAuditReport(data))
        ctx.io.stdout.write(
          `wrote ${options.out}: ${counted(data.contacts, 'contact')}, ${counted(data.events, 'event')}, chain ${data.chain.ok ? 'intact' : `BROKEN at seq ${data.chain.firstBadSeq}`}\n`,
        )
        if (!data.chain.ok) ctx.exitCode = EXIT.checkFailed
      } finally {
        await opened.close()
      }
    })
}
