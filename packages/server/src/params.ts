// Query-string values (always strings) to the store's filter shapes.
import { StoreQueryError } from '@threadline/store'
import { FILTERS, OPTION_TYPES, type FilterDefinition } from '@threadline/store/vocabulary'

/** How each query-string name is read: the vocabulary's filters (and aliases), then the options. */
const TYPES = new Map<string, string>(Object.entries(OPTION_TYPES))
for (const f of FILTERS as readonly FilterDefinition[])
  for (const name of [f.name, ...f.aliases]) TYPES.set(name, f.type === 'level' ? 'string' : f.type)

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
    } else if (TYPES.get(key) === 'list') {
      out[key] = values.flatMap((v) => v.split(',')).filter((v) => v !== '')
    } else if (TYPES.get(key) === 'number') {
      const n = Number(last)
      if (last.trim() === '' || !Number.isFinite(n))
        throw new StoreQueryError(key, `expected a number, got ${JSON.stringify(last)}`)
      out[key] = n
    } else if (TYPES.get(key) === 'boolean') {
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
