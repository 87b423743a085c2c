import { createServer } from 'node:http'
import { once } from 'node:events'
import { Option, type Command } from 'commander'
import { personalUrl } from '../../lib/routes.js'
import type { RunContext } from '../context.js'
import { CliError, EXIT } from '../exit-codes.js'
import { loadKeys } from '../lazy.js'
import { openStore } from '../lazy.js'
import { storeOption } from './store-option.js'

interface ServeOptions {
  store: string
  keys?: string
  port: string
  host: string
  basePath: string
  locale?: 'en' | 'fr'
  noticeVersion?: string
  minDelay: string
  contact?: string[]
}

/** `serve`: the web endpoints on a port. */
export function serveCommand(program: Command, ctx: RunContext): void {
  program
    .command('serve')
    .summary('run the web endpoints (pixel, click, withdrawal, preferences, consent, unsubscribe) on a port')
    .description(
      'Serves the endpoints of email-tracking-consent/http over the store, for trying the pages or for a\n' +
        'small deployment. Withdrawals, consent and preference changes made on the pages are recorded in\n' +
        'the store. With --contact, prints signed links to the pages of those contacts. Stops on Ctrl-C.',
    )
    .addOption(storeOption())
    .option('--keys <file>', 'key file (default: $ETC_KEYS or $ETC_KEYS_FILE)')
    .addOption(new Option('--port <port>', 'TCP port (0 picks a free one)').env('PORT').default('8080'))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--base-path <path>', 'path prefix the endpoints are mounted under', '/')
    .addOption(new Option('--locale <locale>', 'fixed page language (default: from Accept-Language)').choices(['en', 'fr']))
    .option('--notice-version <version>', 'notice version recorded by the consent page when the token has none')
    .option('--min-delay <ms>', 'least time between showing a page and accepting its form (anti-scanner)', '2000')
    .option('--contact <id...>', 'print links to the pages of these contacts')
    .addHelpText('after', '\nExample:\n  $ email-tracking-consent serve --keys keys.json --contact c_42\n  then open the printed withdrawal link in a browser.')
    .action(async (options: ServeOptions) => {
      const { io } = ctx
      const port = Number(options.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port must be 0-65535', EXIT.usage)
      const minDelayMs = Number(options.minDelay)
      if (!Number.isInteger(minDelayMs) || minDelayMs < 0) throw new CliError('--min-delay must be a non-negative integer of milliseconds', EXIT.usage)
      const { tokens } = await loadKeys(options.keys, io)
      const { createHandler } = await import('../../http/create-handler.js')
      const { toNodeListener } = await import('../../http/node.js')
      const opened = await openStore(options.store, io.cwd)
      const basePath = options.basePath === '/' ? '' : options.basePath.replace(/\/+$/, '')
      let handler
      try {
        handler = createHandler({
          tokens,
          store: opened.store,
          basePath,
          forms: { minDelayMs },
          ...(options.locale ? { locale: options.locale } : {}),
          ...(options.noticeVersion ? { noticeVersion: options.noticeVersion } : {}),
          logger: {
            error: (message) => void io.stderr.write(`error: ${message}\n`),
            warn: (message) => void io.stderr.write(`warning: ${message}\n`),
          },
        })
      } catch (err) {
        await opened.close()
        throw err
      }
      const server = createServer(toNodeListener(handler))
      server.listen(port, options.host)
      try {
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))])
      } catch (err) {
        await opened.close()
        throw new CliError(`cannot listen on ${options.host}:${port}: ${(err as Error).message}`, EXIT.usage, { cause: err })
      }
      const address = server.address()
      const actualPort = typeof address === 'object' && address ? address.port : port
      const host = options.host.includes(':') ? `[${options.host}]` : options.host
      const base = `http://${host}:${actualPort}${basePath}`
      io.stdout.write(`listening on ${base} (store ${opened.label}); Ctrl-C stops\n`)
      for (const contactId of options.contact ?? []) {
        const message = await tokens.signMessage({ contactId, purposes: ['withdraw', 'preferences', 'consent', 'unsubscribe'] })
        io.stdout.write(`contact ${contactId}:\n`)
        for (const purpose of ['withdraw', 'preferences', 'consent', 'unsubscribe'] as const)
          io.stdout.write(`  ${purpose.padEnd(12)} ${personalUrl(base, purpose, message.token(purpose))}\n`)
      }
      ctx.keepAlive = new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          server.close(() => void opened.close().then(resolve, resolve))
          server.closeAllConnections()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
    })
}
