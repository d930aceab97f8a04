// Retention by category age. A daily partition whose every row has expired (its day is
// older than the longest max age in force) is dropped whole; younger partitions lose only
// the expired categories' rows, deleted in bounded chunks so no statement holds locks long.
import type { Engine } from './engine.js'
import { StoreQueryError } from './errors.js'
import type { Partitions } from './partitions.js'
import { parseDuration } from './time.js'
import type { RetentionOptions, RetentionResult } from './types.js'

const DAY = 86_400_000

export async function applyRetention(
  engine: Engine,
  parts: Partitions,
  options: RetentionOptions,
): Promise<RetentionResult> {
  const now = options.now ?? new Date()
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new StoreQueryError('now', 'expected a valid Date')
  const chunk = options.chunkSize ?? 10_000
  if (!Number.isInteger(chunk) || chunk < 1)
    throw new StoreQueryError('chunkSize', 'expected a positive integer')
  const rules = new Map<string, number>()
  for (const [category, age] of Object.entries(options.categories ?? {})) {
    if (!category) throw new StoreQueryError('categories', 'a category name must not be empty')
    rules.set(category, parseDuration(age, `categories.${category}`))
  }
  const defaultAge =
    options.default === undefined ? undefined : parseDuration(options.default, 'default')
  const dryRun = options.dryRun === true
  const result: RetentionResult = { dropped_partitions: [], deleted_rows: 0 }
  if (dryRun) result.dry_run = true
  if (rules.size === 0 && defaultAge === undefined) return result
  // Rows before this instant sit in partitions dropped whole (only matters in a dry run).
  let droppedUntil = 0

  // A partition can go whole only when nothing in it may be kept: with a default age, the
  // longest age of all; without one, never (unlisted categories are kept forever).
  const longest = defaultAge === undefined ? undefined : Math.max(defaultAge, ...rules.values())
  if (longest !== undefined) {
    for (const p of await parts.list()) {
      const end = Date.parse(`${p.day}T00:00:00Z`) + DAY
      if (end <= now.getTime() - longest) {
        // The name comes from the catalog and matched events_pYYYYMMDD.
        if (!dryRun) await engine.exec(`DROP TABLE IF EXISTS ${p.name}`)
        result.dropped_partitions.push(p.name)
        droppedUntil = Math.max(droppedUntil, end)
      }
    }
    if (result.dropped_partitions.length && !dryRun) parts.reset()
  }

  const deleteWhere = async (where: string, params: unknown[]): Promise<void> => {
    if (dryRun) {
      const { rows } = await engine.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE ${where} AND "timestamp" >= $3::timestamptz`,
        [...params, new Date(droppedUntil).toISOString()],
      )
      result.deleted_rows += Number(rows[0]?.n ?? 0)
      return
    }
    // Batches by primary key: each DELETE touches at most `chunk` rows.
    for (;;) {
      const r = await engine.query(
        `DELETE FROM events WHERE (id, "timestamp") IN (
           SELECT id, "timestamp" FROM events WHERE ${where} LIMIT ${chunk}
         )`,
        params,
      )
      result.deleted_rows += r.rowCount
      if (r.rowCount < chunk) return
    }
  }
  for (const [category, age] of rules) {
    const cutoff = new Date(now.getTime() - age).toISOString()
    await deleteWhere(`category = $1 AND "timestamp" < $2::timestamptz`, [category, cutoff])
  }
  if (defaultAge !== undefined) {
    const cutoff = new Date(now.getTime() - defaultAge).toISOString()
    const listed = [...rules.keys()]
    await deleteWhere(
      `(category IS NULL OR NOT (category = ANY($1::text[]))) AND "timestamp" < $2::timestamptz`,
      [listed, cutoff],
    )
  }
  return result
}
