// The URL's query parameters are the API's filter names (the store's vocabulary, defined once),
// so a console link and an API call say the same thing. This turns them into the JSON filters
// of `POST /api/logs/query`.
import { FILTERS } from '@threadline/store/vocabulary'
import { timeWindow } from './time.js'

const ofType = (...types: string[]) =>
  new Set<string>(FILTERS.filter((f) => types.includes(f.type)).map((f) => f.name))

/** Filter parameters whose values are comma-separated lists. */
export const LIST_FILTERS = ofType('list')
// the time window is the console's own (range, from, to), not these
const SINGLE_FILTERS = ofType('string', 'level')
const NUMBER_FILTERS = ofType('number')
const BOOLEAN_FILTERS = ofType('boolean')

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
