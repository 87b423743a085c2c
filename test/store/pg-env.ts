// Where the Postgres tests connect: DATABASE_URL, or the CI database when CI=true (then they must run).
export const CI_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

export const databaseUrl: string | undefined = process.env.DATABASE_URL || (process.env.CI === 'true' ? CI_DATABASE_URL : undefined)

if (!databaseUrl) {
  console.warn(`Postgres store tests skipped: set DATABASE_URL (e.g. ${CI_DATABASE_URL}) or CI=true to run them.`)
}

/** A schema name unique to this run, so parallel runs on a shared database never meet. */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
}
