import { existsSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { CliError, EXIT } from '../exit-codes.js'
import { readInput, writeOutput } from '../io.js'
import type { RunContext } from '../context.js'

interface KeygenOptions {
  alg: 'HS256' | 'EdDSA'
  kid?: string
  out?: string
  rotate?: boolean
}

/** `keygen`: a new HS256 secret or Ed25519 key pair, printed or written to a key file. */
export function keygenCommand(program: Command, ctx: RunContext): void {
  program
    .command('keygen')
    .summary('create a signing key (HS256 secret or Ed25519 key pair as JWK)')
    .description(
      'Creates a new signing key with a kid and prints it as JSON. With --out, writes a key file\n' +
        '{ "keys": [ ... ] } (mode 600) that transform, serve and token verify read with --keys.\n' +
        'With --rotate, the new key goes first in an existing key file (it signs from now on) and the\n' +
        'older keys stay after it, so links already sent keep verifying.',
    )
    .addOption(new Option('--alg <alg>', 'HS256 (a shared secret) or EdDSA (Ed25519 key pair + MAC secret)').choices(['HS256', 'EdDSA']).default('HS256'))
    .option('--kid <kid>', 'key id written into tokens (default: k<date>-<random>)')
    .option('-o, --out <file>', 'write a key file instead of printing the key')
    .option('--rotate', 'with --out: put the new key first in an existing key file, keeping the old ones')
    .addHelpText('after', '\nExamples:\n  $ email-tracking-consent keygen -o keys.json\n  $ email-tracking-consent keygen --alg EdDSA\n  $ email-tracking-consent keygen --rotate -o keys.json')
    .action(async (options: KeygenOptions) => {
      const { generateKey, newKid, parseKeyFile } = await import('../keys.js')
      const kid = options.kid ?? newKid()
      if (!/^[\w.-]{1,64}$/.test(kid)) throw new CliError('--kid must be 1-64 letters, digits, dot, dash or underscore', EXIT.usage)
      const key = await generateKey(options.alg, kid)
      if (!options.out) {
        if (options.rotate) throw new CliError('--rotate needs --out <key file>', EXIT.usage)
        ctx.io.stdout.write(JSON.stringify(key, null, 2) + '\n')
        return
      }
      let keys = [key]
      if (existsSync(options.out)) {
        if (!options.rotate) throw new CliError(`${options.out} already exists: pass --rotate to add a new signing key in front of its keys`, EXIT.invalidInput)
        const old = parseKeyFile((await readInput(options.out)).toString('utf8'), options.out)
        if (old.some((k) => k.kid === kid)) throw new CliError(`${options.out} already holds a key with kid ${kid}`, EXIT.invalidInput)
        keys = [key, ...old]
      } else if (options.rotate) {
        throw new CliError(`${options.out} does not exist: drop --rotate to create it`, EXIT.invalidInput)
      }
      await writeOutput(options.out, JSON.stringify({ keys }, null, 2) + '\n', 0o600)
      const kept = keys.length - 1
      ctx.io.stderr.write(
        `wrote ${options.out}: signing key ${kid} (${options.alg})` +
          (kept ? `, ${kept} older key${kept > 1 ? 's' : ''} kept for verifying links already sent` : '') +
          '\n',
      )
    })
}
