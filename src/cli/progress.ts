import type { CliIo } from './io.js'
import { count } from './io.js'

/** A progress line on stderr, drawn only on a terminal and at most 10 times a second. */
export interface Progress {
  /** Advances by `n` items. */
  tick(n?: number): void
  /** Erases the line. */
  done(): void
}

const WIDTH = 24

/** A bar when `total` is known, a running count otherwise. Silent when stderr is not a TTY. */
export function progress(io: CliIo, label: string, total?: number, unit = 'rows'): Progress {
  const stream = io.stderr
  if (!stream.isTTY) return { tick() {}, done() {} }
  const started = Date.now()
  let value = 0
  let drawn = 0
  const draw = () => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001)
    const rate = `${count(Math.round(value / seconds))} ${unit}/s`
    let line: string
    if (total !== undefined && total > 0) {
      const ratio = Math.min(value / total, 1)
      const filled = Math.round(ratio * WIDTH)
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${count(value)}/${count(total)} ${unit} ${rate}`
    } else {
      line = `${label} ${count(value)} ${unit} ${rate}`
    }
    stream.write(`\r\x1b[2K${line}`)
    drawn = Date.now()
  }
  return {
    tick(n = 1) {
      value += n
      if (Date.now() - drawn >= 100 || value === total) draw()
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K')
    },
  }
}
