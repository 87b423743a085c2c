// The 60-second loads of bench/load.bench.mjs: pixel, click and withdrawal
// routes together on loopback, backed by SQLite, then Postgres (when
// DATABASE_URL is set or CI=true). Needs the built package (`npm run build`).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))

test('60 s of load per backend: zero errors, nothing lost, memory flat after warm-up', async () => {
  if (!existsSync(`${root}dist/http/node.js`)) throw new Error('dist/ is missing: run `npm run build` first')
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(process.execPath, ['bench/run.mjs', 'load'], { cwd: root, env: { ...process.env, LOAD_SECONDS: '60' }, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    )
  })
  console.log(output)
  expect(output).toMatch(/PASS SQLite/)
  expect(output).not.toMatch(/FAIL/)
  expect(code).toBe(0)
})
