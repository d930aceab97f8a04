// Route schemas, derived from the store's filter vocabulary (never written out by hand), so
// every input is checked at the edge before it reaches the store, and the same schemas
// describe the API in the OpenAPI document at /api/openapi.json.
//
// They check shape and storability: no string may hold a NUL or a lone UTF-16 surrogate
// (PostgreSQL can store neither, so such a filter could only fail there), and none may be
// longer than the store would accept. What each value means (a level name, a duration, a
// number in a query string) is still the store's to check, with its own message naming the
// field.
import { FILTERS, OPTION_TYPES, type FilterDefinition } from '@threadline/store/vocabulary'

/**
 * No NUL, no lone surrogate. Ajv compiles patterns with the `u` flag, where a surrogate
 * range matches only a surrogate that is not half of a pair.
 */
export const STORABLE_PATTERN = '^[^\\u0000\\uD800-\\uDFFF]*$'
/** The longest string any input takes (a cursor); filter values are capped at 1,000. */
export const MAX_INPUT_CHARS = 4096
const MAX_LIST = 1000

type Schema = Record<string, unknown>

const text = (description?: string, maxLength = MAX_INPUT_CHARS): Schema => ({
  type: 'string',
  pattern: STORABLE_PATTERN,
  maxLength,
  ...(description ? { description } : {}),
})

/** A query-string value: one string, or a repeated key's strings. */
const queryValue = (description?: string): Schema => ({
  type: ['string', 'array'],
  pattern: STORABLE_PATTERN,
  maxLength: MAX_INPUT_CHARS,
  items: text(),
  maxItems: MAX_LIST,
  ...(description ? { description } : {}),
})

/** A JSON value in a query body: a scalar or a list of scalars (strings storable). */
const SCALAR_TYPES = ['string', 'number', 'boolean', 'null']
const scalar: Schema = { type: SCALAR_TYPES, pattern: STORABLE_PATTERN, maxLength: MAX_INPUT_CHARS }
const bodyValue = (description?: string): Schema => ({
  type: [...SCALAR_TYPES, 'array'],
  pattern: STORABLE_PATTERN,
  maxLength: MAX_INPUT_CHARS,
  items: scalar,
  maxItems: MAX_LIST,
  ...(description ? { description } : {}),
})
const attributesValue = (description: string): Schema => ({
  type: 'object',
  description,
  propertyNames: { pattern: STORABLE_PATTERN, maxLength: 200 },
  additionalProperties: scalar,
  maxProperties: 100,
})

const filters = FILTERS as readonly FilterDefinition[]
const describe = (f: FilterDefinition): string =>
  f.aliases.length ? `${f.description} (also: ${f.aliases.join(', ')})` : f.description

const OPTION_HELP: Record<string, string> = {
  limit: 'rows to return',
  offset: 'rows to skip (query only; prefer cursor)',
  buckets: 'errors: count each group in this many equal slices of the window (1-200)',
  with_total: 'also count every match (query)',
  group_by: 'stats: group by these fields',
  cursor: 'next_cursor of the previous page',
  sort_by: 'sort field',
  sort_order: 'asc or desc',
  interval: 'stats: time bucket (30s to 31d)',
  field: 'facets: the field to list values of',
  format: 'export: csv, jsonl or json',
  mode: 'export: stream (default) or job (answers 202 with a job id)',
}

/** The query string of every GET list endpoint: the vocabulary's filters and options. */
export function listQuerySchema(options: readonly string[]): Schema {
  const properties: Record<string, Schema> = {}
  for (const f of filters) {
    if (f.type === 'attributes') continue // `attributes.key=value`, below
    for (const name of [f.name, ...f.aliases]) properties[name] = queryValue(describe(f))
  }
  for (const o of options) properties[o] = queryValue(OPTION_HELP[o])
  return {
    type: 'object',
    properties,
    // `attributes.<key>=<value>`; other names reach the store, which refuses them by name.
    propertyNames: { pattern: STORABLE_PATTERN, maxLength: 200 },
    additionalProperties: queryValue('attributes.<key>: equality on a top-level attribute'),
  }
}

/** `{ filters: {...}, limit, ... }` or everything at the top level, as the store names it. */
export function queryBodySchema(options: readonly string[]): Schema {
  const props: Record<string, Schema> = {}
  for (const f of filters)
    for (const name of [f.name, ...f.aliases])
      props[name] = f.type === 'attributes' ? attributesValue(describe(f)) : bodyValue(describe(f))
  const optionProps: Record<string, Schema> = {}
  for (const o of options) optionProps[o] = bodyValue(OPTION_HELP[o] ?? OPTION_TYPES[o])
  return {
    type: 'object',
    properties: {
      ...props,
      ...optionProps,
      filters: {
        type: 'object',
        description: 'the filters, when not given at the top level',
        properties: props,
        propertyNames: { pattern: STORABLE_PATTERN, maxLength: 200 },
        additionalProperties: bodyValue(),
      },
    },
    propertyNames: { pattern: STORABLE_PATTERN, maxLength: 200 },
    additionalProperties: bodyValue(),
  }
}

/** A path parameter: one storable string. */
export const idParams = (name: string, description: string): Schema => ({
  type: 'object',
  required: [name],
  properties: { [name]: text(description, 512) },
})

export const QUERY_OPTIONS = ['limit', 'offset', 'cursor', 'sort_by', 'sort_order', 'with_total']
export const EXPORT_OPTIONS = ['format', 'mode', 'limit', 'sort_by', 'sort_order']
