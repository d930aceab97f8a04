// From a wire event to one row of the `events` table: validation, the typed values, and
// the COPY text encoding of those values.
import { LEVEL_VALUES, toLevel, type ThreadlineEvent } from '@threadline/core'

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

/** Values longer than this in indexed id-like columns are rejected (btree rows are capped). */
const MAX_KEY_CHARS = 512
const INT32_MAX = 2_147_483_647

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

// NUL cannot be stored in PostgreSQL text, and lone surrogates cannot be stored in jsonb.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const cleanText = (s: string): string =>
  UNSTORABLE.test(s) ? s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD') : s

const jsonReplacer = (_key: string, value: unknown): unknown =>
  typeof value === 'string' ? cleanText(value) : value

function toJson(value: unknown): string {
  const json = JSON.stringify(value)
  // JSON.stringify escapes NUL and lone surrogates as \u0000 / \udXXX; jsonb rejects both.
  return /\\u(0000|d[89a-f])/i.test(json) ? JSON.stringify(value, jsonReplacer) : json
}

const text = (v: unknown): string | null => (typeof v === 'string' ? cleanText(v) : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const int = (v: unknown, max = INT32_MAX): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max ? v : null

export class RowError extends Error {}

function key(event: Record<string, unknown>, field: string): string | null {
  const v = event[field]
  if (v === undefined || v === null) return null
  if (typeof v !== 'string') throw new RowError(`${field} must be a string`)
  if (v.length > MAX_KEY_CHARS) throw new RowError(`${field} is longer than ${MAX_KEY_CHARS}`)
  return cleanText(v)
}

/** Timestamps outside these bounds are refused (partitions are named by 4-digit year). */
export const MIN_TIME = Date.UTC(1970, 0, 1)
export const MAX_TIME = Date.UTC(9999, 11, 31)

/** The row for one event, or a `RowError` saying why it cannot be stored. */
export function toRow(event: ThreadlineEvent): Row {
  const e = event as unknown as Record<string, unknown>
  if (!isObject(e)) throw new RowError('event must be an object')
  const id = e.id
  if (typeof id !== 'string' || id.length === 0) throw new RowError('id is missing')
  if (id.length > MAX_KEY_CHARS) throw new RowError(`id is longer than ${MAX_KEY_CHARS}`)
  const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN
  if (!(ts >= MIN_TIME && ts <= MAX_TIME)) throw new RowError('timestamp is not a valid ISO date')
  const kind = e.kind === 'span' ? 'span' : e.kind === 'log' ? 'log' : undefined
  if (!kind) throw new RowError('kind must be "log" or "span"')
  const level = toLevel(e.level)
  if (!level) throw new RowError('level is not a known level')
  const http = isObject(e.http) ? e.http : {}
  const llm = isObject(e.llm) ? e.llm : {}
  const error = isObject(e.error) ? e.error : {}
  const tags = Array.isArray(e.tags)
    ? e.tags.filter((t): t is string => typeof t === 'string').map(cleanText)
    : null
  return [
    cleanText(id),
    new Date(ts).toISOString(),
    kind,
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
    toJson(e),
  ]
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
