import { defineConfig } from 'vitest/config'

// The long variants (`npm run test:stress`): million-case fuzzing, big exports,
// endpoint load, a campaign of 100,000 recipients, a Postgres server restart.
// Files that must have the machine (and the Postgres server) to themselves run
// last, one at a time (the others run two at a time, one per core): the restart drops every connection to the shared server,
// and the load and campaign benches measure throughput.
const alone = ['test/stress/load.stress.test.ts', 'test/stress/campaign.stress.test.ts', 'test/stress/postgres-restart.stress.test.ts']

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'stress', include: ['test/stress/**/*.test.ts'], exclude: ['**/node_modules/**', ...alone], maxWorkers: 2 } },
      { extends: true, test: { name: 'stress-alone', include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
