// Export formats: CSV (RFC 4180, safe to open in a spreadsheet) and JSON lines.
import type { ThreadlineEvent } from '@threadline/core'
import type { ExportFormat } from './types.js'

type Pick = (e: ThreadlineEvent) => unknown

/** CSV columns, in order: the typed fields, then tags and attributes as JSON. */
const CSV_COLUMNS: [string, Pick][] = [
  ['id', (e) => e.id],
  ['timestamp', (e) => e.timestamp],
  ['kind', (e) => e.kind],
  ['level', (e) => e.level],
  ['service', (e) => e.service],
  ['environment', (e) => e.environment],
  ['category', (e) => e.category],
  ['event', (e) => e.event],
  ['message', (e) => e.message],
  ['trace_id', (e) => e.trace_id],
  ['span_id', (e) => e.span_id],
  ['parent_span_id', (e) => e.parent_span_id],
  ['request_id', (e) => e.request_id],
  ['org_id', (e) => e.org_id],
  ['user_id', (e) => e.user_id],
  ['session_id', (e) => e.session_id],
  ['resource_type', (e) => e.resource_type],
  ['resource_id', (e) => e.resource_id],
  ['action', (e) => e.action],
  ['name', (e) => (e.kind === 'span' ? e.name : undefined)],
  ['span_kind', (e) => (e.kind === 'span' ? e.span_kind : undefined)],
  ['status', (e) => (e.kind === 'span' ? e.status : undefined)],
  ['duration_ms', (e) => e.duration_ms],
  ['cost_usd', (e) => e.cost_usd],
  ['http_method', (e) => e.http?.method],
  ['http_route', (e) => e.http?.route],
  ['http_path', (e) => e.http?.path],
  ['http_status_code', (e) => e.http?.status_code],
  ['http_outcome', (e) => e.http?.outcome],
  ['llm_provider', (e) => e.llm?.provider],
  ['llm_model', (e) => e.llm?.model],
  ['llm_input_tokens', (e) => e.llm?.input_tokens],
  ['llm_output_tokens', (e) => e.llm?.output_tokens],
  ['llm_total_tokens', (e) => e.llm?.total_tokens],
  ['error_type', (e) => e.error?.type],
  ['error_message', (e) => e.error?.message],
  ['error_fingerprint', (e) => e.error?.fingerprint],
  ['tags', (e) => (e.tags?.length ? JSON.stringify(e.tags) : undefined)],
  ['attributes', (e) => (e.attributes ? JSON.stringify(e.attributes) : undefined)],
]

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/
const NEEDS_QUOTES = /[",\r\n]/

/** One CSV cell: formula starts neutralised with `'`, then RFC 4180 quoting. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  let s = typeof value === 'string' ? value : JSON.stringify(value)
  if (FORMULA_START.test(s)) s = `'${s}`
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export const exportHeader = (): string => CSV_COLUMNS.map(([name]) => name).join(',') + '\r\n'

export function exportLine(event: ThreadlineEvent, format: ExportFormat): string {
  if (format === 'jsonl') return JSON.stringify(event) + '\n'
  let line = ''
  for (let i = 0; i < CSV_COLUMNS.length; i++) {
    if (i) line += ','
    line += csvCell(CSV_COLUMNS[i]![1](event))
  }
  return line + '\r\n'
}
