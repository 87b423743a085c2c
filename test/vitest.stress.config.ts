import { defineConfig } from 'vitest/config'

// The long variants (`npm run test:stress`): million-case fuzzing, big exports, load,
// a campaign of 100,000 recipients, a Postgres server restart.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: the Postgres restart test drops every connection to the
    // shared server, and the load and campaign benches measure throughput.
    fileParallelism: false,
  },
})
