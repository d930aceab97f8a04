// Daily partitions of `events`: created on the first write of a day, listed and dropped
// by retention.
import type { Engine } from './engine.js'

/** `events_p20261122` for `2026-11-22`. */
export const partitionName = (day: string): string => `events_p${day.replaceAll('-', '')}`

const nextDay = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)

export interface Partitions {
  /** Make sure a partition exists for each UTC day (`YYYY-MM-DD`). */
  ensure(days: Iterable<string>): Promise<void>
  /** Forget what is known to exist (after a drop, or when a write says one is missing). */
  reset(): void
  list(): Promise<{ name: string; day: string }[]>
}

export function partitions(engine: Engine, schema: string): Partitions {
  const known = new Set<string>()
  return {
    async ensure(days) {
      const missing = [...new Set(days)].filter((d) => !known.has(d))
      if (missing.length === 0) return
      await engine.transaction(async (tx) => {
        // Serialise creation across processes; IF NOT EXISTS alone races on the catalog.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
          `threadline.partitions.${schema}`,
        ])
        for (const day of missing) {
          // `day` comes from toISOString(): digits and dashes only.
          await tx.exec(
            `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF events
               FOR VALUES FROM ('${day} 00:00:00+00') TO ('${nextDay(day)} 00:00:00+00')`,
          )
        }
      })
      for (const d of missing) known.add(d)
    },
    reset() {
      known.clear()
    },
    async list() {
      const { rows } = await engine.query<{ name: string }>(
        `SELECT c.relname AS name
           FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           JOIN pg_namespace n ON n.oid = p.relnamespace
          WHERE p.relname = 'events' AND n.nspname = $1
          ORDER BY c.relname`,
        [schema],
      )
      return rows
        .map((r) => ({ name: r.name, m: /^events_p(\d{4})(\d{2})(\d{2})$/.exec(r.name) }))
        .filter((r) => r.m)
        .map((r) => ({ name: r.name, day: `${r.m![1]}-${r.m![2]}-${r.m![3]}` }))
    },
  }
}
