// From a wire event to one row of the `events` table: validation, the typed values, and
// the COPY text encoding of those values.
import { LEVEL_VALUES, type Level, type ThreadlineEvent } from '@threadline/core'
import { MAX_KEY_CHARS, prepareEvent, RowError } from './prepare.js'

export { MAX_TIME, MIN_TIME, RowError } from './prepare.js'

/**
 * Written columns, in COPY / INSERT order. `attributes` and `search` are generated from
 * `body` and `message`, and `received_at` defaults, in PostgreSQL.
 */
export const COPY_COLUMNS = [
  'id',
  'timestamp',
  'kind',
  'level',
  'level_value',
  'message',
  'service',
  'environment',
  'service_version',
  'category',
  'event',
  'trace_id',
  'span_id',
  'parent_span_id',
  'request_id',
  'org_id',
  'user_id',
  'session_id',
  'resource_type',
  'resource_id',
  'action',
  'name',
  'span_kind',
  'status',
  'duration_ms',
  'cost_usd',
  'http_method',
  'http_route',
  'http_status_code',
  'http_outcome',
  'llm_provider',
  'llm_model',
  'llm_input_tokens',
  'llm_output_tokens',
  'llm_total_tokens',
  'error_type',
  'error_message',
  'error_fingerprint',
  'tags',
  'body',
] as const

export type RowValue = string | number | null | string[]
export type Row = RowValue[]

const INT32_MAX = 2_147_483_647

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const int = (v: unknown, max = INT32_MAX): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : null

function key(event: Record<string, unknown>, field: string): string | null {
  const v = event[field]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new RowError(`${field} must be a string`)
  if (v.length > MAX_KEY_CHARS) throw new RowError(`${field} is longer than ${MAX_KEY_CHARS}`)
  return v
}

/** The row for one event, or a `RowError` saying why it cannot be stored. */
export function toRow(event: ThreadlineEvent): Row {
  return prepareRow(event).row
}

/** The row and what preparing the event dropped (see `prepareEvent`). */
export function prepareRow(event: unknown): { row: Row; dropped: number } {
  const { event: e, dropped } = prepareEvent(event)
  const level = e.level as Level
  const http = isObject(e.http) ? e.http : {}
  const llm = isObject(e.llm) ? e.llm : {}
  const error = isObject(e.error) ? e.error : {}
  const tags = Array.isArray(e.tags)
    ? e.tags.filter((t): t is string => typeof t === 'string')
    : null
  const row: Row = [
    e.id as string,
    new Date(e.timestamp as string).toISOString(),
    e.kind as string,
    level,
    LEVEL_VALUES[level],
    text(e.message),
    key(e, 'service') ?? 'unknown_service',
    key(e, 'environment'),
    key(e, 'service_version'),
    key(e, 'category'),
    key(e, 'event'),
    key(e, 'trace_id'),
    key(e, 'span_id'),
    key(e, 'parent_span_id'),
    key(e, 'request_id'),
    key(e, 'org_id'),
    key(e, 'user_id'),
    key(e, 'session_id'),
    key(e, 'resource_type'),
    key(e, 'resource_id'),
    key(e, 'action'),
    text(e.name),
    key(e, 'span_kind'),
    key(e, 'status'),
    num(e.duration_ms),
    num(e.cost_usd),
    text(http.method),
    text(http.route),
    int(http.status_code, 32_767),
    text(http.outcome),
    text(llm.provider),
    text(llm.model),
    int(llm.input_tokens),
    int(llm.output_tokens),
    int(llm.total_tokens),
    text(error.type),
    text(error.message),
    typeof error.fingerprint === 'string' ? key(error, 'fingerprint') : null,
    tags,
    JSON.stringify(e),
  ]
  return { row, dropped }
}

// ------------------------------------------------------------ COPY text format

const NEEDS_COPY_ESCAPE = /[\\\n\r\t]/
const COPY_ESCAPES = /[\\\n\r\t]/g
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const copyEscape = (s: string): string =>
  NEEDS_COPY_ESCAPE.test(s) ? s.replace(COPY_ESCAPES, (c) => ESCAPED[c]!) : s

/** An array literal `{"a","b"}` (then COPY-escaped like any text). */
export const arrayLiteral = (items: readonly string[]): string =>
  `{${items.map((s) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`

function copyCell(v: RowValue): string {
  if (v === null) return '\\N'
  if (typeof v === 'number') return String(v)
  if (Array.isArray(v)) return copyEscape(arrayLiteral(v))
  return copyEscape(v)
}

/** One COPY text line (with its newline) for a row. */
export function copyLine(row: Row): string {
  let line = copyCell(row[0]!)
  for (let i = 1; i < row.length; i++) line += '\t' + copyCell(row[i]!)
  return line + '\n'
}

/** COPY text for events that are all valid (throws `RowError` otherwise). */
export function encodeCopyRows(events: readonly ThreadlineEvent[]): string {
  let out = ''
  for (const e of events) out += copyLine(toRow(e))
  return out
}

/** The UTC day (`YYYY-MM-DD`) of a row, for its partition. */
export const rowDay = (row: Row): string => (row[1] as string).slice(0, 10)
