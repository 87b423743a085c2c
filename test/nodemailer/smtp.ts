// A real SMTP server on loopback that keeps every message it receives, raw.
import { SMTPServer } from 'smtp-server'

export interface Received {
  /** The message bytes as they arrived. */
  raw: Buffer
  /** RCPT TO addresses. */
  rcptTo: string[]
  mailFrom: string
}

export interface CaptureServer {
  port: number
  messages: Received[]
  /** Resolves once `count` messages have arrived in total. */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>
  close(): Promise<void>
}

export async function startCaptureServer(): Promise<CaptureServer> {
  const messages: Received[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 20 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        messages.push({
          raw: Buffer.concat(chunks),
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        })
        for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve()
        callback()
      })
    },
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    messages,
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${count} messages arrived`)), timeoutMs)
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(messages)) })
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
