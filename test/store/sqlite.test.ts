import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import type { ConsentStore } from '../../src/store/index.js'
import { createSqliteStore } from '../../src/store/sqlite.js'
import { runStoreConformance, sqliteStoreProbe } from '../../src/store/testing.js'

const dir = mkdtempSync(join(tmpdir(), 'etc-sqlite-'))
const files = new WeakMap<ConsentStore, string>()
const probes: Database.Database[] = []
let n = 0

afterAll(() => {
  for (const db of probes) db.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('SQLite store conformance (real file, probe on a second connection)', () => {
  runStoreConformance({
    test,
    expect,
    createStore: () => {
      const file = join(dir, `conformance-${++n}.db`)
      const store = createSqliteStore({ database: file, pageSize: 16 })
      files.set(store, file)
      return store
    },
    probe: (store) => {
      const db = new Database(files.get(store)!)
      probes.push(db)
      return sqliteStoreProbe(db)
    },
  })
})
