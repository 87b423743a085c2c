// Runs every bench/*.bench.mjs in name order (or those named on the command
// line) against the built package in dist/. Each file prints its own tables.
import { readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const dir = new URL('.', import.meta.url)
const only = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort()
let failed = false
for (const file of files) {
  console.log(`\n# ${file}`)
  const mod = await import(pathToFileURL(new URL(file, dir).pathname).href)
  const ok = await mod.default()
  if (ok === false) failed = true
}
if (failed) {
  console.log('\nSome targets were missed (see FAIL lines above).')
  process.exitCode = 1
}
