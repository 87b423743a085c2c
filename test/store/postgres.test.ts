import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPostgresStore } from '../../src/store/postgres.js'
import { postgresStoreProbe, runStoreConformance } from '../../src/store/testing.js'
import type { ConsentStore } from '../../src/store/index.js'
import { databaseUrl, uniqueSchema } from './pg-env.js'

describe.skipIf(!databaseUrl)('Postgres store conformance (one fresh schema per test)', () => {
  const prefix = uniqueSchema('etc_conf')
  const schemas = new WeakMap<ConsentStore, string>()
  const created: string[] = []
  let pool: pg.Pool

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: databaseUrl, max: 8 })
  })

  afterAll(async () => {
    for (const schema of created) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool.end()
  })

  runStoreConformance({
    test,
    expect,
    createStore: () => {
      const schema = `${prefix}_${created.length}`
      created.push(schema)
      // Every other store gets its own pool from the connection string, so both ways of passing `pool` run the suite.
      const store = createPostgresStore({ pool: created.length % 2 ? pool : databaseUrl!, schema, pageSize: 16, poolSize: 4 })
      schemas.set(store, schema)
      return store
    },
    probe: (store) => postgresStoreProbe(pool, { schema: schemas.get(store)! }),
  })
})
