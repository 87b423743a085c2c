import { defineConfig } from 'vitest/config'

// The long variants (`npm run test:stress`): million-case fuzzing, big exports, load.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/stress/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
