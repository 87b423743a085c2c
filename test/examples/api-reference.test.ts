// The API reference is generated from TSDoc (`npm run docs`, typedoc, configured in tsconfig.json).
// Checked here: typedoc itself builds it without a warning (every export documented, no broken
// link), and every export of every public subpath has TSDoc with an @example.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, test } from 'vitest'

const root = new URL('../../', import.meta.url).pathname
const tsconfig = ts.parseConfigFileTextToJson('tsconfig.json', readFileSync(`${root}tsconfig.json`, 'utf8')).config
const entryPoints: string[] = tsconfig.typedocOptions.entryPoints
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))

/**
 * Exports of other concerns that still lack an @example. This list may only shrink: a test
 * below fails once one of them gets its example, so it is removed from here.
 */
const KNOWN_MISSING_EXAMPLES: string[] = []

function exportsOf() {
  const program = ts.createProgram(
    entryPoints.map((e) => `${root}${e}`),
    { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
  )
  const checker = program.getTypeChecker()
  return entryPoints.flatMap((entry) => {
    const module = checker.getSymbolAtLocation(program.getSourceFile(`${root}${entry}`)!)!
    return checker.getExportsOfModule(module).map((exported) => {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
      return {
        name: `${entry} ${exported.name}`,
        documented: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() !== '',
        callable: (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class)) !== 0,
        hasExample: symbol.getJsDocTags(checker).some((tag) => tag.name === 'example'),
      }
    })
  })
}

describe('API reference', () => {
  const all = exportsOf()

  test('typedoc builds the reference with no warning (treatWarningsAsErrors, validation of undocumented exports and links)', () => {
    expect(tsconfig.typedocOptions).toMatchObject({ treatWarningsAsErrors: true, validation: { notDocumented: true, invalidLink: true, notExported: true } })
    // `--emit none` runs the conversion and every validation without writing docs/api/.
    const run = spawnSync(process.execPath, [`${root}node_modules/typedoc/bin/typedoc`, '--emit', 'none'], { cwd: root, encoding: 'utf8' })
    expect(run.stdout + run.stderr).not.toMatch(/\[(warning|error)\]/)
    expect(run.status, run.stdout + run.stderr).toBe(0)
  }, 120_000)

  test('typedoc documents every public subpath', () => {
    const fromExports = Object.keys(pkg.exports).filter((k) => k !== './package.json').length
    expect(entryPoints).toHaveLength(fromExports)
    expect(all.length).toBeGreaterThan(100)
  })

  test('every export has TSDoc', () => {
    expect(all.filter((e) => !e.documented).map((e) => e.name)).toEqual([])
  })

  test('every export (functions, classes, constants, types and interfaces) has an @example', () => {
    expect(all.filter((e) => e.callable).length).toBeGreaterThan(20)
    const missing = all.filter((e) => !e.hasExample).map((e) => e.name)
    expect(missing.filter((name) => !KNOWN_MISSING_EXAMPLES.includes(name))).toEqual([])
    expect(KNOWN_MISSING_EXAMPLES.filter((name) => !missing.includes(name)), 'these have an example now: remove them from KNOWN_MISSING_EXAMPLES').toEqual([])
  })
})
