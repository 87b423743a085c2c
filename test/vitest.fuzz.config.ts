import { defineConfig } from 'vitest/config'

// CI's fuzzing (`npm run test:fuzz`): 104,000 hostile-HTML cases in four files
// that run in parallel, on top of the 2,000 that `npm test` runs.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
