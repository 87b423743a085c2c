import { defineConfig } from 'vitest/config'

// The long variants (`npm run test:stress`): million-case fuzzing, big exports,
// endpoint load, a campaign of 100,000 recipients, a Postgres server restart.
// Files that must have the machine (and the Postgres server) to themselves run
// last, one at a time (the others run two at a time, one per core): the restart drops every connection to the shared server,
// and the load and campaign benches measure throughput.
const alone = ['test/stress/load.stress.test.ts', 'test/stress/campaign.stress.test.ts', 'test/stress/postgres-restart.stress.test.ts']

// The hostile-HTML files nest up to 6,000 levels, and mutations can repeat a nested span, so some
// cases go deeper still. The hast conversion and the tree walks recurse once per level, and at V8's
// default stack (about 1 MB) they overflow at about 1,760 levels, a limit that moves with JIT tiers.
// Near it the library's parse can pass while the test's own re-parse of the output, a few frames
// deeper, overflows: a false alarm, seen on 2026-11-30 (seed 876761212). A 6 MB stack (within the
// 8 MB of a Linux or macOS main thread) puts the limit at about 15,000 levels, clear of every
// generated case, for the library and the checks alike. Past the limit the library fails closed:
// test/transform/parser-stack.test.ts and the 5 MB inputs of transform-huge show it.
const deep = ['test/stress/transform-hostile-*.stress.test.ts']
const DEEP_STACK = '--stack-size=6000'

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'stress', include: ['test/stress/**/*.test.ts'], exclude: ['**/node_modules/**', ...alone, ...deep], maxWorkers: 2 } },
      { extends: true, test: { name: 'stress-deep', include: deep, maxWorkers: 2, execArgv: [DEEP_STACK] } },
      { extends: true, test: { name: 'stress-alone', include: alone, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
