// The URL's query parameters are the API's filter names, so a console link and an API call
// say the same thing. This turns them into the JSON filters of `POST /api/logs/query`.
import { timeWindow } from './time.js'

/** Filter parameters whose values are comma-separated lists. */
export const LIST_FILTERS = new Set([
  'services',
  'categories',
  'events',
  'levels',
  'kinds',
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
])
const SINGLE_FILTERS = new Set([
  'org_id',
  'level',
  'request_id',
  'resource_type',
  'resource_id',
  'action',
  'fingerprint',
  'search',
])
const NUMBER_FILTERS = new Set(['status_min', 'status_max'])
const BOOLEAN_FILTERS = new Set(['errors_only'])

/** Filters from the URL (without the time window). */
export function urlFilters(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of params) {
    if (value === '') continue
    if (key.startsWith('attributes.')) {
      const attrs = (out.attributes ??= {}) as Record<string, string>
      attrs[key.slice('attributes.'.length)] = value
    } else if (LIST_FILTERS.has(key)) {
      out[key] = value.split(',').filter((v) => v !== '')
    } else if (SINGLE_FILTERS.has(key)) out[key] = value
    else if (NUMBER_FILTERS.has(key) && Number.isFinite(Number(value))) out[key] = Number(value)
    else if (BOOLEAN_FILTERS.has(key)) out[key] = value === 'true'
  }
  return out
}

/** The URL's filters plus its time window, ready for the API. */
export function apiFilters(params: URLSearchParams, now = Date.now()): Record<string, unknown> {
  const w = timeWindow(params, now)
  return { ...urlFilters(params), since: w.since, ...(w.until ? { until: w.until } : {}) }
}

/** The same filters as a query string for the GET endpoints. */
export function isFilterParam(key: string): boolean {
  return (
    key.startsWith('attributes.') ||
    LIST_FILTERS.has(key) ||
    SINGLE_FILTERS.has(key) ||
    NUMBER_FILTERS.has(key) ||
    BOOLEAN_FILTERS.has(key)
  )
}
