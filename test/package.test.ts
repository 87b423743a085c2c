// Checks the package as users get it: the public export list, the exports map
// against tsup's entries, that the runtime-agnostic entries import no node:* module,
// the CHANGELOG's form, and that the README's Quick start compiles.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { entries } from '../tsup.config.js'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url)

/** The exact value exports of each public subpath. Adding one is a deliberate API change. */
const PUBLIC_EXPORTS: Record<string, string[]> = {
  '.': [
    'ConsentFormError', 'ConsentTrackingError', 'PolicyError', 'TOKEN_PURPOSES', 'TokenError', 'cnilPolicy', 'createTokens', 'decide',
    'NO_TRACK_ATTRIBUTES', 'PROVIDER_NAMES', 'TransformError', 'compile', 'knownTrackers', 'personalParams', 'transform', 'trackingConsentField',
  ],
  './store': ['CONSENT_EVENT_TYPES', 'CONSENT_SOURCES', 'GENESIS_HASH', 'STORE_LIMITS', 'StoreError', 'consentEventHash', 'createMemoryStore'],
  './store/sqlite': ['createSqliteStore'],
  './store/postgres': ['createPostgresStore'],
  './store/testing': ['expectedRecord', 'memoryStoreProbe', 'postgresStoreProbe', 'runStoreConformance', 'sqliteStoreProbe'],
  './http': ['HttpError', 'createHandler'],
  './http/node': ['toNodeListener'],
  './nodemailer': ['ConsentPluginError', 'SendSkippedError', 'consentOutcome', 'consentTracking', 'sendCampaign', 'sendWithConsent'],
}

describe('public API', () => {
  for (const [subpath, names] of Object.entries(PUBLIC_EXPORTS)) {
    test(`${subpath} exports exactly the pinned names`, async () => {
      const name = subpath === '.' ? 'index' : subpath.slice(2) in entries ? subpath.slice(2) : `${subpath.slice(2)}/index`
      const mod = await import(`../${entries[name]}`)
      expect(Object.keys(mod).sort()).toEqual([...names].sort())
    })
  }

  test('every exports entry is pinned above', () => {
    const subpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json')
    expect(subpaths.sort()).toEqual(Object.keys(PUBLIC_EXPORTS).sort())
  })
})

describe('exports map', () => {
  test('tsup entries and package.json#exports name the same subpaths', () => {
    const fromExports = Object.keys(pkg.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? 'index' : k.slice(2)))
      .sort()
    const fromTsup = Object.keys(entries)
      .filter((name) => !name.startsWith('cli/'))
      .map((name) => name.replace(/\/index$/, ''))
      .sort()
    expect(fromTsup).toEqual(fromExports)
  })

  test('each subpath has import and require conditions with their own types, pointing at built files', () => {
    for (const [subpath, target] of Object.entries<Record<string, Record<string, string>> | string>(pkg.exports)) {
      if (subpath === './package.json') continue
      const t = target as Record<string, Record<string, string>>
      expect(t.import!.types).toMatch(/\.d\.ts$/)
      expect(t.require!.types).toMatch(/\.d\.cts$/)
      expect(t.import!.default).toMatch(/\.js$/)
      expect(t.require!.default).toMatch(/\.cjs$/)
      for (const file of [t.import!.types, t.import!.default, t.require!.types, t.require!.default]) {
        expect(existsSync(new URL(`../${file}`, import.meta.url)), `${file} is built`).toBe(true)
      }
    }
  })

  test('optional peers and engines', () => {
    for (const peer of ['nodemailer', 'pg', 'better-sqlite3']) expect(pkg.peerDependenciesMeta[peer].optional).toBe(true)
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0')
    expect(pkg.sideEffects).toBe(false)
  })
})

describe('runtime-agnostic entries', () => {
  // Follow the built graph from each entry through its relative imports (shared chunks included).
  function importsOf(file: string, seen = new Set<string>()): Set<string> {
    if (seen.has(file)) return new Set()
    seen.add(file)
    const code = readFileSync(dist(file), 'utf8')
    const found = new Set<string>()
    for (const m of code.matchAll(/(?:from\s*|import\s*\(?\s*|require\s*\(\s*)["']([^"']+)["']/g)) {
      const spec = m[1]!
      if (spec.startsWith('./')) for (const s of importsOf(spec.slice(2), seen)) found.add(s)
      else found.add(spec)
    }
    return found
  }

  const agnostic = ['index', 'http/index'].filter((e) => e in entries)
  for (const entry of agnostic) {
    for (const ext of ['js', 'cjs']) {
      test(`dist/${entry}.${ext} reaches no node:* module`, () => {
        const specs = [...importsOf(`${entry}.${ext}`)]
        expect(specs.filter((s) => s.startsWith('node:') || ['fs', 'crypto', 'path', 'http', 'stream', 'buffer', 'os'].includes(s))).toEqual([])
      })
    }
  }

  // commander, the one runtime dependency beyond the design's list, serves the CLI alone.
  const library = Object.keys(entries).filter((e) => !e.startsWith('cli/'))
  test(`the library entries (${library.length}) never load commander; the CLI does`, () => {
    expect(library.length).toBeGreaterThan(5)
    for (const entry of library) for (const ext of ['js', 'cjs']) expect([...importsOf(`${entry}.${ext}`)], `dist/${entry}.${ext}`).not.toContain('commander')
    expect(Object.keys(entries).some((e) => e.startsWith('cli/') && importsOf(`${e}.js`).has('commander'))).toBe(true)
  })
})

describe('CHANGELOG.md', () => {
  const changelog = readFileSync(new URL('../CHANGELOG.md', import.meta.url), 'utf8')

  test('Keep a Changelog form: an Unreleased section of typed entries, then the released version of package.json', () => {
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$/gm)].map((m) => ({ name: m[1], date: m[2] }))
    expect(versions[0]).toEqual({ name: 'Unreleased', date: undefined })
    expect(versions[1]).toMatchObject({ name: pkg.version })
    expect(versions[1]!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    const unreleased = changelog.slice(changelog.indexOf('## [Unreleased]') + 15, changelog.indexOf(`## [${pkg.version}]`)).trim()
    // Changes since the release: each under a section heading, as bullets.
    if (unreleased !== '') {
      expect(unreleased).toMatch(/^### /)
      for (const line of unreleased.split('\n')) expect(line, line).toMatch(/^(### \w+|- .+|  .+|)$/)
    }
  })

  test('only the section types Keep a Changelog defines', () => {
    const types = [...changelog.matchAll(/^### (.+)$/gm)].map((m) => m[1])
    expect(types.length).toBeGreaterThan(0)
    for (const type of types) expect(['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security']).toContain(type)
  })
})

describe('README', () => {
  test('the Quick start example type-checks against the built types, under strict NodeNext settings', async () => {
    const { default: ts } = await import('typescript')
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const section = readme.slice(readme.indexOf('\n## Quick start\n'))
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
    expect(code).toContain('consentTracking')
    // Inside the repository, so `email-tracking-consent` resolves to this package by self-reference.
    const dir = new URL('./artifacts/', import.meta.url)
    mkdirSync(dir, { recursive: true })
    const file = fileURLToPath(new URL('readme-quick-start.mts', dir))
    // The example's free variables are the user's own message fields.
    writeFileSync(file, `declare const from: string, to: string, subject: string, html: string, text: string\n${code}\nexport {}\n`)
    const program = ts.createProgram([file], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    })
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    expect(problems).toEqual([])
  }, 60_000)
})
