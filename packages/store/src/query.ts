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
const EXPORT_KEYS = new Set(['format', 'limit', 'sort_order'])
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
  if (c.s !== sort || c.o !== order)
    throw new StoreQueryError('cursor', `issued for sort ${c.s} ${c.o}, not ${sort} ${order}`)
  return c as Cursor
}

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

/** The export as text chunks (one per page), walking the matches by keyset. */
export async function* exportEvents(
  engine: Engine,
  options: ExportOptions,
  now: Date,
): AsyncGenerator<string> {
  const f = canonicalFilters(options, EXPORT_KEYS) as ExportOptions
  const format = f.format ?? 'csv'
  if (format !== 'csv' && format !== 'jsonl')
    throw new StoreQueryError('format', `expected csv or jsonl, got ${show(format)}`)
  const max = intOption('limit', f.limit, 1, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  const { order } = sortOf({ sort_order: f.sort_order ?? 'asc' })
  // Validate the filters before the first chunk, so a bad one fails the call, not mid-stream.
  whereClauses(f, new Params(), now)
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
