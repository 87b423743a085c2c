// The handler reads Accept-Language and User-Agent from the Node bridge's raw
// headers instead of building a Headers object. Over a real socket, for any
// mix of duplicate fields, name cases and surrounding white space, that read
// must equal `request.headers.get()`.
import { createServer, type Server } from 'node:http'
import { connect } from 'node:net'
import { once } from 'node:events'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { headerOf } from '../../src/http/lib/responses.js'
import { toNodeListener } from '../../src/http/node.js'

const NAMES = ['user-agent', 'accept-language', 'x-other']
let server: Server
let port: number

beforeAll(async () => {
  const handler = async (request: Request) => {
    const body = JSON.stringify(Object.fromEntries(NAMES.map((n) => [n, [headerOf(request, n), request.headers.get(n)]])))
    return new Response(body, { headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } })
  }
  server = createServer(toNodeListener(handler))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as { port: number }).port
})
afterAll(() => server.close())

function send(lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    socket.on('data', (d) => (out += d))
    socket.on('end', () => resolve(out))
    socket.on('error', reject)
    socket.write(`GET /x HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}\r\n`)
  })
}

describe('raw header reads', () => {
  test('equal Headers.get for duplicates, any name case, and white space around values', async () => {
    const field = fc.tuple(
      fc.constantFrom(...NAMES).chain((n) => fc.array(fc.boolean(), { minLength: n.length, maxLength: n.length }).map((up) => [...n].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''))),
      fc.stringMatching(/^[ \t]{0,2}[!-~]([ !-~]{0,20}[!-~])?[ \t]{0,2}$/),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(field, { maxLength: 5 }), async (fields) => {
        const response = await send(fields.map(([n, v]) => `${n}:${v}`))
        const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, [string | null, string | null]>
        for (const n of NAMES) expect(body[n]![0], n).toBe(body[n]![1])
      }),
      { numRuns: 200 },
    )
  })
})
