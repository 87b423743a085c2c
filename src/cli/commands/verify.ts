import type { Command } from 'commander'
import type { ConsentEvent, VerifyResult } from '../../store/types.js'
import type { ConsentStore } from '../../store/types.js'
import type { RunContext } from '../context.js'
import { EXIT } from '../exit-codes.js'
import { counted } from '../io.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

/** What each break reason means, for people. */
export const BREAK_REASONS: Readonly<Record<string, string>> = {
  'hash-mismatch': "the row's content was changed after it was written",
  'prev-hash-mismatch': 'the row does not follow its predecessor: a row before it was deleted, moved or inserted',
  'seq-gap': 'a row is missing',
  'bad-row': 'the row cannot be read as an event (corrupted or edited by hand)',
  'head-mismatch': 'rows were removed from or added after the end of the chain',
}

/** The events around a break, read back for the message (best effort: the break may make rows unreadable). */
async function around(store: ConsentStore, seq: number): Promise<{ before?: ConsentEvent; at?: ConsentEvent }> {
  const found: { before?: ConsentEvent; at?: ConsentEvent } = {}
  try {
    for await (const event of store.export()) {
      if (event.seq === seq - 1) found.before = event
      if (event.seq === seq) found.at = event
      if (event.seq >= seq) break
    }
  } catch {
    // An unreadable row stops the read; what was found so far is still worth showing.
  }
  return found
}

const describe = (e: ConsentEvent) =>
  `seq ${e.seq}: ${e.type} ${e.purposes.join('+')} for ${e.contactId} at ${e.at.toISOString()} (id ${e.id}, recorded ${e.recordedAt.toISOString()})`

/** Human lines for a verification result. */
export function verifyLines(result: VerifyResult, label: string, context: { before?: ConsentEvent; at?: ConsentEvent }): string[] {
  if (result.ok) {
    const head = result.head && result.head.seq > 0 ? `; head seq ${result.head.seq}, hash ${result.head.hash}` : ''
    return [`chain OK: ${counted(result.checked, 'event')} verified in ${label}${head}`]
  }
  const lines = [
    `chain BROKEN at seq ${result.firstBadSeq}: ${result.reason}, ${BREAK_REASONS[result.reason ?? ''] ?? 'unknown reason'}`,
    `  ${counted(result.checked, 'event')} before it verified in ${label}`,
  ]
  if (context.before) lines.push(`  last good event  ${describe(context.before)}`)
  if (context.at) lines.push(`  first bad event  ${describe(context.at)}`)
  if (result.head) lines.push(`  recorded head    seq ${result.head.seq}, hash ${result.head.hash}`)
  return lines
}

/** `verify`: walks the hash chain. */
export function verifyCommand(program: Command, ctx: RunContext): void {
  program
    .command('verify')
    .summary('check the hash chain of the store; exits 4 when it is broken')
    .description(
      'Walks the hash chain of every stored event. Prints the number of events verified and the chain head\n' +
        '(keep that hash outside the database: a later verify that no longer passes through it proves a\n' +
        'rewrite). When the chain is broken, prints the first bad sequence number, why, and the events\n' +
        'around it, and exits 4.',
    )
    .addOption(storeOption())
    .option('--json', 'print the result as JSON')
    .action(async (options: { store: string; json?: boolean }) => {
      const opened = await openStore(options.store, ctx.io.cwd, { mustExist: true })
      try {
        const result = await opened.store.verify()
        const context = result.ok || result.firstBadSeq === undefined ? {} : await around(opened.store, result.firstBadSeq)
        if (options.json) ctx.io.stdout.write(JSON.stringify(result) + '\n')
        else ctx.io.stdout.write(verifyLines(result, opened.label, context).join('\n') + '\n')
        if (!result.ok) ctx.exitCode = EXIT.checkFailed
      } finally {
        await opened.close()
      }
    })
}
