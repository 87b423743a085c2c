// The campaign of bench/campaign.bench.mjs: 100,000 recipients (or
// CAMPAIGN_RECIPIENTS) with mixed consent in Postgres, sent with sendCampaign()
// through a drained streamTransport with the plugin on it. Needs the built
// package (`npm run build`) and Postgres (DATABASE_URL, or CI=true).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { databaseUrl } from '../store/pg-env.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const recipients = process.env.CAMPAIGN_RECIPIENTS ?? '100000'

test.skipIf(!databaseUrl)(`a campaign of ${Number(recipients).toLocaleString('en-US')} recipients: every one sent or skipped as its consent says, heap bounded`, async () => {
  if (!existsSync(`${root}dist/nodemailer/index.js`)) throw new Error('dist/ is missing: run `npm run build` first')
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--expose-gc', 'bench/run.mjs', 'campaign'],
      { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl, CAMPAIGN_RECIPIENTS: recipients }, timeout: 2_400_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    )
  })
  console.log(output)
  expect(output).toMatch(/PASS campaign/)
  expect(output).not.toMatch(/FAIL/)
  expect(code).toBe(0)
}, 2_400_000)
