// Versioned migrations: plain SQL files in `migrations/`, applied in order, each recorded in
// `threadline_migrations`. One transaction holds an advisory lock keyed by the schema, so two
// processes opening the same store at once apply each migration exactly once.
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Engine } from './engine.js'

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url))

export interface Migration {
  id: string
  sql: string
}

/** The migrations shipped with the package, in order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }))
}

/** Apply what is pending; resolves with the ids applied now. */
export async function migrate(
  engine: Engine,
  schema: string,
  migrations = loadMigrations(),
): Promise<string[]> {
  return engine.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`threadline.migrate.${schema}`])
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS threadline_migrations (
         id text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    )
    const { rows } = await tx.query<{ id: string }>('SELECT id FROM threadline_migrations')
    const done = new Set(rows.map((r) => r.id))
    const applied: string[] = []
    for (const m of migrations) {
      if (done.has(m.id)) continue
      await tx.exec(m.sql)
      await tx.query('INSERT INTO threadline_migrations (id) VALUES ($1)', [m.id])
      applied.push(m.id)
    }
    return applied
  })
}

export async function appliedMigrations(engine: Engine): Promise<string[]> {
  const { rows } = await engine.query<{ id: string }>(
    'SELECT id FROM threadline_migrations ORDER BY id',
  )
  return rows.map((r) => r.id)
}
