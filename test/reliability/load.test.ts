// A short run of the load bench (bench/load.bench.mjs) on SQLite: the pixel,
// click and withdrawal routes at once for 3 s against the built handler in
// its own process. Zero errors, only the expected statuses, every confirmed
// withdrawal recorded once, memory flat. The 60 s runs on SQLite and
// Postgres are `npm run bench -- load` and test/stress/load.stress.test.ts.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

test('3 s of pixel + click + withdrawal load on SQLite: no error, nothing lost, memory flat', async () => {
  if (!existsSync(`${root}dist/http/node.js`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)')
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const env = { ...process.env, LOAD_SECONDS: '3', LOAD_BACKENDS: 'sqlite', LOAD_CONTACTS: '500', LOAD_WITHDRAWALS: '4000' }
    execFile(process.execPath, ['bench/run.mjs', 'load'], { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    )
  })
  expect(output, output).toMatch(/PASS SQLite: zero errors/)
  expect(output).not.toMatch(/FAIL/)
  expect(code, output).toBe(0)
}, 180_000)
