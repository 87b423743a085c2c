import { defineConfig } from 'tsup'

/**
 * One entry per public subpath. `test/package.test.ts` checks that these and
 * `package.json#exports` name the same set.
 */
export const entries: Record<string, string> = {
  index: 'src/index.ts',
  'store/index': 'src/store/index.ts',
  'store/sqlite': 'src/store/sqlite.ts',
  'store/postgres': 'src/store/postgres.ts',
  'store/testing': 'src/store/testing.ts',
  'cli/index': 'src/cli/index.ts',
  'http/index': 'src/http/index.ts',
  'http/node': 'src/http/node.ts',
  'nodemailer/index': 'src/nodemailer/index.ts',
}

export default defineConfig([
  {
    entry: entries,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    splitting: true,
    treeshake: true,
    target: 'node20',
    outDir: 'dist',
  },
])
