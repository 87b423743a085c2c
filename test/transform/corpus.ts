// Loads every corpus file as email parts: HTML files as-is, raw messages
// (.eml and extensionless files) through mailparser.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'

export interface CorpusEmail {
  /** Path under test/fixtures/corpus. */
  name: string
  html?: string
  text?: string
}

export const CORPUS_DIR = new URL('../fixtures/corpus/', import.meta.url).pathname

/** Every corpus file, sorted by name. */
export async function loadCorpus(): Promise<CorpusEmail[]> {
  const out: CorpusEmail[] = []
  for (const dir of readdirSync(CORPUS_DIR).sort()) {
    const d = join(CORPUS_DIR, dir)
    if (!statSync(d).isDirectory()) continue
    for (const file of readdirSync(d).sort()) {
      const name = `${dir}/${file}`
      const raw = readFileSync(join(d, file))
      if (file.endsWith('.html')) {
        out.push({ name, html: raw.toString('utf8') })
        continue
      }
      const parsed = await simpleParser(raw)
      const email: CorpusEmail = { name }
      if (typeof parsed.html === 'string') email.html = parsed.html
      if (typeof parsed.text === 'string' && parsed.text !== '') email.text = parsed.text
      out.push(email)
    }
  }
  return out
}
