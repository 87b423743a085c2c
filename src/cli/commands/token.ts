import { Option, type Command } from 'commander'
import { decodeBase64url } from '../../lib/base64url.js'
import { ROUTE_SEGMENT } from '../../lib/routes.js'
import { TokenError } from '../../tokens/errors.js'
import type { TokenClaims, TokenPurpose } from '../../tokens/types.js'
import type { RunContext } from '../context.js'
import { CliError, EXIT } from '../exit-codes.js'
import { loadKeys } from '../lazy.js'

const TOKEN_PURPOSES = Object.keys(ROUTE_SEGMENT) as TokenPurpose[]
// The `aud` value of each purpose, as createTokens() writes it (test/cli/keys-and-tokens.test.ts pins the two together).
const PURPOSE_OF_AUDIENCE: Readonly<Record<string, TokenPurpose>> = { o: 'open', c: 'click', w: 'withdraw', p: 'preferences', k: 'consent', u: 'unsubscribe' }

/** Header and payload of a token, decoded without any check. */
export function decodeToken(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const parts = token.trim().split('.')
  const decode = (part: string | undefined) => {
    const bytes = part === undefined ? undefined : decodeBase64url(part)
    if (!bytes) return undefined
    try {
      const value: unknown = JSON.parse(new TextDecoder().decode(bytes))
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
    } catch {
      return undefined
    }
  }
  const header = decode(parts[0])
  const payload = decode(parts[1])
  if (parts.length !== 4 || !header || !payload) throw new CliError('not a token of this library (expected four base64url segments with a JSON header and payload)', EXIT.invalidInput)
  return { header, payload }
}

function purposesOf(payload: Record<string, unknown>): TokenPurpose[] {
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  return aud.flatMap((a) => (typeof a === 'string' && PURPOSE_OF_AUDIENCE[a] ? [PURPOSE_OF_AUDIENCE[a]] : []))
}

const iso = (seconds: unknown) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined)

function readableClaims(claims: TokenClaims): Record<string, unknown> {
  return { ...claims, issuedAt: iso(claims.issuedAt), ...(claims.expiresAt !== undefined ? { expiresAt: iso(claims.expiresAt) } : {}) }
}

/** `token inspect|verify <token>`. */
export function tokenCommand(program: Command, ctx: RunContext): void {
  const token = program
    .command('token')
    .summary('inspect or verify a link token')
    .description('Reads the personal tokens found in tracking, withdrawal, preference, consent and unsubscribe links.')

  token
    .command('inspect')
    .argument('<token>', 'the token (the last path segment of a link)')
    .summary('decode a token WITHOUT verifying it')
    .description('Prints the header and claims of a token as JSON, without checking its signature. Needs no keys.')
    .action((value: string) => {
      const { header, payload } = decodeToken(value)
      const out = {
        verified: false,
        header,
        purposes: purposesOf(payload),
        contactId: payload.sub,
        messageId: payload.mid,
        tokenId: payload.jti,
        issuer: payload.iss,
        issuedAt: iso(payload.iat),
        expiresAt: iso(payload.exp),
        noticeVersion: payload.nv,
      }
      ctx.io.stdout.write(JSON.stringify(out, null, 2) + '\n')
      ctx.io.stderr.write('not verified: use `token verify` with the keys to check the signature\n')
    })

  token
    .command('verify')
    .argument('<token>', 'the token (the last path segment of a link)')
    .summary('verify a token with the key ring')
    .description(
      'Checks the signature, purpose tag, issuer and expiry of a token with the keys, and prints its claims.\n' +
        'Without --purpose, the purposes the token names are tried. Exits 4 when the token does not verify.',
    )
    .addOption(new Option('--purpose <purpose>', 'the purpose to verify for').choices([...TOKEN_PURPOSES]))
    .option('--keys <file>', 'key file (default: $ETC_KEYS or $ETC_KEYS_FILE)')
    .option('--issuer <iss>', "expected issuer, when the sender's createTokens() sets one")
    .action(async (value: string, options: { purpose?: TokenPurpose; keys?: string; issuer?: string }) => {
      const { tokens } = await loadKeys(options.keys, ctx.io, options.issuer)
      const text = value.trim()
      let candidates: TokenPurpose[] = options.purpose ? [options.purpose] : []
      if (!options.purpose) {
        try {
          candidates = purposesOf(decodeToken(text).payload)
        } catch {
          candidates = []
        }
        if (candidates.length === 0) candidates = [...TOKEN_PURPOSES]
      }
      let firstError: unknown
      for (const purpose of candidates) {
        try {
          const claims = await tokens.verify(text, { purpose })
          ctx.io.stdout.write(JSON.stringify({ verified: true, ...readableClaims(claims) }, null, 2) + '\n')
          ctx.io.stderr.write(`valid ${purpose} token for contact ${claims.contactId}, signed with key ${claims.kid}\n`)
          return
        } catch (err) {
          if (!(err instanceof TokenError)) throw err
          firstError ??= err
        }
      }
      const err = firstError as TokenError
      throw new CliError(`token does not verify: ${err.code}: ${err.message}`, EXIT.checkFailed, { cause: err })
    })
}
