import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const dist = fileURLToPath(new URL('../../dist/', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'etc-build-'))

beforeAll(() => {
  if (!existsSync(join(dist, 'store/sqlite.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Every module reachable through static imports from a built file. */
function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files: string[] = []
  const bare = new Set<string>()
  const visit = (file: string): void => {
    if (files.includes(file)) return
    files.push(file)
    for (const match of readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm)) {
      const spec = match[1] ?? match[2]!
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec))
      else bare.add(spec)
    }
  }
  visit(entry)
  return { files, bare: [...bare] }
}

describe('built store subpaths', () => {
  test('the SQLite and Postgres adapters load their drivers from both the ESM and the CommonJS build', () => {
    const esm = `
      import { createSqliteStore } from ${JSON.stringify(join(dist, 'store/sqlite.js'))}
      const store = createSqliteStore({ database: ${JSON.stringify(join(dir, 'esm.db'))} })
      const e = await store.record({ contactId: 'c-1', type: 'grant', at: new Date(), source: 'api' })
      await store.close()
      const { createPostgresStore } = await import(${JSON.stringify(join(dist, 'store/postgres.js'))})
      const pg = createPostgresStore({ pool: 'postgres://postgres@127.0.0.1:1/none' })
      await pg.close()
      console.log(e.seq, typeof createPostgresStore)`
    const cjs = `
      const { createSqliteStore } = require(${JSON.stringify(join(dist, 'store/sqlite.cjs'))})
      const { createPostgresStore } = require(${JSON.stringify(join(dist, 'store/postgres.cjs'))})
      const store = createSqliteStore({ database: ${JSON.stringify(join(dir, 'cjs.db'))} })
      store.record({ contactId: 'c-1', type: 'grant', at: new Date(), source: 'api' }).then(async (e) => {
        await store.close()
        await createPostgresStore({ pool: 'postgres://postgres@127.0.0.1:1/none' }).close()
        console.log(e.seq, typeof createPostgresStore)
      })`
    const cwd = fileURLToPath(new URL('../..', import.meta.url))
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd, encoding: 'utf8' }).trim()).toBe('1 function')
    expect(execFileSync(process.execPath, ['-e', cjs], { cwd, encoding: 'utf8' }).trim()).toBe('1 function')
  })

  test('the store entry and the memory store import no node: module and no driver', () => {
    const { files, bare } = importGraph(join(dist, 'store/index.js'))
    expect(files.length).toBeGreaterThan(1)
    expect(bare.filter((spec) => spec.startsWith('node:') || ['better-sqlite3', 'pg', 'crypto', 'module'].includes(spec))).toEqual([])
  })

  test('only the adapter subpaths reach their driver', () => {
    expect(importGraph(join(dist, 'store/testing.js')).bare).toEqual([])
    const graphText = (entry: string): string => importGraph(join(dist, entry)).files.map((f) => readFileSync(f, 'utf8')).join('\n')
    for (const entry of ['store/sqlite.js', 'store/postgres.js']) {
      expect(/from ['"](better-sqlite3|pg)['"]/.test(graphText(entry))).toBe(false)
    }
    // Each driver is loaded (lazily) by its own subpath only, never by the other adapter, the entry or the suite.
    const loads = (text: string): string[] => [...text.matchAll(/loadDriver\(\s*["']([^"']+)["']/g)].map((m) => m[1]!).sort()
    expect(loads(graphText('store/sqlite.js'))).toEqual(['better-sqlite3'])
    expect(loads(graphText('store/postgres.js'))).toEqual(['pg'])
    expect(loads(graphText('store/index.js'))).toEqual([])
    expect(loads(graphText('store/testing.js'))).toEqual([])
  })

  test('without the driver installed, each factory throws driver-missing naming the package to install (ESM and CommonJS)', () => {
    // A copy of dist/ outside this repository, where neither better-sqlite3 nor pg can be resolved.
    const copy = join(dir, 'no-drivers', 'dist')
    cpSync(dist, copy, { recursive: true })
    const script = (load: (subpath: string) => string): string => `
      const out = []
      for (const [subpath, make] of [
        ['store/sqlite', (m) => m.createSqliteStore({ database: ${JSON.stringify(join(dir, 'no-drivers', 'x.db'))} })],
        ['store/postgres', (m) => m.createPostgresStore({ pool: 'postgres://postgres@127.0.0.1:1/none' })],
      ]) {
        const m = ${load('subpath')}
        try { make(m); out.push('created') } catch (e) { out.push(e.name + ' ' + e.code + ' ' + e.message) }
      }
      console.log(JSON.stringify(out))`
    const env = { ...process.env, NODE_PATH: '' }
    const cwd = join(dir, 'no-drivers')
    const esm = script((v) => `await import(${JSON.stringify(copy + '/')} + ${v} + '.js')`)
    const cjs = `(async () => { ${script((v) => `require(${JSON.stringify(copy + '/')} + ${v} + '.cjs')`)} })()`
    for (const [args, code] of [[['--input-type=module', '-e'], esm], [['-e'], cjs]] as const) {
      const [sqlite, postgres] = JSON.parse(execFileSync(process.execPath, [...args, code], { cwd, env, encoding: 'utf8' }).trim()) as string[]
      expect(sqlite).toMatch(/^StoreError driver-missing .*not installed: run `npm i better-sqlite3`/)
      expect(postgres).toMatch(/^StoreError driver-missing .*not installed: run `npm i pg`/)
    }
  })
})
