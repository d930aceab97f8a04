// Filters to SQL: every value bound as a parameter, every field allow-listed, every
// mistake a StoreQueryError naming the field.
import { LEVEL_VALUES, toLevel, type Level } from '@threadline/core'
import { storable, StoreQueryError } from './errors.js'
import { parseTime, show } from './time.js'
import type { EventFilters } from './types.js'
import { FILTERS, filterByName, type FilterName } from './vocabulary.js'

/** Collects bound parameters and hands out their `$n` placeholders. */
export class Params {
  readonly values: unknown[] = []
  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}

const MAX_STRING = 1000
const MAX_LIST = 1000

/** Equality on a column, for the filters whose value is one string or a list of them. */
const COLUMNS = {
  categories: 'category',
  events: 'event',
  services: 'service',
  environments: 'environment',
  user_id: 'user_id',
  session_id: 'session_id',
  trace_id: 'trace_id',
  models: 'llm_model',
  providers: 'llm_provider',
  routes: 'http_route',
  methods: 'http_method',
  span_kinds: 'span_kind',
  kinds: 'kind',
  org_id: 'org_id',
  request_id: 'request_id',
  resource_type: 'resource_type',
  resource_id: 'resource_id',
  action: 'action',
  fingerprint: 'error_fingerprint',
} as const satisfies Partial<Record<FilterName, string>>

// The vocabulary and the store's filter type name the same filters, no more, no less.
type Missing = Exclude<FilterName, keyof EventFilters> | Exclude<keyof EventFilters, FilterName>
const sameNames: Missing extends never ? true : Missing = true
void sameNames

function str(field: string, v: unknown): string {
  if (typeof v !== 'string') throw new StoreQueryError(field, `expected a string, got ${show(v)}`)
  if (v.length === 0) throw new StoreQueryError(field, 'must not be empty')
  if (v.length > MAX_STRING)
    throw new StoreQueryError(field, `longer than ${MAX_STRING} characters`)
  return storable(field, v)
}

function list(field: string, v: unknown): string[] {
  const items = Array.isArray(v) ? v : [v]
  if (items.length === 0) throw new StoreQueryError(field, 'must not be an empty list')
  if (items.length > MAX_LIST) throw new StoreQueryError(field, `more than ${MAX_LIST} values`)
  return items.map((item) => str(field, item))
}

function level(field: string, v: unknown): Level {
  const l = typeof v === 'string' ? toLevel(v) : undefined
  if (!l)
    throw new StoreQueryError(
      field,
      `unknown level ${show(v)} (trace, debug, info, warn, error, fatal)`,
    )
  return l
}

function statusCode(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 999)
    throw new StoreQueryError(field, `expected an HTTP status 100-999, got ${show(v)}`)
  return v
}

/** Move aliases to their names; reject keys that are neither a filter nor in `extra`. */
export function canonicalFilters(
  input: object,
  extra: ReadonlySet<string>,
): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new StoreQueryError('filters', 'expected an object')
  const out: Record<string, unknown> = {}
  for (const [rawKey, value] of Object.entries(input)) {
    if (value === undefined) continue
    const key = extra.has(rawKey) ? rawKey : filterByName(rawKey)?.name
    if (key === undefined) throw new StoreQueryError(rawKey, 'unknown filter')
    if (key in out) throw new StoreQueryError(rawKey, `given twice (also as ${key})`)
    out[key] = value
  }
  return out
}

/**
 * SQL conditions (ANDed) for the filters in `f` (already canonical). Values go to `params`.
 */
export function whereClauses(f: EventFilters, params: Params, now: Date): string[] {
  const where: string[] = []
  const raw = f as Record<string, unknown>
  for (const { name, type } of FILTERS) {
    const v = raw[name]
    if (v === undefined || !Object.hasOwn(COLUMNS, name)) continue
    const column = COLUMNS[name as keyof typeof COLUMNS]
    if (type === 'string') {
      where.push(`${column} = ${params.add(str(name, v))}`)
      continue
    }
    const values = list(name, v)
    where.push(
      values.length === 1
        ? `${column} = ${params.add(values[0])}`
        : `${column} = ANY(${params.add(values)}::text[])`,
    )
  }
  if (f.level !== undefined) {
    where.push(`level_value >= ${params.add(LEVEL_VALUES[level('level', f.level)])}`)
  }
  if (f.levels !== undefined) {
    const levels = (Array.isArray(f.levels) ? f.levels : [f.levels]).map((l) => level('levels', l))
    where.push(`level = ANY(${params.add([...new Set(levels)])}::text[])`)
  }
  if (f.since !== undefined)
    where.push(`"timestamp" >= ${params.add(parseTime(f.since, 'since', now))}::timestamptz`)
  if (f.until !== undefined)
    where.push(`"timestamp" < ${params.add(parseTime(f.until, 'until', now))}::timestamptz`)
  if (f.status_min !== undefined)
    where.push(`http_status_code >= ${params.add(statusCode('status_min', f.status_min))}`)
  if (f.status_max !== undefined)
    where.push(`http_status_code <= ${params.add(statusCode('status_max', f.status_max))}`)
  if (f.errors_only !== undefined) {
    if (typeof f.errors_only !== 'boolean')
      throw new StoreQueryError('errors_only', `expected true or false, got ${show(f.errors_only)}`)
    if (f.errors_only) where.push('(error_fingerprint IS NOT NULL OR level_value >= 50)')
  }
  if (f.search !== undefined) {
    where.push(`search @@ websearch_to_tsquery('english', ${params.add(str('search', f.search))})`)
  }
  if (f.attributes !== undefined) {
    const attrs = f.attributes as unknown
    if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs))
      throw new StoreQueryError('attributes', 'expected an object of key: value')
    const entries = Object.entries(attrs)
    if (entries.length === 0) throw new StoreQueryError('attributes', 'must not be empty')
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 200)
        throw new StoreQueryError(`attributes.${k}`, 'key must be 1-200 characters')
      storable(`attributes.${k}`, k)
      if (typeof v === 'string') storable(`attributes.${k}`, v)
      const ok =
        typeof v === 'string'
          ? v.length <= MAX_STRING
          : typeof v === 'boolean' || Number.isFinite(v)
      if (!ok)
        throw new StoreQueryError(
          `attributes.${k}`,
          `expected a string, number or boolean, got ${show(v)}`,
        )
    }
    where.push(`attributes @> ${params.add(JSON.stringify(attrs))}::jsonb`)
  }
  if (f.tags !== undefined) where.push(`tags @> ${params.add(list('tags', f.tags))}::text[]`)
  return where
}

/** `WHERE a AND b` or the empty string. */
export const whereSql = (clauses: readonly string[]): string =>
  clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''

/** An integer option within bounds, or its default. */
export function intOption(
  field: string,
  v: unknown,
  min: number,
  max: number,
  fallback: number,
): number {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new StoreQueryError(field, `expected an integer from ${min} to ${max}, got ${show(v)}`)
  return v
}
