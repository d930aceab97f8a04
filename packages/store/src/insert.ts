// Ingest: COPY per chunk on the fast path; a retried batch (duplicate ids) falls back to
// INSERT ... ON CONFLICT DO NOTHING; a row the database refuses is isolated by bisection
// so its neighbours are still stored.
import type { ThreadlineEvent } from '@threadline/core'
import {
  COPY_COLUMNS,
  copyLine,
  MAX_TIME,
  MIN_TIME,
  prepareRow,
  RowError,
  rowDay,
  type Row,
} from './copy.js'
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

/** Rows per piece handed to COPY: small enough to stay in the young generation. */
const SLICE_ROWS = 256

/** UTC days of the events that have a usable timestamp (the others are refused later). */
function daysOf(events: readonly ThreadlineEvent[], start: number, end: number): Set<string> {
  const days = new Set<string>()
  for (let i = start; i < end; i++) {
    const ts = (events[i] as { timestamp?: unknown } | null)?.timestamp
    const ms = typeof ts === 'string' ? Date.parse(ts) : NaN
    if (ms >= MIN_TIME && ms <= MAX_TIME) days.add(new Date(ms).toISOString().slice(0, 10))
  }
  return days
}

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

  /**
   * Write events[start, end): rows are built and COPY-encoded slice by slice while the
   * COPY runs. On a failure the remaining rows are built anyway, then the chunk goes the
   * slow way (INSERT ... ON CONFLICT, bisecting around rows the database refuses).
   */
  async function writeChunk(
    events: readonly ThreadlineEvent[],
    start: number,
    end: number,
    rejected: RejectedEvent[],
    dropped: { keys: number },
  ): Promise<number> {
    const pending: Pending[] = []
    let next = start
    const convert = (index: number): string => {
      const event = events[index]
      try {
        const { row, dropped: d } = prepareRow(event)
        dropped.keys += d
        pending.push({ index, row })
        return copyLine(row)
      } catch (error) {
        const id = (event as { id?: unknown } | null)?.id
        const reason =
          error instanceof RowError ? error.message : `unreadable event: ${String(error)}`
        rejected.push({ index, id: typeof id === 'string' ? id : undefined, reason })
        return ''
      }
    }
    function* slices(): Generator<string> {
      while (next < end) {
        let text = ''
        for (const stop = Math.min(end, next + SLICE_ROWS); next < stop; next++)
          text += convert(next)
        if (text) yield text
      }
    }
    await parts.ensure(daysOf(events, start, end))
    try {
      return await engine.copyFrom(COPY_SQL, slices())
    } catch (error) {
      while (next < end) convert(next++)
      if (isMissingPartition(error)) {
        // Dropped by retention in another process since we cached it.
        parts.reset()
        await parts.ensure(pending.map((p) => rowDay(p.row)))
        return isolate(pending, rejected)
      }
      if (errorCode(error) === '23505' || isRowError(error)) return isolate(pending, rejected)
      throw error
    }
  }

  return {
    async insert(events) {
      const rejected: RejectedEvent[] = []
      const dropped = { keys: 0 }
      let inserted = 0
      for (let i = 0; i < events.length; i += chunkSize) {
        const end = Math.min(events.length, i + chunkSize)
        inserted += await writeChunk(events, i, end, rejected, dropped)
      }
      rejected.sort((a, b) => a.index - b.index)
      await maybeAnalyze(inserted)
      const result: InsertResult = {
        inserted,
        duplicates: events.length - inserted - rejected.length,
        rejected,
      }
      if (dropped.keys > 0) result.dropped_keys = dropped.keys
      return result
    },
  }
}
