// Query-string values (always strings) to the store's filter shapes.
import { StoreQueryError } from '@threadline/store'

const LISTS = new Set([
  'categories',
  'log_types',
  'events',
  'levels',
  'severities',
  'kinds',
  'services',
  'environments',
  'user_id',
  'session_id',
  'trace_id',
  'models',
  'providers',
  'routes',
  'methods',
  'span_kinds',
  'tags',
  'group_by',
])
const NUMBERS = new Set(['status_min', 'status_max', 'limit', 'offset', 'buckets'])
const BOOLEANS = new Set(['errors_only', 'with_total'])

/**
 * `?categories=http,llm&status_min=500&attributes.plan=pro&errors_only=true` to
 * `{ categories: ['http', 'llm'], status_min: 500, attributes: { plan: 'pro' }, errors_only: true }`.
 * Repeated keys add to lists. Unknown names pass through for the store to reject by name.
 */
export function filtersFromQuery(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, raw] of Object.entries(query)) {
    const values = (Array.isArray(raw) ? raw : [raw]).map(String)
    const last = values[values.length - 1]!
    if (key.startsWith('attributes.')) {
      const attrs = (out.attributes ??= {}) as Record<string, string>
      attrs[key.slice('attributes.'.length)] = last
    } else if (LISTS.has(key)) {
      out[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '')
    } else if (NUMBERS.has(key)) {
      const n = Number(last)
      if (last.trim() === '' || !Number.isFinite(n))
        throw new StoreQueryError(key, `expected a number, got ${JSON.stringify(last)}`)
      out[key] = n
    } else if (BOOLEANS.has(key)) {
      if (last !== 'true' && last !== 'false')
        throw new StoreQueryError(key, `expected true or false, got ${JSON.stringify(last)}`)
      out[key] = last === 'true'
    } else out[key] = last
  }
  return out
}

/** Seeds' shape `{ filters: {...}, limit, offset, sort_by, sort_order }`, or all at top level. */
export function bodyQuery(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {}
  if (typeof body !== 'object' || Array.isArray(body))
    throw new StoreQueryError('body', 'expected a JSON object')
  const { filters, ...rest } = body as Record<string, unknown>
  if (filters === undefined) return rest
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters))
    throw new StoreQueryError('filters', 'expected an object')
  return { ...(filters as Record<string, unknown>), ...rest }
}
