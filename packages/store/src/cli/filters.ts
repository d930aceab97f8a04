import { LEVELS } from '@threadline/core'
import type { Level } from '@threadline/core'
import type { EventFilters, ScalarValue, TimeInput } from '../types.js'
import { usageError } from './command.js'
import type { OptionSpec, OptionValues } from './command.js'
import { parseDuration as durationMs } from '../time.js'

/** The filter flags shared by `query`, `errors`, `stats` and `export`. */
export const FILTER_OPTIONS: Record<string, OptionSpec> = {
  level: {
    type: 'string',
    description: 'minimum level (warn = warn, error, fatal)',
    valueName: '<level>',
  },
  levels: {
    type: 'string',
    multiple: true,
    description: 'exact levels, comma separated',
    valueName: '<a,b>',
  },
  kind: { type: 'string', description: 'log or span', valueName: '<kind>' },
  category: {
    type: 'string',
    multiple: true,
    description: 'category (http, llm, audit, ...)',
    valueName: '<c>',
  },
  event: { type: 'string', multiple: true, description: 'event name', valueName: '<e>' },
  service: { type: 'string', multiple: true, description: 'service name', valueName: '<s>' },
  env: { type: 'string', multiple: true, description: 'environment', valueName: '<env>' },
  user: { type: 'string', multiple: true, description: 'user id', valueName: '<id>' },
  org: { type: 'string', description: 'org id', valueName: '<id>' },
  session: { type: 'string', multiple: true, description: 'session id', valueName: '<id>' },
  trace: { type: 'string', multiple: true, description: 'trace id', valueName: '<id>' },
  request: { type: 'string', description: 'request id', valueName: '<id>' },
  model: { type: 'string', multiple: true, description: 'LLM model', valueName: '<m>' },
  provider: { type: 'string', multiple: true, description: 'LLM provider', valueName: '<p>' },
  route: { type: 'string', multiple: true, description: 'HTTP route template', valueName: '<r>' },
  method: { type: 'string', multiple: true, description: 'HTTP method', valueName: '<m>' },
  status: { type: 'string', description: 'HTTP status: 404, 500-599 or 5xx', valueName: '<code>' },
  since: { type: 'string', description: 'from: 24h, 7d, 30m ago or an ISO time', valueName: '<t>' },
  until: { type: 'string', description: 'before: 1h ago or an ISO time', valueName: '<t>' },
  search: { type: 'string', description: 'full-text search in messages', valueName: '<text>' },
  attr: {
    type: 'string',
    multiple: true,
    description: 'attribute equals value (k=3 is a number, k:=3 text)',
    valueName: '<k=v>',
  },
  tag: { type: 'string', multiple: true, description: 'tag', valueName: '<tag>' },
  fingerprint: { type: 'string', description: 'error fingerprint', valueName: '<fp>' },
  'errors-only': { type: 'boolean', description: 'only events with an error' },
}

const LEVEL_NAMES: readonly string[] = [...LEVELS, 'critical']
const RELATIVE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/

/** Every value of a repeatable flag, comma-separated lists split, blanks dropped. */
export function listValue(values: OptionValues, name: string): string[] {
  const v = values[name]
  if (v === undefined || typeof v === 'boolean') return []
  const raw = Array.isArray(v) ? v : [v]
  return raw
    .filter((x): x is string => typeof x === 'string')
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x !== '')
}

/** A single string flag, or undefined. */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const v = values[name]
  if (Array.isArray(v)) {
    const last = v[v.length - 1]
    return typeof last === 'string' ? last : undefined
  }
  return typeof v === 'string' ? v : undefined
}

function one(list: string[]): string | string[] {
  return list.length === 1 ? list[0]! : list
}

/** A level name (`critical` accepted); `--flag` named when it is not one. */
export function parseLevel(value: string, flag: string): Level | 'critical' {
  const v = value.toLowerCase()
  if (!LEVEL_NAMES.includes(v))
    throw usageError(`${flag}: unknown level '${value}' (use ${LEVEL_NAMES.join(', ')})`, flag)
  return v as Level | 'critical'
}

/** `404`, `500-599`, `5xx`, or `500-` as an inclusive status range. */
export function parseStatus(value: string, flag = '--status'): { min?: number; max?: number } {
  const v = value.trim().toLowerCase()
  const code = (s: string): number => {
    const n = Number(s)
    if (!/^\d{3}$/.test(s) || n < 100 || n > 599)
      throw usageError(`${flag}: '${value}' is not an HTTP status (404, 500-599 or 5xx)`, flag)
    return n
  }
  const xx = /^([1-5])xx$/.exec(v)
  if (xx) return { min: Number(xx[1]) * 100, max: Number(xx[1]) * 100 + 99 }
  const range = /^(\d*)-(\d*)$/.exec(v)
  if (range) {
    const out: { min?: number; max?: number } = {}
    if (range[1]) out.min = code(range[1])
    if (range[2]) out.max = code(range[2])
    if (out.min === undefined && out.max === undefined) code('')
    if (out.min !== undefined && out.max !== undefined && out.min > out.max)
      throw usageError(`${flag}: range '${value}' is empty (${out.min} > ${out.max})`, flag)
    return out
  }
  const n = code(v)
  return { min: n, max: n }
}

/**
 * A time bound: a relative age (`24h`, `7d`, `30m`, `90s`, `2w`) before now, an ISO-8601
 * time, or epoch milliseconds. Relative ages are passed to the store as they are, or
 * resolved against `now` when one is given.
 */
export function parseTime(value: string, flag: string, now?: Date): TimeInput {
  const v = value.trim()
  const rel = RELATIVE.exec(v)
  if (rel) {
    if (!now) return v
    return new Date(now.getTime() - durationMs(v, flag)).toISOString()
  }
  if (/^\d{10,}$/.test(v)) return Number(v)
  if (/^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v))) return v
  throw usageError(
    `${flag}: '${value}' is not a time (use 24h, 7d, 30m, an ISO time or epoch ms)`,
    flag,
  )
}

/** A duration (`14d`, `12h`, `90m`, `30s`) or plain milliseconds. */
export function parseDuration(value: string, flag: string): string | number {
  const v = value.trim()
  if (/^\d+$/.test(v)) return Number(v)
  if (/^\d+(s|m|h|d)$/.test(v)) return v
  if (/^\d+w$/.test(v)) return `${Number(v.slice(0, -1)) * 7}d`
  throw usageError(`${flag}: '${value}' is not a duration (use 14d, 12h, 90m or 30s)`, flag)
}

/** A positive integer no larger than `max`. */
export function parsePositiveInt(
  value: string,
  flag: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value.trim()
  const n = Number(v)
  if (!/^\d+$/.test(v) || n < 1 || n > max)
    throw usageError(`${flag}: '${value}' must be a whole number from 1 to ${max}`, flag)
  return n
}

/** `key=value`: numbers and booleans are typed, the rest stays text; `key:=value` keeps text. */
export function parseAttr(value: string, flag = '--attr'): [string, ScalarValue] {
  const eq = value.indexOf('=')
  if (eq <= 0) throw usageError(`${flag}: '${value}' must be key=value`, flag)
  if (value[eq - 1] === ':') return [value.slice(0, eq - 1), value.slice(eq + 1)]
  const key = value.slice(0, eq)
  const raw = value.slice(eq + 1)
  if (raw === 'true') return [key, true]
  if (raw === 'false') return [key, false]
  if (/^-?\d+(\.\d+)?$/.test(raw) && Number.isFinite(Number(raw))) return [key, Number(raw)]
  return [key, raw]
}

const FIELD_FLAGS: Record<string, string> = {
  org_id: '--org',
  categories: '--category',
  events: '--event',
  level: '--level',
  levels: '--levels',
  kinds: '--kind',
  services: '--service',
  environments: '--env',
  since: '--since',
  until: '--until',
  user_id: '--user',
  session_id: '--session',
  trace_id: '--trace',
  request_id: '--request',
  models: '--model',
  providers: '--provider',
  routes: '--route',
  methods: '--method',
  status_min: '--status',
  status_max: '--status',
  fingerprint: '--fingerprint',
  errors_only: '--errors-only',
  search: '--search',
  attributes: '--attr',
  tags: '--tag',
  limit: '--limit',
  cursor: '--cursor',
  sort_by: '--sort',
  group_by: '--by',
  interval: '--interval',
  format: '--format',
  default: '--default',
}

/** The CLI flag for a store filter field (`since` → `--since`, `attributes.x` → `--attr`). */
export function flagForField(field: string): string | undefined {
  const base = field.split(/[.[]/)[0] ?? field
  return FIELD_FLAGS[base]
}

/**
 * Map the filter flags to store `EventFilters`. Throws a `UsageError` naming the flag
 * when a value is malformed.
 */
export function toEventFilters(values: OptionValues, now?: Date): EventFilters {
  const f: EventFilters = {}
  const level = stringValue(values, 'level')
  if (level !== undefined) f.level = parseLevel(level, '--level')
  const levels = listValue(values, 'levels')
  if (levels.length) f.levels = one(levels.map((l) => parseLevel(l, '--levels')))
  const kind = stringValue(values, 'kind')
  if (kind !== undefined) {
    if (kind !== 'log' && kind !== 'span')
      throw usageError(`--kind: '${kind}' must be log or span`, '--kind')
    f.kinds = kind
  }
  const lists: [string, 'categories' | 'events' | 'services' | 'environments'][] = [
    ['category', 'categories'],
    ['event', 'events'],
    ['service', 'services'],
    ['env', 'environments'],
  ]
  for (const [flag, key] of lists) {
    const l = listValue(values, flag)
    if (l.length) f[key] = one(l)
  }
  const more: [string, 'user_id' | 'session_id' | 'trace_id' | 'models' | 'providers'][] = [
    ['user', 'user_id'],
    ['session', 'session_id'],
    ['trace', 'trace_id'],
    ['model', 'models'],
    ['provider', 'providers'],
  ]
  for (const [flag, key] of more) {
    const l = listValue(values, flag)
    if (l.length) f[key] = one(l)
  }
  const routes = listValue(values, 'route')
  if (routes.length) f.routes = one(routes)
  const methods = listValue(values, 'method')
  if (methods.length) f.methods = one(methods.map((m) => m.toUpperCase()))
  const tags = listValue(values, 'tag')
  if (tags.length) f.tags = one(tags)
  const org = stringValue(values, 'org')
  if (org !== undefined) f.org_id = org
  const request = stringValue(values, 'request')
  if (request !== undefined) f.request_id = request
  const fingerprint = stringValue(values, 'fingerprint')
  if (fingerprint !== undefined) f.fingerprint = fingerprint
  const status = stringValue(values, 'status')
  if (status !== undefined) {
    const { min, max } = parseStatus(status)
    if (min !== undefined) f.status_min = min
    if (max !== undefined) f.status_max = max
  }
  const since = stringValue(values, 'since')
  if (since !== undefined) f.since = parseTime(since, '--since', now)
  const until = stringValue(values, 'until')
  if (until !== undefined) f.until = parseTime(until, '--until', now)
  const search = stringValue(values, 'search')
  if (search !== undefined) f.search = search
  const attrs = values['attr']
  if (attrs !== undefined) {
    const list = (Array.isArray(attrs) ? attrs : [attrs]).filter(
      (a): a is string => typeof a === 'string',
    )
    if (list.length) f.attributes = Object.fromEntries(list.map((a) => parseAttr(a)))
  }
  if (values['errors-only'] === true) f.errors_only = true
  return f
}
