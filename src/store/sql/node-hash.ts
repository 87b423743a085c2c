import { createHash } from 'node:crypto'
import type { HashText } from '../chain.js'

/** SHA-256 through node:crypto: the same digest as the portable one, several times faster on the write path. */
export const nodeSha256: HashText = (text) => createHash('sha256').update(text, 'utf8').digest('hex')
