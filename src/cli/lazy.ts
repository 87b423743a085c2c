// Heavy modules (drivers, jose, parse5, the HTTP handler) load only when a command runs, so `--help` and light commands start fast.
import type * as StoreUrl from './store-url.js'
import type * as Keys from './keys.js'

type Fn<T extends (...args: never[]) => unknown> = (...args: Parameters<T>) => ReturnType<T>

export const openStore: Fn<typeof StoreUrl.openStore> = async (...args) => (await import('./store-url.js')).openStore(...args)
export const loadKeys: Fn<typeof Keys.loadKeys> = async (...args) => (await import('./keys.js')).loadKeys(...args)
