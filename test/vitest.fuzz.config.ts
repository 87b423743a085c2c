import { defineConfig } from 'vitest/config'

// CI's fuzzing (`npm run test:fuzz`, run by .ci/run after `npm test`): 104,000
// hostile-HTML cases in four files, two at a time (one per core: vitest would
// otherwise keep a core free and run them one by one), on top of the 2,000
// that `npm test` runs. About 4 minutes on the 2-core CI machine.
// A 4 MB stack (V8's default is about 1 MB) keeps the deepest generated cases, about
// 4,000 levels at most, clear of the stack limit (about 7,500 levels then) for the
// library and the test's own checks alike: see test/vitest.stress.config.ts.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    execArgv: ['--stack-size=4000'],
  },
})
