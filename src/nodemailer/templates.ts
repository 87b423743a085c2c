import type { Category, ConsentRecord } from '../policy/types.js'
import { compile, transform, type CompiledEmail, type EmailInput, type RenderOptions, type TransformOptions, type TransformResult } from '../transform.js'

/** Default number of compiled templates the plugin keeps. */
export const DEFAULT_TEMPLATE_CACHE = 32

/** One distinct email the plugin saw: compiled from its second sighting on. */
interface Entry {
  html: string | undefined
  text: string | undefined
  amp: string | undefined
  headers: string
  compiled?: CompiledEmail | undefined
}

function headersKey(headers: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(headers ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/**
 * Renders messages through `compile()` once an email comes back: a campaign
 * sent one `sendMail()` at a time parses its template once, and each later
 * message only decides, signs and concatenates. An email seen for the first
 * time goes through `transform()`, which plans only the variant it needs, so
 * one-off messages cost no more than without the cache.
 *
 * Entries are found by the html string itself: a JavaScript engine keeps a
 * string's hash, so a template passed as the same string costs no rehash.
 */
export class TemplateCache {
  readonly #options: TransformOptions
  readonly #size: number
  readonly #byHtml = new Map<string | undefined, Entry[]>()
  /** Every entry, least recently used first. */
  readonly #order = new Set<Entry>()
  #compiledCount = 0

  constructor(options: TransformOptions, size: number) {
    this.#options = options
    this.#size = size
  }

  /** Same result as `transform(email, consent, category, { ...options, ...render })`. Throws what it throws. */
  render(email: EmailInput, consent: ConsentRecord | null, category: Category, render: RenderOptions): Promise<TransformResult> {
    if (this.#size === 0) return transform(email, consent, category, { ...this.#options, ...render })
    const headers = headersKey(email.headers)
    const bucket = this.#byHtml.get(email.html)
    let entry = bucket?.find((e) => e.text === email.text && e.amp === email.amp && e.headers === headers)
    if (!entry) {
      entry = { html: email.html, text: email.text, amp: email.amp, headers }
      if (bucket) bucket.push(entry)
      else this.#byHtml.set(email.html, [entry])
      this.#touch(entry)
      return transform(email, consent, category, { ...this.#options, ...render })
    }
    this.#touch(entry)
    if (!entry.compiled) {
      entry.compiled = compile(email, this.#options)
      if (++this.#compiledCount > this.#size) this.#dropOldestCompiled()
    }
    return entry.compiled.render(consent, category, render)
  }

  #touch(entry: Entry): void {
    this.#order.delete(entry)
    this.#order.add(entry)
    // Seen-once entries are remembered too (without a template), up to four times the size.
    if (this.#order.size > this.#size * 4) {
      const oldest = this.#order.values().next().value!
      this.#order.delete(oldest)
      if (oldest.compiled) this.#compiledCount--
      const bucket = this.#byHtml.get(oldest.html)!
      bucket.splice(bucket.indexOf(oldest), 1)
      if (bucket.length === 0) this.#byHtml.delete(oldest.html)
    }
  }

  #dropOldestCompiled(): void {
    for (const entry of this.#order) {
      if (entry.compiled) {
        entry.compiled = undefined
        this.#compiledCount--
        return
      }
    }
  }
}
