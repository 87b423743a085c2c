import { createRequire } from 'node:module'
import { StoreError } from '../errors.js'

/**
 * Loads an optional peer driver synchronously, from where this package is
 * installed (tsup shims `import.meta.url` in the CommonJS build). A missing
 * package becomes a `driver-missing` error that says what to install.
 */
export function loadDriver<T>(name: string): T {
  const load = createRequire(import.meta.url)
  try {
    return load(name) as T
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code
    if ((code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && String((err as Error).message).includes(`'${name}'`)) {
      throw new StoreError('driver-missing', `the optional driver "${name}" is not installed: run \`npm i ${name}\``, { cause: err })
    }
    throw new StoreError('driver-missing', `the driver "${name}" failed to load: ${(err as Error).message}`, { cause: err })
  }
}
