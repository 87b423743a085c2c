import { createHash } from 'node:crypto'
import type { Category, ConsentRecord } from '../policy/types.js'
import { compile, transform, type CompiledEmail, type EmailInput, type RenderOptions, type TransformOptions, type TransformResult } from '../transform.js'

/** Default number of compiled templates the plugin keeps. */
export const DEFAULT_TEMPLATE_CACHE = 32

/** A digest of everything `compile()` reads from the email, so keys stay small. */
function keyOf(email: EmailInput): string {
  const hash = createHash('sha256')
  for (const part of [email.html, email.text, email.amp]) {
    // Length prefixes keep ('ab', 'c') and ('a', 'bc') apart.
    if (part === undefined) hash.update('-|')
    else hash.update(`${part.length}:`).update(part).update('|')
  }
  for (const [name, value] of Object.entries(email.headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(`${name.length}:${name}${value.length}:`).update(value)
  return hash.digest('base64')
}

/** Bounded map whose least recently used key goes first. */
class Lru<V> {
  readonly #entries = new Map<string, V>()
  constructor(readonly size: number) {}

  get(key: string): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, value)
    }
    return value
  }

  set(key: string, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.size) this.#entries.delete(this.#entries.keys().next().value!)
  }
}

/**
 * Renders messages through `compile()` once an email comes back: a campaign
 * sent one `sendMail()` at a time parses its template once and each later
 * message only decides, signs and concatenates. An email seen for the first
 * time goes through `transform()`, which plans only the variant it needs, so
 * one-off messages cost no more than without the cache.
 */
export class TemplateCache {
  readonly #options: TransformOptions
  readonly #compiled: Lru<CompiledEmail>
  readonly #seen: Lru<true>

  constructor(options: TransformOptions, size: number) {
    this.#options = options
    this.#compiled = new Lru(size)
    this.#seen = new Lru(size * 4)
  }

  /** Same result as `transform(email, consent, category, { ...options, ...render })`. Throws what it throws. */
  render(email: EmailInput, consent: ConsentRecord | null, category: Category, render: RenderOptions): Promise<TransformResult> {
    if (this.#compiled.size === 0) return transform(email, consent, category, { ...this.#options, ...render })
    const key = keyOf(email)
    let compiled = this.#compiled.get(key)
    if (!compiled) {
      if (this.#seen.get(key) === undefined) {
        this.#seen.set(key, true)
        return transform(email, consent, category, { ...this.#options, ...render })
      }
      compiled = compile(email, this.#options)
      this.#compiled.set(key, compiled)
    }
    return compiled.render(consent, category, render)
  }
}
