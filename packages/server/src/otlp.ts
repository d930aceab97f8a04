/**
 * OTLP/HTTP JSON -> threadline event v1, as pure functions: `otlpTracesToEvents` for
 * `POST /v1/traces` and `otlpLogsToEvents` for `POST /v1/logs`, plus `partialSuccess` for the
 * response body.
 *
 * Errors follow OTLP partial success: a span or log record that cannot be mapped (bad id, bad
 * timestamp, malformed attribute) is counted in `rejected` with a short reason and its
 * neighbours are kept; a body whose containers have the wrong shape throws `OtlpFormatError`,
 * which the server answers with 400.
 *
 * Mapping of the resource (shared by every record under it):
 *   service.name                                    -> service (default `unknown_service`)
 *   deployment.environment.name | deployment.environment -> environment
 *   service.version                                 -> service_version
 *   every other resource attribute                  -> attributes[`resource.<key>`]
 * The `resource.` prefix keeps resource attributes (`host.name`, `telemetry.sdk.*`, ...) apart
 * from the record's own: a record attribute never collides with one of its resource, and the
 * record's attributes come first, so when the attribute cap is reached resource ones go first.
 * The instrumentation scope goes to `otel.scope.name` and `otel.scope.version`.
 *
 * Attribute values are flattened from AnyValue to JSON values: string, boolean, double as is;
 * int64 as a number when it is a safe integer, else its decimal string; bytes as their base64
 * string; arrays and kvlists as arrays and objects. Keys stay literal (`http.route`).
 * Attributes consumed into wire fields (http, llm, identity, exception, category and event
 * overrides) are removed from `attributes`; the rest stays. Everything then goes through the
 * core sanitizer, so secrets are redacted as in native events.
 *
 * Spans: start -> timestamp, (end - start) / 1e6 -> duration_ms, name -> name and message,
 * SPAN_KIND_SERVER/CLIENT/INTERNAL -> server/client/internal (PRODUCER and CONSUMER -> internal,
 * the original under `otel.span_kind`), any `gen_ai.operation.name` or `gen_ai.usage.*` -> llm;
 * STATUS_CODE_ERROR -> status and level `error`. HTTP and GenAI semconv (stable and older names)
 * fill `http` and `llm`; the last `exception` span event fills `error`, other span events go to
 * `otel.events`. Logs: severityNumber (else severityText) -> level, body -> message,
 * `event.name` or `eventName` -> event, `exception.*` -> error. On both, `enduser.id`/`user.id`,
 * `session.id` and `threadline.org_id`/`tenant.id` fill the identity fields, and
 * `threadline.category` / `threadline.event` override the inferred category and event.
 *
 * Ids are deterministic, so a retried batch dedupes in the store: a UUIDv7-shaped string whose
 * 48-bit time is the record's timestamp (ms) and whose other bits come from a SHA-256 of the
 * span's trace and span ids, or of a log record's service, scope, time, trace and span ids,
 * severity, event name, body and attributes.
 */
import { createHash } from 'node:crypto'
import {
  costOf as defaultCostOf,
  createSanitizer,
  errorFingerprint,
  isValidSpanId,
  isValidTraceId,
  toLevel,
} from '@threadline/core'
import type {
  ErrorInfo,
  HttpInfo,
  Level,
  LlmInfo,
  Sanitizer,
  SpanKind,
  SpanStatus,
  ThreadlineEvent,
  TokenUsage,
} from '@threadline/core'
import type { OtlpExportLogsServiceResponse, OtlpExportTraceServiceResponse } from './otlp-types.js'

export type * from './otlp-types.js'

export interface OtlpMapResult {
  events: ThreadlineEvent[]
  /** Spans or log records that could not be mapped. */
  rejected: number
  /** Why, one short line per problem (capped at `maxErrors`). */
  errors: string[]
}

export interface OtlpMapOptions {
  /** Timestamp of log records with neither `timeUnixNano` nor `observedTimeUnixNano`. @default new Date() */
  now?: Date
  /** Redaction and limits. @default createSanitizer() (the core defaults) */
  sanitizer?: Sanitizer
  /** Records mapped per request; the rest are rejected. @default 100000 */
  maxRecords?: number
  /** Reasons kept in `errors`. @default 10 */
  maxErrors?: number
  /** Price lookup for `cost_usd` of gen_ai spans. @default core's `costOf` (the global price table) */
  costOf?: (model: string | undefined, usage: TokenUsage) => number | undefined
}

/** The body is not an OTLP export request at all: answer 400. */
export class OtlpFormatError extends Error {
  override readonly name = 'OtlpFormatError'
  constructor(
    /** Where in the body, e.g. `resourceSpans[0].scopeSpans`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`)
  }
}

/** One record (or everything under one resource or scope) cannot be mapped. */
class RecordError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`)
  }
}

export const DEFAULT_MAX_RECORDS = 100_000
const DEFAULT_MAX_ERRORS = 10
/** Attributes read per record (OpenTelemetry SDKs keep 128 by default). */
const MAX_ATTRIBUTES = 1000
/** Span events read per span. */
const MAX_SPAN_EVENTS = 1000
/** Span events (other than exceptions) and links kept under `otel.events` / `otel.links`. */
const MAX_KEPT_EVENTS = 32
/** Values (nodes) flattened per record; past it values become a marker. */
const VALUE_BUDGET = 100_000
/** Nesting kept when flattening AnyValue (the sanitizer cuts deeper anyway). */
const MAX_VALUE_DEPTH = 32
const MAX_LIST = 1000
const MAX_NANOS = 2n ** 64n - 1n

let defaultSanitizer: Sanitizer | undefined

// ---------------------------------------------------------------------------------------------
// public API

/** Map an `ExportTraceServiceRequest` (OTLP/HTTP JSON, `POST /v1/traces`) to span events. */
export function otlpTracesToEvents(body: unknown, options: OtlpMapOptions = {}): OtlpMapResult {
  return walk(body, options, ['resourceSpans', 'scopeSpans', 'spans'], mapSpan)
}

/** Map an `ExportLogsServiceRequest` (OTLP/HTTP JSON, `POST /v1/logs`) to log events. */
export function otlpLogsToEvents(body: unknown, options: OtlpMapOptions = {}): OtlpMapResult {
  return walk(body, options, ['resourceLogs', 'scopeLogs', 'logRecords'], mapLog)
}

type MapRecord = (
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
) => ThreadlineEvent

/**
 * Walk resource -> scope -> records. Containers of the wrong shape throw `OtlpFormatError`
 * (checked for a whole resource before any of its records is mapped); a resource or scope whose
 * contents cannot be read rejects every record under it; a bad record rejects only itself.
 */
function walk(
  body: unknown,
  options: OtlpMapOptions,
  [resourcesKey, scopesKey, recordsKey]: [string, string, string],
  mapRecord: MapRecord,
): OtlpMapResult {
  const run = new Run(options)
  const root = object(body, 'body')
  const resources = list(root[resourcesKey], resourcesKey)
  for (let r = 0; r < resources.length; r++) {
    const rpath = `${resourcesKey}[${r}]`
    const ro = object(resources[r], rpath)
    const scopes = list(ro[scopesKey], `${rpath}.${scopesKey}`).map((sc, i) => {
      const spath = `${rpath}.${scopesKey}[${i}]`
      const so = object(sc, spath)
      return { so, spath, records: list(so[recordsKey], `${spath}.${recordsKey}`) }
    })
    let resource: ResourceInfo
    try {
      resource = readResource(ro['resource'], `${rpath}.resource`)
    } catch (err) {
      for (const s of scopes) run.rejectMany(s.records.length, err)
      continue
    }
    for (const { so, spath, records } of scopes) {
      let scope: ScopeInfo
      try {
        scope = readScope(so['scope'], `${spath}.scope`)
      } catch (err) {
        run.rejectMany(records.length, err)
        continue
      }
      for (let i = 0; i < records.length; i++) {
        if (!run.admit(records.length - i)) break
        const path = `${spath}.${recordsKey}[${i}]`
        run.attempt(() => mapRecord(records[i], path, resource, scope, run))
      }
    }
  }
  return run.result()
}

/**
 * The OTLP response body for a mapped request: `{}` when everything was accepted, else
 * `{ partialSuccess: { rejectedSpans | rejectedLogRecords, errorMessage } }`.
 */
export function partialSuccess(
  kind: 'traces',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse
export function partialSuccess(
  kind: 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportLogsServiceResponse
export function partialSuccess(
  kind: 'traces' | 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse | OtlpExportLogsServiceResponse
export function partialSuccess(
  kind: 'traces' | 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse | OtlpExportLogsServiceResponse {
  if (result.rejected <= 0) return {}
  const what = kind === 'traces' ? 'span' : 'log record'
  const head = `${result.rejected} ${what}${result.rejected === 1 ? '' : 's'} rejected`
  const errorMessage = result.errors.length ? `${head}: ${result.errors.join('; ')}` : head
  return kind === 'traces'
    ? { partialSuccess: { rejectedSpans: result.rejected, errorMessage } }
    : { partialSuccess: { rejectedLogRecords: result.rejected, errorMessage } }
}

// ---------------------------------------------------------------------------------------------
// per-request state

class Run {
  readonly events: ThreadlineEvent[] = []
  readonly errors: string[] = []
  rejected = 0
  private seen = 0
  private capped = false
  readonly s: Sanitizer
  readonly now: Date
  readonly costOf: (model: string | undefined, usage: TokenUsage) => number | undefined
  private readonly maxRecords: number
  private readonly maxErrors: number

  constructor(o: OtlpMapOptions) {
    this.s = o.sanitizer ?? (defaultSanitizer ??= createSanitizer())
    this.now = o.now ?? new Date()
    this.costOf = o.costOf ?? defaultCostOf
    this.maxRecords = o.maxRecords ?? DEFAULT_MAX_RECORDS
    this.maxErrors = o.maxErrors ?? DEFAULT_MAX_ERRORS
  }

  /** Whether one more record may be mapped; past the cap, rejects the `remaining` ones here. */
  admit(remaining: number): boolean {
    if (this.seen < this.maxRecords) {
      this.seen++
      return true
    }
    this.rejected += remaining
    if (!this.capped) {
      this.capped = true
      this.error(`too many records in one request (limit ${this.maxRecords})`)
    }
    return false
  }

  attempt(map: () => ThreadlineEvent): void {
    try {
      this.events.push(map())
    } catch (err) {
      this.rejectMany(1, err)
    }
  }

  rejectMany(n: number, err: unknown): void {
    if (n <= 0) return
    this.rejected += n
    let msg: string
    try {
      msg = err instanceof Error ? err.message : String(err)
    } catch {
      msg = 'unreadable error'
    }
    this.error(msg.length > 300 ? msg.slice(0, 300) + '…' : msg)
  }

  private error(msg: string): void {
    if (this.errors.length < this.maxErrors) this.errors.push(msg)
  }

  result(): OtlpMapResult {
    return { events: this.events, rejected: this.rejected, errors: this.errors }
  }
}

// ---------------------------------------------------------------------------------------------
// shapes

type Obj = Record<string, unknown>

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A container object; `null`/absent is not allowed. */
function object(v: unknown, path: string): Obj {
  if (!isObject(v)) throw new OtlpFormatError(path, 'expected a JSON object')
  return v
}

/** A repeated container field; absent or `null` is an empty list. */
function list(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new OtlpFormatError(path, 'expected an array')
  return v
}

/** A repeated field inside a record: a wrong type rejects the record. */
function recordList(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new RecordError(path, 'expected an array')
  return v
}

function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new RecordError(path, 'expected a string')
  return v
}

// ---------------------------------------------------------------------------------------------
// AnyValue and attributes

interface Budget {
  n: number
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/
const INT = /^-?\d{1,20}$/
const FLOAT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/

/** Flatten one AnyValue to a JSON value; `{}` (no field set) is `null`. */
function anyValue(v: unknown, path: string, depth: number, budget: Budget): unknown {
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

function keyValue(kv: unknown, path: string, depth: number, budget: Budget): [string, unknown] {
  if (!isObject(kv) || typeof kv['key'] !== 'string')
    throw new RecordError(path, 'expected {key, value} with a string key')
  return [kv['key'], anyValue(kv['value'], `${path}.value`, depth, budget)]
}

/** A list of KeyValue to a Map (a repeated key keeps its last value). */
function attributeMap(v: unknown, path: string, budget: Budget): Map<string, unknown> {
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
class Attrs {
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

interface ResourceInfo {
  service: string
  environment?: string
  service_version?: string
  /** Resource attributes for identity fallbacks (`tenant.id` on a per-tenant service). */
  attrs: Attrs
  /** `resource.<key>` entries for `attributes`. */
  extra: [string, unknown][]
}

interface ScopeInfo {
  name?: string
  version?: string
}

function readResource(v: unknown, path: string): ResourceInfo {
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

function readScope(v: unknown, path: string): ScopeInfo {
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

const HEX = /^[0-9a-fA-F]+$/

/** A hex id (upper case accepted), or base64 of the same bytes; `undefined` when absent or empty. */
function hexId(v: unknown, chars: 32 | 16, path: string): string | undefined {
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

function requiredTraceId(v: unknown, path: string): string {
  const id = hexId(v, 32, path)
  if (id === undefined) throw new RecordError(path, 'required')
  if (!isValidTraceId(id)) throw new RecordError(path, 'must not be all zeros')
  return id
}

function requiredSpanId(v: unknown, path: string): string {
  const id = hexId(v, 16, path)
  if (id === undefined) throw new RecordError(path, 'required')
  if (!isValidSpanId(id)) throw new RecordError(path, 'must not be all zeros')
  return id
}

/** Nanoseconds since the epoch (string or number); `undefined` when absent or 0 (unset). */
function nanos(v: unknown, path: string): bigint | undefined {
  if (v === undefined || v === null) return undefined
  let n: bigint | undefined
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) n = BigInt(v)
  else if (typeof v === 'string' && /^\d{1,20}$/.test(v)) n = BigInt(v)
  if (n === undefined || n > MAX_NANOS)
    throw new RecordError(path, 'expected nanoseconds since the epoch (decimal string or integer)')
  return n === 0n ? undefined : n
}

function nanosToMs(n: bigint): number {
  return Number(n / 1_000_000n)
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString()
}

/** An enum given as its number, its full name (`SPAN_KIND_SERVER`) or its short name (`SERVER`). */
function enumValue(v: unknown, names: readonly string[], prefix: string): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v)
    const s = v.toUpperCase()
    const i = names.indexOf(s.startsWith(prefix) ? s.slice(prefix.length) : s)
    if (i >= 0) return i
  }
  return undefined
}

const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR']
const SEVERITY_NAMES = ['UNSPECIFIED']
for (const l of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'])
  SEVERITY_NAMES.push(l, `${l}2`, `${l}3`, `${l}4`)
const SEVERITY_LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']

function severityLevel(n: number | undefined): Level | undefined {
  if (n === undefined || n < 1 || n > 24) return undefined
  return SEVERITY_LEVELS[Math.floor((n - 1) / 4)]
}

function traceFlags(v: unknown): string | undefined {
  // 0 is the proto default (not set); the low 8 bits are the W3C flags
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return undefined
  return (v & 0xff).toString(16).padStart(2, '0')
}

const VARIANT = ['8', '9', 'a', 'b']

/** A UUIDv7-shaped id: `ms` in the time bits, the rest from a SHA-256 of `basis`. */
function stableId(ms: number, basis: string): string {
  const h = createHash('sha256').update(basis).digest('hex')
  const t = Math.min(Math.max(0, Math.floor(ms)), 0xffffffffffff)
    .toString(16)
    .padStart(12, '0')
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(0, 3)}-${VARIANT[parseInt(h[3]!, 16) & 3]!}${h.slice(4, 7)}-${h.slice(7, 19)}`
}

// ---------------------------------------------------------------------------------------------
// shared field mapping

function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

interface RawError {
  type: string
  message: string
  stack?: string
}

/** `exception.type`, `exception.message`, `exception.stacktrace` (removed from `a`). */
function exceptionOf(a: Attrs): RawError | undefined {
  const has = (k: string): boolean => {
    const v = a.map.get(k)
    return v !== undefined && v !== null && v !== ''
  }
  if (!has('exception.type') && !has('exception.message')) return undefined
  const out: RawError = {
    type: text(a.map.get('exception.type')) || 'Error',
    message: text(a.map.get('exception.message')),
  }
  const stack = text(a.map.get('exception.stacktrace'))
  if (stack) out.stack = stack
  a.map.delete('exception.type')
  a.map.delete('exception.message')
  a.map.delete('exception.stacktrace')
  return out
}

function errorInfo(raw: RawError, s: Sanitizer): ErrorInfo {
  const info: ErrorInfo = {
    type: s.string(raw.type, 200),
    message: s.string(raw.message),
    fingerprint: errorFingerprint(raw.type, raw.message, raw.stack),
  }
  if (raw.stack) info.stack = s.string(raw.stack, s.limits.maxStackLength)
  return info
}

type Mutable = { -readonly [K in keyof ThreadlineEvent]: ThreadlineEvent[K] }

/** user_id, session_id, org_id from the record's attributes, then its resource's. */
function identity(e: Mutable, a: Attrs, resource: ResourceInfo, s: Sanitizer): void {
  const r = resource.attrs
  const user = a.str('enduser.id', 'user.id') ?? r.peekStr('enduser.id') ?? r.peekStr('user.id')
  const session = a.str('session.id') ?? r.peekStr('session.id')
  const org =
    a.str('threadline.org_id', 'tenant.id') ??
    r.peekStr('threadline.org_id') ??
    r.peekStr('tenant.id')
  if (user !== undefined) e.user_id = s.string(user, 1024)
  if (session !== undefined) e.session_id = s.string(session, 1024)
  if (org !== undefined) e.org_id = s.string(org, 1024)
}

function baseEvent(
  kind: 'span' | 'log',
  id: string,
  ms: number,
  level: Level,
  resource: ResourceInfo,
  s: Sanitizer,
): Mutable {
  const e: Mutable = {
    id,
    kind,
    timestamp: isoOf(ms),
    level,
    message: '',
    service: s.string(resource.service, 1024),
  }
  if (resource.environment !== undefined) e.environment = s.string(resource.environment, 1024)
  if (resource.service_version !== undefined)
    e.service_version = s.string(resource.service_version, 1024)
  return e
}

/** The record's remaining attributes, then `otel.*` extras, then the resource's; sanitized. */
function finishAttributes(
  e: Mutable,
  a: Attrs,
  extra: [string, unknown][],
  scope: ScopeInfo,
  resource: ResourceInfo,
  s: Sanitizer,
): void {
  const all: Obj = Object.create(null) as Obj
  for (const [k, v] of a.map) all[k] = v
  for (const [k, v] of extra) all[k] = v
  if (scope.name !== undefined) all['otel.scope.name'] = scope.name
  if (scope.version !== undefined) all['otel.scope.version'] = scope.version
  for (const [k, v] of resource.extra) if (!(k in all)) all[k] = v
  if (Object.keys(all).length > 0) {
    const out = s.attributes(all)
    if (Object.keys(out).length > 0) e.attributes = out
  }
  s.wireFields(e)
}

// ---------------------------------------------------------------------------------------------
// spans

function mapSpan(
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
): ThreadlineEvent {
  if (!isObject(raw)) throw new RecordError(path, 'expected a span object')
  const s = run.s
  const trace_id = requiredTraceId(raw['traceId'], `${path}.traceId`)
  const span_id = requiredSpanId(raw['spanId'], `${path}.spanId`)
  const parent = hexId(raw['parentSpanId'], 16, `${path}.parentSpanId`)
  const name = raw['name']
  if (typeof name !== 'string') throw new RecordError(`${path}.name`, 'expected a string')
  const start = nanos(raw['startTimeUnixNano'], `${path}.startTimeUnixNano`)
  if (start === undefined) throw new RecordError(`${path}.startTimeUnixNano`, 'required')
  const end = nanos(raw['endTimeUnixNano'], `${path}.endTimeUnixNano`)
  if (end === undefined) throw new RecordError(`${path}.endTimeUnixNano`, 'required')
  if (end < start) throw new RecordError(`${path}.endTimeUnixNano`, 'before startTimeUnixNano')

  const budget: Budget = { n: VALUE_BUDGET }
  const a = new Attrs(attributeMap(raw['attributes'], `${path}.attributes`, budget))
  const extra: [string, unknown][] = []

  // kind and status
  const kindNum = enumValue(raw['kind'], SPAN_KIND_NAMES, 'SPAN_KIND_')
  let status: SpanStatus = 'ok'
  let statusMessage: string | undefined
  const st = raw['status']
  if (st !== undefined && st !== null) {
    if (!isObject(st)) throw new RecordError(`${path}.status`, 'expected an object')
    if (enumValue(st['code'], STATUS_NAMES, 'STATUS_CODE_') === 2) status = 'error'
    statusMessage = optString(st['message'], `${path}.status.message`) || undefined
  }

  // span events: the last exception becomes `error`, the others are kept under `otel.events`
  let exception: RawError | undefined
  const kept: Obj[] = []
  let truncated = false
  const events = recordList(raw['events'], `${path}.events`)
  const nEvents = Math.min(events.length, MAX_SPAN_EVENTS)
  for (let i = 0; i < nEvents; i++) {
    const epath = `${path}.events[${i}]`
    const ev = events[i]
    if (!isObject(ev)) throw new RecordError(epath, 'expected an object')
    const evName = optString(ev['name'], `${epath}.name`) ?? ''
    const time = nanos(ev['timeUnixNano'], `${epath}.timeUnixNano`)
    const ea = new Attrs(attributeMap(ev['attributes'], `${epath}.attributes`, budget))
    if (evName === 'exception') {
      const x = exceptionOf(ea)
      if (x) {
        exception = x
        continue
      }
    }
    if (kept.length >= MAX_KEPT_EVENTS) truncated = true
    else {
      const out: Obj = { name: evName }
      if (time !== undefined) out['time'] = isoOf(nanosToMs(time))
      if (ea.map.size > 0) out['attributes'] = Object.fromEntries(ea.map)
      kept.push(out)
    }
  }
  if (kept.length) extra.push(['otel.events', kept])
  if (truncated || events.length > nEvents) extra.push(['otel.events_truncated', true])

  const links = recordList(raw['links'], `${path}.links`)
  const keptLinks: Obj[] = []
  for (let i = 0; i < links.length && keptLinks.length < MAX_KEPT_EVENTS; i++) {
    const l = links[i]
    if (!isObject(l)) continue
    try {
      const lt = hexId(l['traceId'], 32, 'link')
      const ls = hexId(l['spanId'], 16, 'link')
      if (isValidTraceId(lt) && isValidSpanId(ls)) keptLinks.push({ trace_id: lt, span_id: ls })
    } catch {
      // a malformed link is dropped, the span kept
    }
  }
  if (keptLinks.length) extra.push(['otel.links', keptLinks])

  const startMs = nanosToMs(start)
  const level: Level = status === 'error' ? 'error' : 'info'
  const e = baseEvent(
    'span',
    stableId(startMs, `span:${trace_id}:${span_id}`),
    startMs,
    level,
    resource,
    s,
  )
  const spanName = s.string(name || 'span', 1024)
  e.message = spanName
  e.name = spanName
  e.trace_id = trace_id
  e.span_id = span_id
  if (parent !== undefined && isValidSpanId(parent)) e.parent_span_id = parent
  const flags = traceFlags(raw['flags'])
  if (flags !== undefined) e.trace_flags = flags
  e.duration_ms = Number(end - start) / 1e6
  e.status = status

  // span_kind; gen_ai (an operation or usage counts) makes it an llm span
  const isGenAi = a.map.has('gen_ai.operation.name') || a.has('gen_ai.usage.')
  let spanKind: SpanKind = 'internal'
  if (kindNum === 2) spanKind = 'server'
  else if (kindNum === 3) spanKind = 'client'
  else if (kindNum === 4 || kindNum === 5)
    extra.push(['otel.span_kind', kindNum === 4 ? 'producer' : 'consumer'])
  const otelKind = spanKind
  if (isGenAi) spanKind = 'llm'
  e.span_kind = spanKind

  // http
  const http = httpInfo(a, otelKind, status, s)
  const hasHttp = http !== undefined
  if (http) e.http = http

  // llm
  if (isGenAi) {
    const llm = llmInfo(a, s)
    e.llm = llm
    if (
      llm.model !== undefined &&
      (llm.input_tokens !== undefined || llm.output_tokens !== undefined)
    ) {
      const usage: TokenUsage = {}
      if (llm.input_tokens !== undefined) usage.input_tokens = llm.input_tokens
      if (llm.output_tokens !== undefined) usage.output_tokens = llm.output_tokens
      if (llm.cache_read_tokens !== undefined) usage.cache_read_tokens = llm.cache_read_tokens
      if (llm.cache_write_tokens !== undefined) usage.cache_write_tokens = llm.cache_write_tokens
      const cost = run.costOf(llm.model, usage)
      if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) e.cost_usd = cost
    }
  }

  // category and event: explicit attributes win over the inference
  let category = 'otel'
  let event = 'span'
  if (isGenAi) {
    category = 'llm'
    event = 'generation'
  } else if (hasHttp && otelKind === 'server') {
    category = 'http'
    event = 'request'
  } else if (hasHttp && otelKind === 'client') {
    category = 'http'
    event = 'client_request'
  }
  e.category = s.string(a.str('threadline.category') ?? category, 256)
  e.event = s.string(a.str('threadline.event') ?? event, 256)
  identity(e, a, resource, s)

  if (exception) {
    e.error = errorInfo(exception, s)
    if (statusMessage !== undefined && statusMessage !== exception.message)
      extra.push(['otel.status_description', statusMessage])
  } else if (status === 'error' && statusMessage !== undefined) {
    e.error = errorInfo({ type: 'Error', message: statusMessage }, s)
  } else if (statusMessage !== undefined) {
    extra.push(['otel.status_description', statusMessage])
  }

  finishAttributes(e, a, extra, scope, resource, s)
  return e
}

const HTTP_KEYS = [
  'http.request.method',
  'http.method',
  'http.route',
  'url.path',
  'http.target',
  'url.full',
  'http.url',
  'http.response.status_code',
  'http.status_code',
]

function httpInfo(
  a: Attrs,
  kind: SpanKind,
  status: SpanStatus,
  s: Sanitizer,
): HttpInfo | undefined {
  if (!HTTP_KEYS.some((k) => a.map.has(k))) return undefined
  const h: HttpInfo = {}
  const method = a.str('http.request.method', 'http.method')
  if (method !== undefined) h.method = s.string(method, 64)
  const route = a.str('http.route')
  if (route !== undefined) h.route = s.string(route, 2048)
  let path = a.str('url.path')
  const target = a.str('http.target')
  if (path === undefined && target !== undefined) path = target.split(/[?#]/, 1)[0]
  if (path === undefined) {
    // a client span often has only the full URL: keep it in attributes, take its path
    const full = a.peekStr('url.full') ?? a.peekStr('http.url')
    if (full !== undefined) {
      try {
        path = new URL(full).pathname
      } catch {
        // not a URL: no path
      }
    }
  }
  if (path) h.path = s.string(path, 2048)
  const code = a.num('http.response.status_code', 'http.status_code')
  if (code !== undefined && Number.isInteger(code)) h.status_code = code
  const client = a.str('client.address', 'http.client_ip')
  if (client !== undefined && kind === 'server') h.client_address = s.string(client, 256)
  const ua = a.str('user_agent.original', 'http.user_agent')
  if (ua !== undefined) h.user_agent = s.string(ua, 1024)
  const reqBytes = a.num('http.request.body.size', 'http.request_content_length')
  if (reqBytes !== undefined) h.request_bytes = reqBytes
  const resBytes = a.num('http.response.body.size', 'http.response_content_length')
  if (resBytes !== undefined) h.response_bytes = resBytes
  if (h.status_code !== undefined) h.outcome = 'completed'
  else if (status === 'error') h.outcome = 'errored'
  return h
}

function llmInfo(a: Attrs, s: Sanitizer): LlmInfo {
  const l: LlmInfo = {}
  const provider = a.str('gen_ai.provider.name', 'gen_ai.system')
  if (provider !== undefined) l.provider = s.string(provider, 256)
  const requested = a.str('gen_ai.request.model')
  const responded = a.peekStr('gen_ai.response.model')
  const model = requested ?? responded
  // the response model stays in attributes only when it says something new
  if (responded !== undefined && (requested === undefined || responded === requested))
    a.map.delete('gen_ai.response.model')
  if (model !== undefined) l.model = s.string(model, 2048)
  const op = a.str('gen_ai.operation.name')
  if (op !== undefined) l.operation = s.string(op, 256)
  const input = a.num('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')
  const output = a.num('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')
  const total = a.num('gen_ai.usage.total_tokens')
  const cacheRead = a.num(
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
  )
  const cacheWrite = a.num(
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
  )
  if (input !== undefined) l.input_tokens = input
  if (output !== undefined) l.output_tokens = output
  if (total !== undefined) l.total_tokens = total
  else if (input !== undefined && output !== undefined) l.total_tokens = input + output
  if (cacheRead !== undefined) l.cache_read_tokens = cacheRead
  if (cacheWrite !== undefined) l.cache_write_tokens = cacheWrite
  if (input !== undefined || output !== undefined || total !== undefined)
    l.usage_source = 'reported'
  return l
}

// ---------------------------------------------------------------------------------------------
// logs

function mapLog(
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
): ThreadlineEvent {
  if (!isObject(raw)) throw new RecordError(path, 'expected a log record object')
  const s = run.s
  const time =
    nanos(raw['timeUnixNano'], `${path}.timeUnixNano`) ??
    nanos(raw['observedTimeUnixNano'], `${path}.observedTimeUnixNano`)
  const ms = time !== undefined ? nanosToMs(time) : run.now.getTime()
  if (!Number.isFinite(ms)) throw new RecordError(path, 'no usable time')

  // ids are optional on a log record: a malformed one is dropped, not fatal
  let trace_id: string | undefined
  let span_id: string | undefined
  try {
    const t = hexId(raw['traceId'], 32, '')
    if (isValidTraceId(t)) {
      trace_id = t
      const sp = hexId(raw['spanId'], 16, '')
      if (isValidSpanId(sp)) span_id = sp
    }
  } catch {
    // keep what parsed
  }

  const sevRaw = raw['severityNumber']
  const sevNum =
    sevRaw === undefined || sevRaw === null
      ? undefined
      : enumValue(sevRaw, SEVERITY_NAMES, 'SEVERITY_NUMBER_')
  const sevText = optString(raw['severityText'], `${path}.severityText`)
  const eventName = optString(raw['eventName'], `${path}.eventName`)

  const budget: Budget = { n: VALUE_BUDGET }
  const body = anyValue(raw['body'], `${path}.body`, 0, budget)
  const map = attributeMap(raw['attributes'], `${path}.attributes`, budget)
  const id = stableId(
    ms,
    JSON.stringify([
      'log',
      resource.service,
      scope.name ?? '',
      time?.toString() ?? '',
      trace_id ?? '',
      span_id ?? '',
      sevNum ?? null,
      sevText ?? null,
      eventName ?? null,
      body,
      [...map],
    ]),
  )
  const a = new Attrs(map)
  const extra: [string, unknown][] = []

  const exception = exceptionOf(a)
  const level: Level =
    severityLevel(sevNum) ??
    (sevText !== undefined ? toLevel(sevText) : undefined) ??
    (exception ? 'error' : 'info')
  const e = baseEvent('log', id, ms, level, resource, s)
  if (trace_id !== undefined) e.trace_id = trace_id
  if (span_id !== undefined) e.span_id = span_id
  const flags = trace_id !== undefined ? traceFlags(raw['flags']) : undefined
  if (flags !== undefined) e.trace_flags = flags

  const evName = a.str('event.name') ?? (eventName || undefined)
  const explicitEvent = a.str('threadline.event')
  if (explicitEvent !== undefined && evName !== undefined) extra.push(['event.name', evName])
  e.category = s.string(a.str('threadline.category') ?? 'otel', 256)
  e.event = s.string(explicitEvent ?? evName ?? 'log', 256)
  identity(e, a, resource, s)
  if (exception) e.error = errorInfo(exception, s)

  let message = body === null ? '' : text(body)
  if (!message) message = exception?.message || evName || ''
  e.message = s.string(message)

  finishAttributes(e, a, extra, scope, resource, s)
  return e
}
