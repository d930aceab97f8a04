// Event pages (offset or keyset cursor) and streaming export.
import type { ThreadlineEvent } from '@threadline/core'
import type { Engine } from './engine.js'
import { StoreQueryError } from './errors.js'
import { exportHeader, exportLine } from './format.js'
import { canonicalFilters, intOption, Params, whereClauses, whereSql } from './filters.js'
import { show } from './time.js'
import type { ExportOptions, QueryOptions, QueryResult, SortField, SortOrder } from './types.js'

/** Sort fields: name -> non-null SQL expression and its type (for the cursor's cast). */
const SORTS: Record<SortField, { expr: string; type: string }> = {
  timestamp: { expr: '"timestamp"', type: 'timestamptz' },
  level: { expr: 'level_value', type: 'smallint' },
  duration_ms: { expr: 'coalesce(duration_ms, -1)', type: 'float8' },
  cost_usd: { expr: 'coalesce(cost_usd, -1)', type: 'float8' },
  status_code: { expr: 'coalesce(http_status_code, 0)', type: 'smallint' },
  service: { expr: 'service', type: 'text' },
  category: { expr: "coalesce(category, '')", type: 'text' },
  event: { expr: "coalesce(event, '')", type: 'text' },
  total_tokens: { expr: 'coalesce(llm_total_tokens, -1)', type: 'int' },
}

const PAGE_KEYS = new Set(['limit', 'offset', 'cursor', 'sort_by', 'sort_order', 'with_total'])
const EXPORT_KEYS = new Set(['format', 'limit', 'sort_by', 'sort_order'])
export const MAX_LIMIT = 10_000

interface Cursor {
  s: SortField
  o: SortOrder
  /** Sort value as text, then timestamp as text, then id: the keyset. */
  v: string
  t: string
  i: string
}

const encodeCursor = (c: Cursor): string => Buffer.from(JSON.stringify(c)).toString('base64url')

function decodeCursor(raw: unknown, sort: SortField, order: SortOrder): Cursor {
  if (typeof raw !== 'string' || raw.length > 4096)
    throw new StoreQueryError('cursor', 'expected the next_cursor string of a previous page')
  let c: Partial<Cursor>
  try {
    c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>
  } catch {
    throw new StoreQueryError('cursor', 'not a cursor this store issued')
  }
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.v !== 'string' ||
    typeof c.t !== 'string' ||
    typeof c.i !== 'string'
  )
    throw new StoreQueryError('cursor', 'not a cursor this store issued')
  if (c.s !== sort || c.o !== order) {
    const s = typeof c.s === 'string' && Object.hasOwn(SORTS, c.s) ? c.s : '?'
    const o = c.o === 'asc' || c.o === 'desc' ? c.o : '?'
    throw new StoreQueryError('cursor', `issued for sort ${s} ${o}, not ${sort} ${order}`)
  }
  // A cursor is plain base64url JSON, so anyone can write one: every value must be one the
  // database can cast, or the query would fail there instead of here.
  if (!validTimestamp(c.t) || !validSortValue(SORTS[sort].type, c.v) || !validId(c.i))
    throw new StoreQueryError('cursor', 'not a cursor this store issued')
  return c as Cursor
}

/** `timestamptz::text` as PostgreSQL writes it (`2026-12-03 08:41:50.123+00`), or ISO. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)?$/
function validTimestamp(t: string): boolean {
  const m = TIMESTAMP.exec(t)
  if (!m) return false
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, se))
  return (
    y >= 1 &&
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    h < 24 &&
    mi < 60 &&
    se < 60
  )
}
const SMALLINT = 32_767
const INT = 2_147_483_647
function validSortValue(type: string, v: string): boolean {
  if (type === 'timestamptz') return validTimestamp(v)
  if (type === 'text') return v.length <= 1000 && !UNSTORABLE.test(v)
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v)) return false
  const n = Number(v)
  if (type === 'float8') return Number.isFinite(n)
  const max = type === 'smallint' ? SMALLINT : INT
  return Number.isInteger(n) && Math.abs(n) <= max
}
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/
const validId = (i: string): boolean => i.length > 0 && i.length <= 512 && !UNSTORABLE.test(i)

function sortOf(options: { sort_by?: unknown; sort_order?: unknown }): {
  sort: SortField
  order: SortOrder
} {
  const by =
    options.sort_by === undefined || options.sort_by === 'created_at'
      ? 'timestamp'
      : options.sort_by
  if (typeof by !== 'string' || !Object.hasOwn(SORTS, by))
    throw new StoreQueryError(
      'sort_by',
      `${show(by)} is not sortable (${Object.keys(SORTS).join(', ')})`,
    )
  const order = options.sort_order ?? 'desc'
  if (order !== 'asc' && order !== 'desc')
    throw new StoreQueryError('sort_order', `expected asc or desc, got ${show(order)}`)
  return { sort: by as SortField, order }
}

interface PageRow {
  body: ThreadlineEvent
  _v: string
  _t: string
  id: string
}

/** One page of events, newest first unless told otherwise. */
export async function queryEvents(
  engine: Engine,
  options: QueryOptions,
  now: Date,
): Promise<QueryResult> {
  const f = canonicalFilters(options, PAGE_KEYS) as QueryOptions
  const limit = intOption('limit', f.limit, 1, MAX_LIMIT, 100)
  const offset = intOption('offset', f.offset, 0, 1_000_000, 0)
  if (typeof f.with_total !== 'undefined' && typeof f.with_total !== 'boolean')
    throw new StoreQueryError('with_total', 'expected true or false')
  const { sort, order } = sortOf(f)
  const { expr, type } = SORTS[sort]
  const params = new Params()
  const where = whereClauses(f, params, now)
  const filterWhere = [...where]
  const filterParams = [...params.values]
  if (f.cursor !== undefined) {
    if (offset) throw new StoreQueryError('cursor', 'use either cursor or offset, not both')
    const c = decodeCursor(f.cursor, sort, order)
    const cmp = order === 'desc' ? '<' : '>'
    const keyset =
      sort === 'timestamp'
        ? `("timestamp", id) ${cmp} (${params.add(c.t)}::timestamptz, ${params.add(c.i)})`
        : `(${expr}, "timestamp", id) ${cmp} (${params.add(c.v)}::${type}, ${params.add(c.t)}::timestamptz, ${params.add(c.i)})`
    where.push(keyset)
  }
  const dir = order === 'desc' ? 'DESC' : 'ASC'
  const orderBy =
    sort === 'timestamp'
      ? `"timestamp" ${dir}, id ${dir}`
      : `${expr} ${dir}, "timestamp" ${dir}, id ${dir}`
  const sql = `SELECT body, (${expr})::text AS _v, "timestamp"::text AS _t, id
                 FROM events ${whereSql(where)}
                ORDER BY ${orderBy}
                LIMIT ${params.add(limit + 1)} OFFSET ${params.add(offset)}`
  const { rows } = await engine.query<PageRow>(sql, params.values)
  const more = rows.length > limit
  const page = more ? rows.slice(0, limit) : rows
  const last = page.at(-1)
  const result: QueryResult = {
    events: page.map((r) => r.body),
    next_cursor:
      more && last ? encodeCursor({ s: sort, o: order, v: last._v, t: last._t, i: last.id }) : null,
    limit,
    offset,
  }
  if (f.with_total) {
    const { rows: c } = await engine.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM events ${whereSql(filterWhere)}`,
      filterParams,
    )
    result.total = Number(c[0]?.n ?? 0)
  }
  return result
}

/** Rows per page while exporting: memory stays bounded by one page. */
const EXPORT_PAGE = 2000

/**
 * The export as text chunks (one per page), walking the matches by keyset. Every option is
 * checked when this is called, before any chunk: a bad one throws here, not mid-stream.
 */
export function exportEvents(
  engine: Engine,
  options: ExportOptions,
  now: Date,
): AsyncGenerator<string> {
  const f = canonicalFilters(options, EXPORT_KEYS) as ExportOptions & { sort_by?: unknown }
  const format = f.format ?? 'csv'
  if (format !== 'csv' && format !== 'jsonl')
    throw new StoreQueryError('format', `expected csv or jsonl, got ${show(format)}`)
  const max = intOption('limit', f.limit, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  if (f.sort_by !== undefined && f.sort_by !== 'timestamp' && f.sort_by !== 'created_at')
    throw new StoreQueryError(
      'sort_by',
      `an export is in time order: timestamp, not ${show(f.sort_by)}`,
    )
  const { order } = sortOf({ sort_order: f.sort_order ?? 'asc' })
  const { sort_by: _sort, ...filters } = f
  whereClauses(filters, new Params(), now)
  return exportPages(engine, filters, format, max, order, now)
}

async function* exportPages(
  engine: Engine,
  f: ExportOptions,
  format: 'csv' | 'jsonl',
  max: number,
  order: SortOrder,
  now: Date,
): AsyncGenerator<string> {
  if (format === 'csv') yield exportHeader()
  let sent = 0
  let after: { t: string; i: string } | undefined
  while (sent < max) {
    const params = new Params()
    const where = whereClauses(f, params, now)
    const cmp = order === 'desc' ? '<' : '>'
    if (after)
      where.push(
        `("timestamp", id) ${cmp} (${params.add(after.t)}::timestamptz, ${params.add(after.i)})`,
      )
    const dir = order === 'desc' ? 'DESC' : 'ASC'
    const { rows } = await engine.query<PageRow>(
      `SELECT body, "timestamp"::text AS _t, id FROM events ${whereSql(where)}
        ORDER BY "timestamp" ${dir}, id ${dir} LIMIT ${params.add(Math.min(EXPORT_PAGE, max - sent))}`,
      params.values,
    )
    if (rows.length === 0) return
    let chunk = ''
    for (const r of rows) chunk += exportLine(r.body, format)
    sent += rows.length
    const last = rows[rows.length - 1]!
    after = { t: last._t, i: last.id }
    yield chunk
    if (rows.length < EXPORT_PAGE) return
  }
}
