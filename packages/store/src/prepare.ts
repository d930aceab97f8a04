// Every event passes here on its way into the table (COPY and INSERT alike): made storable,
// normalised where its meaning is clear, and checked against the wire schema
// (`@threadline/core/schema/event.v1.json`). What violates the schema after that is refused
// with a reason; nothing that violates it reaches the table.
import { createRequire } from 'node:module'
import { toLevel } from '@threadline/core'
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import addFormatsImport from 'ajv-formats'

/** A reason an event cannot be stored; it is refused, its neighbours are kept. */
export class RowError extends Error {}

/** Objects and arrays may nest this deep below the event (attributes included). */
export const MAX_DEPTH = 32
/** Values longer than this in indexed id-like columns are refused (btree rows are capped). */
export const MAX_KEY_CHARS = 512
/** Timestamps outside these bounds are refused (partitions are named by 4-digit year). */
export const MIN_TIME = Date.UTC(1970, 0, 1)
export const MAX_TIME = Date.UTC(9999, 11, 31)

const require = createRequire(import.meta.url)
const schema = require('@threadline/core/schema/event.v1.json') as object
const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => void
const ajv = new Ajv2020({ allErrors: false, strict: false })
addFormats(ajv)
const validate = ajv.compile(schema)

// NUL cannot be stored in PostgreSQL text, and lone surrogates cannot be stored in jsonb.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g

/** NUL and lone surrogates become U+FFFD (paired surrogates are kept). */
export const cleanText = (s: string): string =>
  UNSTORABLE.test(s) ? s.replaceAll('\u0000', '\uFFFD').replace(LONE_SURROGATE, '\uFFFD') : s

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** A key that could reach an object's prototype if the event were ever merged into another. */
const isDangerous = (key: string, parentKey: string | undefined): boolean =>
  key === '__proto__' || (key === 'prototype' && parentKey === 'constructor')

class TooDeep extends Error {}

/** True when the value holds something to clean: an unstorable string or key, a dangerous key. */
function needsCleaning(v: unknown, depth: number, parentKey: string | undefined): boolean {
  if (typeof v === 'string') return UNSTORABLE.test(v)
  if (typeof v !== 'object' || v === null) return false
  if (depth > MAX_DEPTH) throw new TooDeep()
  let dirty = false
  if (Array.isArray(v)) {
    for (const item of v) if (needsCleaning(item, depth + 1, undefined)) dirty = true
    return dirty
  }
  for (const key of Object.keys(v)) {
    if (isDangerous(key, parentKey) || UNSTORABLE.test(key)) dirty = true
    if (needsCleaning((v as Record<string, unknown>)[key], depth + 1, key)) dirty = true
  }
  return dirty
}

/** A clean copy: strings and keys storable, dangerous keys dropped (and counted). */
function clean(v: unknown, parentKey: string | undefined, dropped: { n: number }): unknown {
  if (typeof v === 'string') return cleanText(v)
  if (typeof v !== 'object' || v === null) return v
  if (Array.isArray(v)) return v.map((item) => clean(item, undefined, dropped))
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(v)) {
    if (isDangerous(key, parentKey)) {
      dropped.n++
      continue
    }
    const k = cleanText(key)
    // two keys that differ only in what was replaced: the first is kept
    if (Object.hasOwn(out, k)) continue
    out[k] = clean((v as Record<string, unknown>)[key], key, dropped)
  }
  return out
}

/** Top-level fields the schema types as strings: a number (or boolean) given for one is its text. */
const STRING_FIELDS = [
  'message',
  'service',
  'environment',
  'service_version',
  'category',
  'event',
  'request_id',
  'org_id',
  'user_id',
  'session_id',
  'resource_type',
  'resource_id',
  'action',
  'name',
] as const
const HTTP_STRINGS = ['method', 'route', 'path', 'client_address', 'user_agent'] as const
const LLM_STRINGS = ['provider', 'model', 'operation', 'usage_source'] as const
const HEX_IDS = ['trace_id', 'span_id', 'parent_span_id', 'trace_flags'] as const
/** Numbers that must be finite and >= 0 (the schema's minimum; non-finite ones say so). */
const NUMBERS: readonly (readonly [string | undefined, string])[] = [
  [undefined, 'duration_ms'],
  [undefined, 'cost_usd'],
  ['http', 'status_code'],
  ['http', 'request_bytes'],
  ['http', 'response_bytes'],
  ['llm', 'input_tokens'],
  ['llm', 'output_tokens'],
  ['llm', 'total_tokens'],
  ['llm', 'cache_read_tokens'],
  ['llm', 'cache_write_tokens'],
  ['llm', 'reasoning_tokens'],
  ['llm', 'ttft_ms'],
]
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

const asText = (v: unknown): unknown =>
  (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : v

function textFields(o: Record<string, unknown>, fields: readonly string[]): void {
  for (const f of fields) if (o[f] !== undefined) o[f] = asText(o[f])
}

/** Why the schema refused the event, naming the field (`http.status_code must be integer`). */
function schemaReason(error: ErrorObject | undefined): string {
  if (!error) return 'does not match the event schema'
  const path = error.instancePath.slice(1).replaceAll('/', '.')
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'additionalProperties')
    return `${path ? path + '.' : ''}${String(params.additionalProperty)} is not a field of the event schema`
  if (error.keyword === 'required')
    return `${path ? path + '.' : ''}${String(params.missingProperty)} is required`
  if (error.keyword === 'type') {
    const type = String(params.type)
    return `${path} must be ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`
  }
  if (error.keyword === 'enum')
    return `${path} must be one of ${(params.allowedValues as unknown[]).join(', ')}`
  return `${path || 'event'} ${error.message ?? 'does not match the event schema'}`
}

export interface Prepared {
  event: Record<string, unknown>
  /** `__proto__` and `constructor.prototype` keys dropped from this event. */
  dropped: number
}

/**
 * The event as it will be stored, or a `RowError` saying why it cannot be. Normalises what
 * has one clear meaning: numeric (pino) levels and aliases to level names, numbers given for
 * string fields to text, a numeric string `http.status_code` to its number, upper-case hex ids
 * to lower case, a parsable timestamp to ISO-8601 UTC, a span's missing message to its name.
 */
export function prepareEvent(input: unknown): Prepared {
  if (!isObject(input)) throw new RowError('event must be an object')
  const dropped = { n: 0 }
  let e: Record<string, unknown>
  try {
    e = needsCleaning(input, 0, undefined)
      ? (clean(input, undefined, dropped) as Record<string, unknown>)
      : { ...input }
  } catch (error) {
    if (error instanceof TooDeep || error instanceof RangeError)
      throw new RowError(`nested deeper than ${MAX_DEPTH} levels`)
    throw error
  }
  if (typeof e.id !== 'string' || e.id.length === 0) throw new RowError('id is missing')
  if (e.id.length > MAX_KEY_CHARS) throw new RowError(`id is longer than ${MAX_KEY_CHARS}`)
  const ts = typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN
  if (!(ts >= MIN_TIME && ts <= MAX_TIME)) throw new RowError('timestamp is not a valid ISO date')
  if (e.kind !== 'log' && e.kind !== 'span') throw new RowError('kind must be "log" or "span"')
  const level = toLevel(e.level)
  if (!level) throw new RowError('level is not a known level')
  e.level = level
  if (!RFC3339.test(e.timestamp as string)) e.timestamp = new Date(ts).toISOString()
  textFields(e, STRING_FIELDS)
  if (e.message === undefined && e.kind === 'span' && typeof e.name === 'string') e.message = e.name
  if (e.service === undefined || e.service === null || e.service === '')
    e.service = 'unknown_service'
  for (const f of HEX_IDS) {
    const v = e[f]
    if (typeof v === 'string' && /[A-F]/.test(v) && /^[0-9a-fA-F]+$/.test(v)) e[f] = v.toLowerCase()
  }
  if (isObject(e.http)) {
    const http = (e.http = { ...e.http })
    textFields(http, HTTP_STRINGS)
    const sc = http.status_code
    if (typeof sc === 'string' && /^\s*\d{1,5}\s*$/.test(sc)) http.status_code = Number(sc)
  }
  if (isObject(e.llm)) textFields((e.llm = { ...e.llm }), LLM_STRINGS)
  if (isObject(e.error)) textFields((e.error = { ...e.error }), ['type', 'message'])
  for (const [parent, field] of NUMBERS) {
    const o = parent === undefined ? e : e[parent]
    if (!isObject(o)) continue
    const v = o[field]
    if (v === undefined) continue
    const name = parent ? `${parent}.${field}` : field
    if (typeof v !== 'number') throw new RowError(`${name} must be a number`)
    if (!Number.isFinite(v)) throw new RowError(`${name} must be a finite number`)
    if (v < 0) throw new RowError(`${name} must not be negative`)
  }
  const status = (e.http as { status_code?: unknown } | undefined)?.status_code
  if (typeof status === 'number' && status > 999)
    throw new RowError('http.status_code must be an HTTP status (0-999)')
  if (!validate(e)) throw new RowError(schemaReason(validate.errors?.[0]))
  return { event: e, dropped: dropped.n }
}
