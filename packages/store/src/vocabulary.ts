// The filter vocabulary, defined once. The store's filter parsing, the server's query-string
// parsing, the CLI's flags and the console's filter bar all derive from this list, so a
// filter added here exists everywhere. It imports nothing at run time (types only), so a
// browser bundle can take it: `import { FILTERS } from '@threadline/store/vocabulary'`.
import type { FacetField, GroupByField } from './types.js'

/**
 * How a filter's value is written: `list` one value or several (`a,b` in query strings),
 * `string` one value, `number` a number, `boolean` true or false, `time` an ISO time, epoch
 * ms or a duration before now (`24h`), `level` a level name, `attributes` `{ key: value }`
 * (`attributes.key=value` in query strings).
 */
export type FilterType = 'list' | 'string' | 'number' | 'boolean' | 'time' | 'level' | 'attributes'

export interface FilterDefinition {
  /** The name in store filters, API bodies and query strings, and console URLs. */
  readonly name: string
  readonly type: FilterType
  /** Other names accepted for it (the seeds' API names). */
  readonly aliases: readonly string[]
  /** A short label for a filter bar. */
  readonly label: string
  /** One line of help. */
  readonly description: string
  /** What a value looks like, for help texts and empty inputs. */
  readonly placeholder: string
  /** The `facets` field whose values fill this filter's menu. */
  readonly facet?: FacetField
  /** The accepted values, when the set is closed. */
  readonly values?: readonly string[]
  /**
   * The `threadline` CLI flag (without `--`). Filters may share one: `--status 5xx` sets
   * `status_min` and `status_max`.
   */
  readonly flag?: string
}

/** Level names, lowest first (`critical` is accepted as `fatal`). */
export const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** Span kinds of the wire schema. */
export const SPAN_KINDS = [
  'server',
  'client',
  'internal',
  'llm',
  'chain',
  'tool',
  'retriever',
  'agent',
  'embedding',
] as const

/** Every filter, in the order a filter bar would show them. */
export const FILTERS = [
  {
    name: 'search',
    type: 'string',
    aliases: [],
    label: 'Search',
    description:
      'full-text search in messages and error messages ("card declined" or timeout -retry)',
    placeholder: '<text>',
    flag: 'search',
  },
  {
    name: 'since',
    type: 'time',
    aliases: ['start_date'],
    label: 'From',
    description: 'from: 24h, 7d, 30m ago, or an ISO time (inclusive)',
    placeholder: '<t>',
    flag: 'since',
  },
  {
    name: 'until',
    type: 'time',
    aliases: ['end_date'],
    label: 'To',
    description: 'before: 1h ago or an ISO time (exclusive)',
    placeholder: '<t>',
    flag: 'until',
  },
  {
    name: 'services',
    type: 'list',
    aliases: [],
    label: 'Service',
    description: 'service name',
    placeholder: '<s>',
    facet: 'service',
    flag: 'service',
  },
  {
    name: 'categories',
    type: 'list',
    aliases: ['log_types'],
    label: 'Log type',
    description: 'category (http, llm, audit, ...)',
    placeholder: '<c>',
    facet: 'category',
    flag: 'category',
  },
  {
    name: 'events',
    type: 'list',
    aliases: [],
    label: 'Event type',
    description: 'event name (request, generation, login, ...)',
    placeholder: '<e>',
    facet: 'event',
    flag: 'event',
  },
  {
    name: 'level',
    type: 'level',
    aliases: [],
    label: 'Minimum level',
    description: 'minimum level (warn = warn, error, fatal)',
    placeholder: '<level>',
    values: LEVEL_NAMES,
    flag: 'level',
  },
  {
    name: 'levels',
    type: 'list',
    aliases: ['severities'],
    label: 'Severity',
    description: 'exact levels, comma separated',
    placeholder: '<a,b>',
    facet: 'level',
    values: LEVEL_NAMES,
    flag: 'levels',
  },
  {
    name: 'org_id',
    type: 'string',
    aliases: [],
    label: 'Org',
    description: 'org id',
    placeholder: '<id>',
    facet: 'org',
    flag: 'org',
  },
  {
    name: 'user_id',
    type: 'list',
    aliases: [],
    label: 'User',
    description: 'user id',
    placeholder: '<id>',
    facet: 'user',
    flag: 'user',
  },
  {
    name: 'session_id',
    type: 'list',
    aliases: [],
    label: 'Session',
    description: 'session id',
    placeholder: '<id>',
    facet: 'session',
    flag: 'session',
  },
  {
    name: 'trace_id',
    type: 'list',
    aliases: [],
    label: 'Trace',
    description: 'trace id',
    placeholder: '<id>',
    flag: 'trace',
  },
  {
    name: 'request_id',
    type: 'string',
    aliases: [],
    label: 'Request',
    description: 'request id',
    placeholder: '<id>',
    flag: 'request',
  },
  {
    name: 'environments',
    type: 'list',
    aliases: [],
    label: 'Environment',
    description: 'environment',
    placeholder: '<env>',
    facet: 'environment',
    flag: 'env',
  },
  {
    name: 'kinds',
    type: 'list',
    aliases: [],
    label: 'Kind',
    description: 'log or span',
    placeholder: '<kind>',
    facet: 'kind',
    values: ['log', 'span'],
    flag: 'kind',
  },
  {
    name: 'span_kinds',
    type: 'list',
    aliases: [],
    label: 'Span kind',
    description: 'span kind (server, client, llm, tool, ...)',
    placeholder: '<k>',
    values: SPAN_KINDS,
    flag: 'span-kind',
  },
  {
    name: 'models',
    type: 'list',
    aliases: [],
    label: 'Model',
    description: 'LLM model',
    placeholder: '<m>',
    facet: 'model',
    flag: 'model',
  },
  {
    name: 'providers',
    type: 'list',
    aliases: [],
    label: 'Provider',
    description: 'LLM provider',
    placeholder: '<p>',
    facet: 'provider',
    flag: 'provider',
  },
  {
    name: 'routes',
    type: 'list',
    aliases: [],
    label: 'Route',
    description: 'HTTP route template',
    placeholder: '<r>',
    facet: 'route',
    flag: 'route',
  },
  {
    name: 'methods',
    type: 'list',
    aliases: [],
    label: 'Method',
    description: 'HTTP method',
    placeholder: '<m>',
    facet: 'method',
    flag: 'method',
  },
  {
    name: 'status_min',
    type: 'number',
    aliases: [],
    label: 'Status from',
    description: 'lowest HTTP status (inclusive)',
    placeholder: '<code>',
    flag: 'status',
  },
  {
    name: 'status_max',
    type: 'number',
    aliases: [],
    label: 'Status to',
    description: 'highest HTTP status (inclusive)',
    placeholder: '<code>',
    flag: 'status',
  },
  {
    name: 'errors_only',
    type: 'boolean',
    aliases: [],
    label: 'Errors only',
    description: 'only events with an error object or at error and above',
    placeholder: 'true',
    flag: 'errors-only',
  },
  {
    name: 'fingerprint',
    type: 'string',
    aliases: [],
    label: 'Error fingerprint',
    description: 'error fingerprint',
    placeholder: '<fp>',
    flag: 'fingerprint',
  },
  {
    name: 'resource_type',
    type: 'string',
    aliases: [],
    label: 'Resource type',
    description: 'type of the resource acted upon',
    placeholder: '<type>',
  },
  {
    name: 'resource_id',
    type: 'string',
    aliases: [],
    label: 'Resource',
    description: 'id of the resource acted upon',
    placeholder: '<id>',
  },
  {
    name: 'action',
    type: 'string',
    aliases: [],
    label: 'Action',
    description: 'create, read, update, delete, execute, search',
    placeholder: '<action>',
  },
  {
    name: 'attributes',
    type: 'attributes',
    aliases: [],
    label: 'Attribute',
    description: 'attribute equals value (k=3 is a number, k:=3 text)',
    placeholder: '<k=v>',
    flag: 'attr',
  },
  {
    name: 'tags',
    type: 'list',
    aliases: [],
    label: 'Tag',
    description: 'has all these tags',
    placeholder: '<tag>',
    flag: 'tag',
  },
] as const satisfies readonly FilterDefinition[]

/** A filter's name. */
export type FilterName = (typeof FILTERS)[number]['name']

/** Every filter's name. */
export const FILTER_NAMES: readonly FilterName[] = FILTERS.map((f) => f.name)

const BY_NAME = new Map<string, FilterDefinition>()
for (const f of FILTERS as readonly FilterDefinition[]) {
  BY_NAME.set(f.name, f)
  for (const a of f.aliases) BY_NAME.set(a, f)
}

/** The filter a name (or alias) stands for, or `undefined`. */
export function filterByName(name: string): FilterDefinition | undefined {
  return BY_NAME.get(name)
}

/** Every name `stats` can group by. */
export const GROUP_BY_FIELDS = [
  'service',
  'category',
  'event',
  'route',
  'method',
  'status_code',
  'model',
  'provider',
  'user',
  'org',
  'level',
  'kind',
  'environment',
] as const satisfies readonly GroupByField[]

/** Every field `facets` counts: the group-by names and `session`. */
export const FACET_FIELDS = [...GROUP_BY_FIELDS, 'session'] as const satisfies readonly FacetField[]

/**
 * Query and page options beside the filters: `limit`, `offset`, `cursor`, `sort_by`,
 * `sort_order`, `with_total` (query); `group_by`, `interval` (stats); `buckets` (errors);
 * `field` (facets); `format` (export).
 */
export const OPTION_TYPES: Readonly<Record<string, 'list' | 'string' | 'number' | 'boolean'>> = {
  limit: 'number',
  offset: 'number',
  buckets: 'number',
  with_total: 'boolean',
  group_by: 'list',
  cursor: 'string',
  sort_by: 'string',
  sort_order: 'string',
  interval: 'string',
  field: 'string',
  format: 'string',
}
