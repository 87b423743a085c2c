import { Option } from 'commander'
import { DEFAULT_STORE_URL } from '../defaults.js'

/** `--store <url>`, defaulting to $ETC_STORE then sqlite:./consent.db. */
export function storeOption(): Option {
  return new Option('--store <url>', 'consent store: sqlite:<file> or postgres://user@host/db[?schema=name]').env('ETC_STORE').default(DEFAULT_STORE_URL)
}
