import { defineConfig } from 'vitest/config'

// Test workers get a 4 MB stack (V8's default is about 1 MB) so that the hostile-HTML property
// tests' deepest cases, and the test's own re-parse of their output, stay clear of the stack
// limit; see test/vitest.stress.config.ts. test/transform/parser-stack.test.ts nests far
// deeper on purpose, to show the library failing closed past it.

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    exclude: ['test/stress/**', 'test/fuzz/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: ['--stack-size=4000'],
  },
})
