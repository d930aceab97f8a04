// Ingest: COPY per chunk on the fast path; a retried batch (duplicate ids) falls back to
// INSERT ... ON CONFLICT DO NOTHING; a row the database refuses is isolated by bisection
// so its neighbours are still stored.
import type { ThreadlineEvent } from '@threadline/core'
import { COPY_COLUMNS, copyLine, RowError, rowDay, toRow, type Row } from './copy.js'
import type { Engine } from './engine.js'
import type { Partitions } from './partitions.js'
import type { InsertResult, RejectedEvent } from './types.js'

/** PostgreSQL caps bound parameters per statement at 65,535. */
export const MAX_PARAMS = 65_535

const COLUMN_LIST = COPY_COLUMNS.map((c) => (c === 'timestamp' ? '"timestamp"' : c)).join(', ')
const COPY_SQL = `COPY events (${COLUMN_LIST}) FROM STDIN`
const CASTS: Partial<Record<(typeof COPY_COLUMNS)[number], string>> = {
  timestamp: 'timestamptz',
  tags: 'text[]',
  attributes: 'jsonb',
  body: 'jsonb',
}

interface Pending {
  index: number
  row: Row
}

const errorCode = (error: unknown): string =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : ''

/** Data errors are the row's fault (bad value, constraint, size); others are the connection's. */
const isRowError = (error: unknown): boolean => /^(22|23|54)/.test(errorCode(error))
const isMissingPartition = (error: unknown): boolean =>
  errorCode(error) === '23514' && /no partition/i.test(String((error as Error).message))

export interface Inserter {
  insert(events: readonly ThreadlineEvent[]): Promise<InsertResult>
}

export function inserter(engine: Engine, parts: Partitions, chunkSize: number): Inserter {
  const rowsPerStatement = Math.max(1, Math.floor(MAX_PARAMS / COPY_COLUMNS.length))

  // PGlite has no autovacuum: without statistics the planner sorts whole partitions for a
  // 100-row page. Analyze after the table has grown by a fifth (at least 5,000 rows).
  let sinceAnalyze = 0
  let analyzedRows = 0
  async function maybeAnalyze(written: number): Promise<void> {
    if (engine.kind !== 'pglite') return
    sinceAnalyze += written
    if (sinceAnalyze < Math.max(5000, analyzedRows * 0.2)) return
    analyzedRows += sinceAnalyze
    sinceAnalyze = 0
    await engine.exec('ANALYZE events')
  }

  /** Multi-row INSERT that skips ids already stored; returns rows written. */
  async function insertIgnoringDuplicates(rows: readonly Pending[]): Promise<number> {
    let written = 0
    for (let i = 0; i < rows.length; i += rowsPerStatement) {
      const slice = rows.slice(i, i + rowsPerStatement)
      const values: unknown[] = []
      const tuples = slice.map(({ row }) => {
        const start = values.length
        row.forEach((v) => values.push(v))
        return `(${COPY_COLUMNS.map((c, j) => `$${start + j + 1}${CASTS[c] ? '::' + CASTS[c] : ''}`).join(', ')})`
      })
      const r = await engine.query(
        `INSERT INTO events (${COLUMN_LIST}) VALUES ${tuples.join(', ')}
         ON CONFLICT (id, "timestamp") DO NOTHING`,
        values,
      )
      written += r.rowCount
    }
    return written
  }

  /** Insert rows, splitting around rows the database refuses. */
  async function isolate(rows: Pending[], rejected: RejectedEvent[]): Promise<number> {
    try {
      return await insertIgnoringDuplicates(rows)
    } catch (error) {
      if (!isRowError(error)) throw error
      if (rows.length === 1) {
        const { index, row } = rows[0]!
        rejected.push({ index, id: row[0] as string, reason: (error as Error).message })
        return 0
      }
      const mid = rows.length >> 1
      return (
        (await isolate(rows.slice(0, mid), rejected)) + (await isolate(rows.slice(mid), rejected))
      )
    }
  }

  async function writeChunk(rows: Pending[], rejected: RejectedEvent[]): Promise<number> {
    await parts.ensure(rows.map((p) => rowDay(p.row)))
    let text = ''
    for (const p of rows) text += copyLine(p.row)
    try {
      return await engine.copyFrom(COPY_SQL, text)
    } catch (error) {
      if (isMissingPartition(error)) {
        // Dropped by retention in another process since we cached it.
        parts.reset()
        await parts.ensure(rows.map((p) => rowDay(p.row)))
        return isolate(rows, rejected)
      }
      if (errorCode(error) === '23505' || isRowError(error)) return isolate(rows, rejected)
      throw error
    }
  }

  return {
    async insert(events) {
      const rejected: RejectedEvent[] = []
      const pending: Pending[] = []
      events.forEach((event, index) => {
        try {
          pending.push({ index, row: toRow(event) })
        } catch (error) {
          const id = (event as { id?: unknown } | null)?.id
          const reason =
            error instanceof RowError ? error.message : `unreadable event: ${String(error)}`
          rejected.push({ index, id: typeof id === 'string' ? id : undefined, reason })
        }
      })
      let inserted = 0
      for (let i = 0; i < pending.length; i += chunkSize) {
        inserted += await writeChunk(pending.slice(i, i + chunkSize), rejected)
      }
      rejected.sort((a, b) => a.index - b.index)
      await maybeAnalyze(inserted)
      return {
        inserted,
        duplicates:
          pending.length - inserted - countDbRejects(rejected, events.length - pending.length),
        rejected,
      }
    },
  }
}

/** Rejections made by the database (the others were counted before any SQL). */
const countDbRejects = (rejected: readonly RejectedEvent[], validationRejects: number): number =>
  rejected.length - validationRejects
