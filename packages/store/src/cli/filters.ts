import { LEVELS } from '@threadline/core'
import type { Level } from '@threadline/core'
import type { EventFilters, ScalarValue, TimeInput } from '../types.js'
import { usageError } from './command.js'
import type { OptionSpec, OptionValues } from './command.js'
import { parseDuration as durationMs } from '../time.js'
import { FILTERS, type FilterDefinition } from '../vocabulary.js'

/** The filter flags shared by `query`, `errors`, `stats` and `export`: the vocabulary's. */
export const FILTER_OPTIONS: Record<string, OptionSpec> = {}
for (const f of FILTERS as readonly FilterDefinition[]) {
  if (!f.flag || f.flag in FILTER_OPTIONS) continue
  FILTER_OPTIONS[f.flag] =
    f.type === 'boolean'
      ? { type: 'boolean', description: f.description }
      : {
          type: 'string',
          multiple: f.type === 'list' || f.type === 'attributes',
          description: f.flag === 'status' ? 'HTTP status: 404, 500-599 or 5xx' : f.description,
          valueName: f.placeholder,
        }
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

/** Store field -> CLI flag: the vocabulary's filters, and the commands' own options. */
const FIELD_FLAGS: Record<string, string> = {
  limit: '--limit',
  cursor: '--cursor',
  sort_by: '--sort',
  group_by: '--by',
  interval: '--interval',
  format: '--format',
  default: '--default',
}
for (const f of FILTERS as readonly FilterDefinition[])
  if (f.flag) FIELD_FLAGS[f.name] = `--${f.flag}`

/** The CLI flag for a store filter field (`since` → `--since`, `attributes.x` → `--attr`). */
export function flagForField(field: string): string | undefined {
  const base = field.split(/[.[]/)[0] ?? field
  return FIELD_FLAGS[base]
}

/**
 * Map the filter flags to store `EventFilters`, filter by filter from the vocabulary. Throws a
 * `UsageError` naming the flag when a value is malformed.
 */
export function toEventFilters(values: OptionValues, now?: Date): EventFilters {
  const f: Record<string, unknown> = {}
  for (const def of FILTERS as readonly FilterDefinition[]) {
    const name = def.flag
    if (!name || values[name] === undefined) continue
    const flag = `--${name}`
    switch (def.type) {
      case 'list': {
        let list = listValue(values, name)
        if (!list.length) break
        if (def.name === 'levels') list = list.map((l) => parseLevel(l, flag))
        else if (def.name === 'methods') list = list.map((m) => m.toUpperCase())
        else if (def.values)
          for (const v of list)
            if (!def.values.includes(v))
              throw usageError(`${flag}: '${v}' must be one of ${def.values.join(', ')}`, flag)
        f[def.name] = one(list)
        break
      }
      case 'string': {
        const v = stringValue(values, name)
        if (v !== undefined) f[def.name] = v
        break
      }
      case 'level': {
        const v = stringValue(values, name)
        if (v !== undefined) f[def.name] = parseLevel(v, flag)
        break
      }
      case 'time': {
        const v = stringValue(values, name)
        if (v !== undefined) f[def.name] = parseTime(v, flag, now)
        break
      }
      case 'boolean':
        if (values[name] === true) f[def.name] = true
        break
      case 'number': {
        // `--status` is the one number flag: a code, a range or a class, for both bounds.
        const v = stringValue(values, name)
        if (v === undefined) break
        const range = parseStatus(v, flag)
        const bound = def.name.endsWith('_min') ? range.min : range.max
        if (bound !== undefined) f[def.name] = bound
        break
      }
      case 'attributes': {
        const raw = values[name]
        const list = (Array.isArray(raw) ? raw : [raw]).filter(
          (a): a is string => typeof a === 'string',
        )
        if (list.length) f[def.name] = Object.fromEntries(list.map((a) => parseAttr(a, flag)))
        break
      }
    }
  }
  return f as EventFilters
}
