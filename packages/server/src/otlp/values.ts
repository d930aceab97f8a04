// OTLP values: AnyValue and attributes, resource and scope, ids, times and enums.
import { createHash } from 'node:crypto'
import { isValidSpanId, isValidTraceId } from '@threadline/core'
import type { Level } from '@threadline/core'
import {
  MAX_ATTRIBUTES,
  MAX_LIST,
  MAX_NANOS,
  MAX_VALUE_DEPTH,
  RecordError,
  VALUE_BUDGET,
  isObject,
  optString,
  recordList,
} from './common.js'
import type { Obj } from './common.js'

// ---------------------------------------------------------------------------------------------
// AnyValue and attributes

export interface Budget {
  n: number
}

export const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/
export const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/
export const INT = /^-?\d{1,20}$/
export const FLOAT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/

/** Flatten one AnyValue to a JSON value; `{}` (no field set) is `null`. */
export function anyValue(v: unknown, path: string, depth: number, budget: Budget): unknown {
  if (v === undefined || v === null) return null
  if (!isObject(v)) throw new RecordError(path, 'expected an AnyValue object')
  if (--budget.n < 0) return '[Truncated: size]'
  let x = v['stringValue']
  if (x !== undefined && x !== null) {
    if (typeof x !== 'string') throw new RecordError(`${path}.stringValue`, 'expected a string')
    return x
  }
  x = v['boolValue']
  if (x !== undefined && x !== null) {
    if (typeof x !== 'boolean') throw new RecordError(`${path}.boolValue`, 'expected a boolean')
    return x
  }
  x = v['intValue']
  if (x !== undefined && x !== null) {
    if (typeof x === 'number' && Number.isInteger(x)) return x
    if (typeof x === 'string' && INT.test(x)) {
      const n = Number(x)
      return Number.isSafeInteger(n) ? n : x.replace(/^(-?)0+(?=\d)/, '$1')
    }
    throw new RecordError(`${path}.intValue`, 'expected an integer or a decimal string')
  }
  x = v['doubleValue']
  if (x !== undefined && x !== null) {
    if (typeof x === 'number') return x
    if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') return x
    if (typeof x === 'string' && FLOAT.test(x)) return Number(x)
    throw new RecordError(`${path}.doubleValue`, 'expected a number')
  }
  x = v['bytesValue']
  if (x !== undefined && x !== null) {
    if (typeof x !== 'string' || !(BASE64.test(x) || BASE64URL.test(x)))
      throw new RecordError(`${path}.bytesValue`, 'expected base64')
    return x
  }
  x = v['arrayValue']
  if (x !== undefined && x !== null) {
    if (!isObject(x)) throw new RecordError(`${path}.arrayValue`, 'expected an object')
    const items = recordList(x['values'], `${path}.arrayValue.values`)
    if (depth >= MAX_VALUE_DEPTH) return '[Truncated: depth]'
    const n = Math.min(items.length, MAX_LIST)
    const out: unknown[] = new Array<unknown>(n)
    for (let i = 0; i < n; i++)
      out[i] = anyValue(items[i], `${path}.arrayValue.values[${i}]`, depth + 1, budget)
    if (items.length > n) out.push(`[… ${items.length - n} more items]`)
    return out
  }
  x = v['kvlistValue']
  if (x !== undefined && x !== null) {
    if (!isObject(x)) throw new RecordError(`${path}.kvlistValue`, 'expected an object')
    const items = recordList(x['values'], `${path}.kvlistValue.values`)
    if (depth >= MAX_VALUE_DEPTH) return '[Truncated: depth]'
    const out: Obj = {}
    const n = Math.min(items.length, MAX_LIST)
    for (let i = 0; i < n; i++) {
      const kpath = `${path}.kvlistValue.values[${i}]`
      const [k, val] = keyValue(items[i], kpath, depth + 1, budget)
      if (k !== '__proto__') out[k] = val
    }
    if (items.length > n) out['…'] = `[truncated ${items.length - n} keys]`
    return out
  }
  return null
}

export function keyValue(
  kv: unknown,
  path: string,
  depth: number,
  budget: Budget,
): [string, unknown] {
  if (!isObject(kv) || typeof kv['key'] !== 'string')
    throw new RecordError(path, 'expected {key, value} with a string key')
  return [kv['key'], anyValue(kv['value'], `${path}.value`, depth, budget)]
}

/** A list of KeyValue to a Map (a repeated key keeps its last value). */
export function attributeMap(v: unknown, path: string, budget: Budget): Map<string, unknown> {
  const items = recordList(v, path)
  const out = new Map<string, unknown>()
  const n = Math.min(items.length, MAX_ATTRIBUTES)
  for (let i = 0; i < n; i++) {
    const [k, val] = keyValue(items[i], `${path}[${i}]`, 0, budget)
    if (k !== '__proto__') out.set(k, val)
  }
  return out
}

/** Attribute reads that remove what they use, so the rest can go to `attributes`. */
export class Attrs {
  constructor(readonly map: Map<string, unknown>) {}

  has(prefix: string): boolean {
    for (const k of this.map.keys()) if (k.startsWith(prefix)) return true
    return false
  }

  /** First key holding a string (or finite number, stringified); every usable key is removed. */
  str(...keys: string[]): string | undefined {
    let out: string | undefined
    for (const k of keys) {
      const v = this.map.get(k)
      const s =
        typeof v === 'string' && v !== ''
          ? v
          : typeof v === 'number' && Number.isFinite(v)
            ? String(v)
            : undefined
      if (s === undefined) continue
      out ??= s
      this.map.delete(k)
    }
    return out
  }

  /** First key holding a non-negative number (or a decimal string); every usable key is removed. */
  num(...keys: string[]): number | undefined {
    let out: number | undefined
    for (const k of keys) {
      const v = this.map.get(k)
      const n =
        typeof v === 'number' && Number.isFinite(v) && v >= 0
          ? v
          : typeof v === 'string' && /^\d{1,15}(\.\d+)?$/.test(v)
            ? Number(v)
            : undefined
      if (n === undefined) continue
      out ??= n
      this.map.delete(k)
    }
    return out
  }

  /** Read without removing. */
  peekStr(key: string): string | undefined {
    const v = this.map.get(key)
    return typeof v === 'string' && v !== '' ? v : undefined
  }
}

// ---------------------------------------------------------------------------------------------
// resource and scope

export interface ResourceInfo {
  service: string
  environment?: string
  service_version?: string
  /** Resource attributes for identity fallbacks (`tenant.id` on a per-tenant service). */
  attrs: Attrs
  /** `resource.<key>` entries for `attributes`. */
  extra: [string, unknown][]
}

export interface ScopeInfo {
  name?: string
  version?: string
}

export function readResource(v: unknown, path: string): ResourceInfo {
  if (v === undefined || v === null) {
    return { service: 'unknown_service', attrs: new Attrs(new Map()), extra: [] }
  }
  if (!isObject(v)) throw new RecordError(path, 'expected an object')
  const map = attributeMap(v['attributes'], `${path}.attributes`, { n: VALUE_BUDGET })
  const a = new Attrs(map)
  const info: ResourceInfo = {
    service: a.str('service.name') ?? 'unknown_service',
    attrs: a,
    extra: [],
  }
  const env = a.str('deployment.environment.name', 'deployment.environment')
  if (env !== undefined) info.environment = env
  const version = a.str('service.version')
  if (version !== undefined) info.service_version = version
  for (const [k, val] of map) info.extra.push([`resource.${k}`, val])
  return info
}

export function readScope(v: unknown, path: string): ScopeInfo {
  if (v === undefined || v === null) return {}
  if (!isObject(v)) throw new RecordError(path, 'expected an object')
  const out: ScopeInfo = {}
  const name = optString(v['name'], `${path}.name`)
  const version = optString(v['version'], `${path}.version`)
  if (name) out.name = name
  if (version) out.version = version
  return out
}

// ---------------------------------------------------------------------------------------------
// scalars: ids, times, enums

export const HEX = /^[0-9a-fA-F]+$/

/** A hex id (upper case accepted), or base64 of the same bytes; `undefined` when absent or empty. */
export function hexId(v: unknown, chars: 32 | 16, path: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined
  if (typeof v === 'string') {
    if (v.length === chars && HEX.test(v)) return v.toLowerCase()
    // the generic protobuf JSON mapping (base64 bytes), sent by some older exporters
    if (v.length === (chars === 32 ? 24 : 12) && BASE64.test(v)) {
      const hex = Buffer.from(v, 'base64').toString('hex')
      if (hex.length === chars) return hex
    }
  }
  throw new RecordError(path, `expected ${chars} hex characters`)
}

export function requiredTraceId(v: unknown, path: string): string {
  const id = hexId(v, 32, path)
  if (id === undefined) throw new RecordError(path, 'required')
  if (!isValidTraceId(id)) throw new RecordError(path, 'must not be all zeros')
  return id
}

export function requiredSpanId(v: unknown, path: string): string {
  const id = hexId(v, 16, path)
  if (id === undefined) throw new RecordError(path, 'required')
  if (!isValidSpanId(id)) throw new RecordError(path, 'must not be all zeros')
  return id
}

/** Nanoseconds since the epoch (string or number); `undefined` when absent or 0 (unset). */
export function nanos(v: unknown, path: string): bigint | undefined {
  if (v === undefined || v === null) return undefined
  let n: bigint | undefined
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v)
  else if (typeof v === 'string' && /^\d{1,20}$/.test(v)) n = BigInt(v)
  if (n === undefined || n > MAX_NANOS)
    throw new RecordError(path, 'expected nanoseconds since the epoch (decimal string or integer)')
  return n === 0n ? undefined : n
}

export function nanosToMs(n: bigint): number {
  return Number(n / 1_000_000n)
}

export function isoOf(ms: number): string {
  return new Date(ms).toISOString()
}

/** An enum given as its number, its full name (`SPAN_KIND_SERVER`) or its short name (`SERVER`). */
export function enumValue(
  v: unknown,
  names: readonly string[],
  prefix: string,
): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v)
    const s = v.toUpperCase()
    const i = names.indexOf(s.startsWith(prefix) ? s.slice(prefix.length) : s)
    if (i >= 0) return i
  }
  return undefined
}

export const SPAN_KIND_NAMES = [
  'UNSPECIFIED',
  'INTERNAL',
  'SERVER',
  'CLIENT',
  'PRODUCER',
  'CONSUMER',
]
export const STATUS_NAMES = ['UNSET', 'OK', 'ERROR']
export const SEVERITY_NAMES = ['UNSPECIFIED']
for (const l of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'])
  SEVERITY_NAMES.push(l, `${l}2`, `${l}3`, `${l}4`)
export const SEVERITY_LEVELS: readonly Level[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
]

export function severityLevel(n: number | undefined): Level | undefined {
  if (n === undefined || n < 1 || n > 24) return undefined
  return SEVERITY_LEVELS[Math.floor((n - 1) / 4)]
}

export function traceFlags(v: unknown): string | undefined {
  // 0 is the proto default (not set); the low 8 bits are the W3C flags
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return undefined
  return (v & 0xff).toString(16).padStart(2, '0')
}

export const VARIANT = ['8', '9', 'a', 'b']

/** A UUIDv7-shaped id: `ms` in the time bits, the rest from a SHA-256 of `basis`. */
export function stableId(ms: number, basis: string): string {
  const h = createHash('sha256').update(basis).digest('hex')
  const t = Math.min(Math.max(0, Math.floor(ms)), 0xffffffffffff)
    .toString(16)
    .padStart(12, '0')
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-${VARIANT[parseInt(h[3]!, 16) & 3]!}${h.slice(4, 7)}-${h.slice(7, 19)}`
}
