// Child process of the SQLite fault tests: the built HTTP handler on a SQLite
// file behind node:http. Prints "listening <port>", then serves until killed.
import { createServer } from 'node:http'
import { createTokens } from '../../dist/index.js'
import { createHandler } from '../../dist/http/index.js'
import { toNodeListener } from '../../dist/http/node.js'
import { createSqliteStore } from '../../dist/store/sqlite.js'

const [file, secret] = process.argv.slice(2)
const tokens = createTokens({ keys: [{ kid: 'k1', secret }] })
const store = createSqliteStore({ database: file })
const handler = createHandler({ tokens, store, basePath: '/t', logger: { error() {}, warn() {} } })
const server = createServer(toNodeListener(handler))
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`))
