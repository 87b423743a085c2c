import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { ConsentEvent } from '../../src/store/index.js'
import { createSqliteStore } from '../../src/store/sqlite.js'

const writer = fileURLToPath(new URL('./crash-writer.mjs', import.meta.url))
const built = fileURLToPath(new URL('../../dist/store/sqlite.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'etc-durability-'))

interface Ack {
  seq: number
  id: string
  hash: string
}

/** Starts a writer child and collects its acknowledgements line by line. */
function startWriter(file: string, label: string, count?: number): { child: ChildProcess; acks: Ack[]; exited: Promise<NodeJS.Signals | number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [writer, file, label, ...(count ? [String(count)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] })
  const acks: Ack[] = []
  let err = ''
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [word, seq, id, hash] = line.split(' ')
    if (word === 'ack') acks.push({ seq: Number(seq), id: id!, hash: hash! })
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
  return { child, acks, exited, stderr: () => err }
}

async function readAll(file: string): Promise<{ events: Map<string, ConsentEvent>; verify: Awaited<ReturnType<ReturnType<typeof createSqliteStore>['verify']>> }> {
  const store = createSqliteStore({ database: file })
  try {
    const events = new Map<string, ConsentEvent>()
    for await (const e of store.export()) events.set(e.id, e)
    return { events, verify: await store.verify() }
  } finally {
    await store.close()
  }
}

beforeAll(() => {
  if (!existsSync(built)) throw new Error('dist/store/sqlite.js is missing: run `npm run build` first (npm test does)')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('SQLite durability', () => {
  test('SIGKILL mid-stream loses no acknowledged event and leaves a valid chain', async () => {
    const file = join(dir, 'crash.db')
    const run = startWriter(file, 'crash')
    // Kill while the child is writing as fast as it can, after a few hundred acknowledgements.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (run.acks.length >= 300) {
          clearInterval(timer)
          run.child.kill('SIGKILL')
          resolve()
        }
      }, 1)
      run.exited.then(() => reject(new Error(`writer exited early: ${run.stderr()}`)), reject)
    })
    expect(await run.exited).toBe('SIGKILL')
    const acked = [...run.acks]
    expect(acked.length).toBeGreaterThanOrEqual(300)

    const { events, verify } = await readAll(file)
    expect(verify.ok).toBe(true)
    expect(events.size).toBeGreaterThanOrEqual(acked.length)
    for (const ack of acked) {
      const stored = events.get(ack.id)
      expect(stored && [stored.seq, stored.hash]).toEqual([ack.seq, ack.hash])
    }
    // The reopened file takes new writes that continue the same chain.
    const store = createSqliteStore({ database: file })
    const next = await store.record({ contactId: 'c-after', type: 'grant', at: new Date(), source: 'api' })
    expect(next.seq).toBe(events.size + 1)
    expect((await store.verify()).ok).toBe(true)
    await store.close()
  })

  test('two processes writing one file at once keep seq gapless and the chain valid', async () => {
    const file = join(dir, 'shared.db')
    const a = startWriter(file, 'a', 150)
    const b = startWriter(file, 'b', 150)
    const exits = [await a.exited, await b.exited]
    expect(exits, `writer stderr: a: ${a.stderr()} b: ${b.stderr()}`).toEqual([0, 0])
    const { events, verify } = await readAll(file)
    expect(verify).toMatchObject({ ok: true, checked: 300 })
    expect(events.size).toBe(300)
    const seqs = [...events.values()].map((e) => e.seq).sort((x, y) => x - y)
    expect(seqs).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    for (const ack of [...a.acks, ...b.acks]) expect(events.get(ack.id)?.hash).toBe(ack.hash)
  })
})
