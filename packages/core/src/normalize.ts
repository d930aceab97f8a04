import type { ThreadlineContext } from './context.js'
import { toErrorInfo } from './errors.js'
import { newSpanId, newTraceId, uuidv7 } from './ids.js'
import { toLevel } from './levels.js'
import { types as utilTypes } from 'node:util'
import { quoteJson, safeJson, WIRE_FIELDS } from './sanitize.js'
import type { Sanitizer } from './sanitize.js'
import type { SpanRecord } from './span.js'
import { isoNow } from './time.js'
import { serializeEvent } from './pipeline.js'
import type {
  ContentMode,
  EventInput,
  EventKind,
  HttpInfo,
  Level,
  LlmInfo,
  SpanKind,
  SpanStatus,
  ThreadlineEvent,
} from './types.js'

export interface Resource {
  service: string
  environment?: string
  service_version?: string
}

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/
const HEX2 = /^[0-9a-f]{2}$/
const SPAN_KINDS = new Set<SpanKind>([
  'server',
  'client',
  'internal',
  'llm',
  'chain',
  'tool',
  'retriever',
  'agent',
  'embedding',
])
const STATUSES = new Set<SpanStatus>(['ok', 'error', 'cancelled'])
const OUTCOMES = new Set(['completed', 'errored', 'aborted'])
const MAX_ID = 256

const STRING_FIELDS = new Set([
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
])
// every key `field()` treats specially (the wire fields and a few input aliases); anything else is an attribute
const KNOWN_FIELDS = new Set([...WIRE_FIELDS, 'msg', 'err', 'time'])
const HTTP_NUM = new Set(['status_code', 'request_bytes', 'response_bytes'])
const HTTP_STR = new Set(['method', 'route', 'path', 'client_address', 'user_agent'])
const LLM_NUM = new Set([
  'input_tokens',
  'output_tokens',
  'total_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'ttft_ms',
])
const LLM_STR = new Set(['provider', 'model', 'operation', 'usage_source'])

type Mutable = { -readonly [K in keyof ThreadlineEvent]: ThreadlineEvent[K] }

/**
 * Builds one valid event. Known wire fields are type-checked (wrong types are
 * kept under `attributes` instead of breaking the schema), everything else goes
 * under `attributes`, strings are redacted and capped by the sanitizer.
 */
export class EventBuilder {
  readonly e: Mutable
  private attrs: Record<string, unknown> | undefined
  private errorValue: unknown
  private hasError = false
  /** Attributes set so far (the cap counts every set, repeated keys included). */
  attrCount = 0
  private tagList: string[] | undefined

  constructor(
    kind: EventKind,
    level: Level,
    private readonly s: Sanitizer,
    resource: Resource,
    private readonly contentMode: ContentMode | undefined,
  ) {
    const now = Date.now()
    this.e = {
      id: uuidv7(now),
      kind,
      timestamp: isoNow(now),
      level,
      message: '',
      service: resource.service,
    }
    if (resource.environment !== undefined) this.e.environment = resource.environment
    if (resource.service_version !== undefined) this.e.service_version = resource.service_version
  }

  context(ctx: ThreadlineContext | undefined): this {
    if (!ctx) return this
    if (ctx.trace_id !== undefined) this.e.trace_id = ctx.trace_id
    if (ctx.span_id !== undefined) this.e.span_id = ctx.span_id
    if (ctx.trace_flags !== undefined) this.e.trace_flags = ctx.trace_flags
    if (ctx.bindings !== undefined) this.fields(ctx.bindings)
    return this
  }

  message(m: unknown): this {
    if (m === undefined || m === null) return this
    this.e.message = this.s.string(typeof m === 'string' ? m : stringifyMessage(m))
    return this
  }

  fields(f: Record<string, unknown> | undefined): this {
    if (!f) return this
    try {
      for (const k in f) {
        if (!Object.prototype.hasOwnProperty.call(f, k)) continue
        let v: unknown
        try {
          v = f[k]
        } catch (err) {
          v = `[Throws: ${err instanceof Error ? err.message : String(err)}]`
        }
        if (v !== undefined) this.field(k, v)
      }
    } catch (err) {
      // a revoked Proxy or a hostile object: keep the event, say what happened
      this.attr('threadline.unreadable_fields', err instanceof Error ? err.message : String(err))
    }
    return this
  }

  field(k: string, v: unknown): void {
    if (!KNOWN_FIELDS.has(k)) {
      this.attr(k, v)
      return
    }
    const e = this.e
    if (STRING_FIELDS.has(k)) {
      if (typeof v === 'string' && v.length <= MAX_ID * 4)
        (e as Record<string, unknown>)[k] = this.s.string(v, 1024)
      else if (typeof v === 'number' && Number.isFinite(v))
        (e as Record<string, unknown>)[k] = String(v)
      else this.attr(k, v)
      return
    }
    switch (k) {
      case 'message':
      case 'msg':
        if (!e.message) this.message(v)
        else this.attr(k, v)
        return
      case 'level': {
        const l = toLevel(v)
        if (l) e.level = l
        else this.attr(k, v)
        return
      }
      case 'trace_id':
        if (typeof v === 'string' && HEX32.test(v) && v !== '0'.repeat(32)) {
          if (e.trace_id !== v) delete e.span_id
          e.trace_id = v
        } else this.attr(k, v)
        return
      case 'span_id':
      case 'parent_span_id':
        if (typeof v === 'string' && HEX16.test(v) && v !== '0'.repeat(16)) e[k] = v
        else this.attr(k, v)
        return
      case 'trace_flags':
        if (typeof v === 'string' && HEX2.test(v)) e.trace_flags = v
        else this.attr(k, v)
        return
      case 'duration_ms':
      case 'cost_usd':
        if (typeof v === 'number' && Number.isFinite(v) && v >= 0) e[k] = v
        else this.attr(k, v)
        return
      case 'http':
        if (v && typeof v === 'object')
          e.http = this.sub(
            v as Record<string, unknown>,
            HTTP_STR,
            HTTP_NUM,
            'http',
            e.http,
          ) as HttpInfo
        else this.attr(k, v)
        return
      case 'llm':
        if (v && typeof v === 'object')
          e.llm = this.sub(v as Record<string, unknown>, LLM_STR, LLM_NUM, 'llm', e.llm) as LlmInfo
        else this.attr(k, v)
        return
      case 'error':
      case 'err':
        if (v !== null) {
          this.errorValue = v
          this.hasError = true
        }
        return
      case 'attributes':
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          for (const ak in v as Record<string, unknown>) {
            if (Object.prototype.hasOwnProperty.call(v, ak))
              this.attr(ak, (v as Record<string, unknown>)[ak])
          }
        } else this.attr(k, v)
        return
      case 'tags':
        if (typeof v === 'string') (this.tagList ??= []).push(v)
        else if (Array.isArray(v))
          for (const t of v)
            if (typeof t === 'string' || typeof t === 'number')
              (this.tagList ??= []).push(String(t))
        return
      // span-only fields: on a log they are ordinary attributes
      case 'name':
        if (e.kind === 'span' && typeof v === 'string') e.name = this.s.string(v, 1024)
        else this.attr(k, v)
        return
      case 'span_kind':
        if (e.kind === 'span' && typeof v === 'string' && SPAN_KINDS.has(v as SpanKind))
          e.span_kind = v as SpanKind
        else this.attr(k, v)
        return
      case 'status':
        if (e.kind === 'span' && typeof v === 'string' && STATUSES.has(v as SpanStatus))
          e.status = v as SpanStatus
        else this.attr(k, v)
        return
      case 'kind':
        if (v === 'log' || v === 'span') e.kind = v
        else this.attr(k, v)
        return
      case 'timestamp': {
        const ts = toIso(v)
        if (ts) e.timestamp = ts
        else this.attr(k, v)
        return
      }
      case 'time': {
        const ts = toIso(v)
        if (ts) e.timestamp = ts
        return
      }
      case 'id':
        if (typeof v === 'string' && v.length > 0 && v.length <= 128) e.id = v
        else this.attr(k, v)
        return
      default:
        this.attr(k, v)
    }
  }

  private sub(
    v: Record<string, unknown>,
    strs: Set<string>,
    nums: Set<string>,
    prefix: string,
    existing: object | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = existing ? { ...existing } : {}
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue
      const x = v[k]
      if (x === undefined || x === null) continue
      if (strs.has(k) && typeof x === 'string') out[k] = this.s.string(x, 2048)
      else if (nums.has(k) && typeof x === 'number' && Number.isFinite(x) && x >= 0) out[k] = x
      else if (k === 'outcome' && prefix === 'http' && typeof x === 'string' && OUTCOMES.has(x))
        out[k] = x
      else this.attr(`${prefix}.${k}`, x)
    }
    return out
  }

  attr(k: string, v: unknown): void {
    const a = (this.attrs ??= {})
    if (this.attrCount >= this.s.limits.maxObjectKeys && !(k in a)) {
      a['…'] = '[truncated keys]'
      return
    }
    this.attrCount++
    this.s.attribute(a, k, v, this.contentMode)
  }

  tags(t: readonly string[] | undefined): this {
    if (t) for (const x of t) (this.tagList ??= []).push(x)
    return this
  }

  error(err: unknown): this {
    if (err !== undefined && err !== null) {
      this.errorValue = err
      this.hasError = true
    }
    return this
  }

  build(): ThreadlineEvent {
    const e = this.e
    if (this.hasError) {
      e.error = toErrorInfo(this.errorValue, this.s.string, this.s.limits.maxStackLength)
      if (!e.message) e.message = e.error.message
    }
    if (this.attrs) {
      for (const _ in this.attrs) {
        e.attributes = this.attrs
        break
      }
    }
    if (this.tagList)
      e.tags = [...new Set(this.tagList.map((t) => this.s.string(t, 256)))].slice(0, 64)
    this.s.wireFields(e)
    return e
  }
}

function toIso(v: unknown): string | undefined {
  let d: Date | undefined
  if (v instanceof Date) d = v
  else if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v)
  else if (typeof v === 'string' && v.length <= 64) d = new Date(v)
  if (!d || Number.isNaN(d.getTime())) return undefined
  return d.toISOString()
}

function stringifyMessage(m: unknown): string {
  if (m instanceof Error) return m.message
  if (typeof m === 'object') {
    try {
      return JSON.stringify(m) ?? String(m)
    } catch {
      return Object.prototype.toString.call(m)
    }
  }
  return String(m)
}

export interface NormalizeOptions {
  sanitizer: Sanitizer
  resource: Resource
  context?: ThreadlineContext | undefined
  /** Fields applied before the input's own (a logger's bindings). */
  bindings?: Record<string, unknown> | undefined
  contentMode?: ContentMode
}

/**
 * Turn whatever a caller passes into a valid threadline event v1: levels
 * (`critical` -> `fatal`), ids and timestamp generated when absent, errors to
 * `{type, message, stack, fingerprint}`, unknown keys under `attributes`,
 * everything redacted and capped.
 */
export function normalizeEvent(input: unknown, options: NormalizeOptions): ThreadlineEvent {
  const { sanitizer, resource, context, bindings, contentMode } = options
  const obj: Record<string, unknown> =
    input !== null &&
    typeof input === 'object' &&
    !Array.isArray(input) &&
    !(input instanceof Error)
      ? (input as Record<string, unknown>)
      : input instanceof Error
        ? { error: input, level: 'error' }
        : { message: input }
  const kind: EventKind = obj['kind'] === 'span' ? 'span' : 'log'
  const level =
    toLevel(obj['level']) ??
    (obj['error'] !== undefined || obj['err'] !== undefined ? 'error' : 'info')
  const b = new EventBuilder(kind, level, sanitizer, resource, contentMode ?? context?.content_mode)
  b.context(context)
  b.fields(bindings)
  b.fields(obj)
  const e = b.build()
  if (e.kind === 'span') {
    if (!e.name) e.name = e.message || 'span'
    if (!e.message) e.message = e.name
    e.span_kind ??= 'internal'
    e.status ??= e.error ? 'error' : 'ok'
    e.duration_ms ??= 0
    // a span always has ids; never invented when the caller gave them
    e.trace_id ??= newTraceId()
    e.span_id ??= newSpanId()
  }
  return e
}

/** What every event of one logger shares: how values are sanitized and whose they are. */
export interface EventSource {
  readonly sanitizer: Sanitizer
  readonly resource: Resource
}

/**
 * A log event of one logger call. Fields apply in this order, later ones
 * winning: the scope's context and bindings, the logger's bindings, `extra`
 * (an `event()` call's category and event), the message, the call's fields.
 */
export function buildLogEvent(
  source: EventSource,
  level: Level,
  context: ThreadlineContext | undefined,
  bindings: Record<string, unknown> | undefined,
  message: unknown,
  fields: EventInput | undefined,
  error: unknown,
  contentMode: ContentMode | undefined,
  extra?: EventInput,
): ThreadlineEvent {
  const b = new EventBuilder(
    'log',
    level,
    source.sanitizer,
    source.resource,
    contentMode ?? context?.content_mode,
  )
  b.context(context)
  if (bindings) b.fields(bindings)
  if (extra) b.fields(extra)
  b.message(message)
  if (fields) b.fields(fields)
  if (error !== undefined) b.error(error)
  return b.build()
}

/**
 * The one event of a finished span: its context and the logger's bindings,
 * then the fields set on the span in order, its attributes and error; the
 * span's own ids, start time, name, kind, status and duration always win.
 */
export function buildSpanEvent(
  source: EventSource,
  r: SpanRecord,
  bindings: Record<string, unknown> | undefined,
): ThreadlineEvent {
  const level =
    r.level ?? (r.status === 'error' ? 'error' : r.status === 'cancelled' ? 'warn' : 'info')
  const b = new EventBuilder(
    'span',
    level,
    source.sanitizer,
    source.resource,
    r.context.content_mode,
  )
  b.context(r.context)
  if (bindings) b.fields(bindings)
  b.message(r.name)
  for (const f of r.fields) b.fields(f)
  if (r.attributes) b.fields({ attributes: r.attributes })
  if (r.error !== undefined) b.error(r.error)
  const e = b.build() as Mutable
  e.timestamp = isoNow(r.startWall)
  e.trace_id = r.context.trace_id!
  e.span_id = r.context.span_id!
  if (r.parent_span_id) e.parent_span_id = r.parent_span_id
  else delete e.parent_span_id
  e.name = r.name
  e.span_kind = r.kind
  e.status = r.status
  e.duration_ms = r.durationMs
  return e
}

// ---- log lines written directly ----
//
// The common log call (a message, a plain object of fields, no error) is
// serialized in one pass instead of built as an object, copied and then
// stringified: the line is the snapshot of the event. Its bytes are those of
// `serializeEvent(buildLogEvent(...))` (tests compare the two on a corpus of
// nasty inputs); whenever that is not certain the caller uses the builder.
//
// What a scope contributes (trace ids, the scope's and the logger's bindings)
// is the same for every event in it, so it is serialized once per scope and
// logger, by the builder itself, and kept on the scope object.

/** What a scope and a logger's bindings add to every line, serialized. */
interface ScopeLine {
  /** `,"service":...` up to the last top-level field the scope sets. */
  readonly head: string
  /** Top-level keys already set: a call setting one again takes the builder. */
  readonly topKeys: ReadonlySet<string>
  /** The scope's attributes as JSON members (no braces), and their keys. */
  readonly attrs: string
  readonly attrKeys: ReadonlySet<string>
  /** Keys in the attributes object (some may have no JSON), and attributes set. */
  readonly attrPresent: number
  readonly attrCount: number
}

const SCOPE_LINE = Symbol('threadline.scopeLine')
/** The fragment of a scope for one logger (its bindings and sanitizer); null: not direct. */
interface ScopeLineSlot {
  readonly owner: object
  readonly line: ScopeLine | null
}
type WithScopeLine = { [SCOPE_LINE]?: ScopeLineSlot }
const RESOURCE_KEYS = new Set(['service', 'environment', 'service_version'])
/**
 * How a log line carries a known key of the call: a string is the JSON of a
 * top-level string field (comma first); `null` an attribute (the span-only
 * fields, which a log keeps as attributes); `false` only the builder handles it.
 * Keys not in the map are attributes.
 */
const DIRECT_KEYS = new Map<string, string | null | false>()
for (const k of KNOWN_FIELDS) {
  if (STRING_FIELDS.has(k)) DIRECT_KEYS.set(k, `,"${k}":`)
  else if (k === 'name' || k === 'span_kind' || k === 'status') DIRECT_KEYS.set(k, null)
  else DIRECT_KEYS.set(k, false)
}

/** Bindings the direct line can carry: top-level string fields and attributes only. */
function plainBindings(b: Record<string, unknown> | undefined): boolean | 'mutable' {
  if (!b) return true
  let fixed = true
  for (const k in b) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) continue
    if (k === '__proto__' || k === '…') return false
    const d = DIRECT_KEYS.get(k)
    if (d === false || (d && RESOURCE_KEYS.has(k))) return false
    const v = b[k]
    if (v !== null && (typeof v === 'object' || typeof v === 'function')) fixed = false
  }
  return fixed ? true : 'mutable'
}

function makeScopeLine(
  source: EventSource,
  context: ThreadlineContext | undefined,
  bindings: Record<string, unknown> | undefined,
): ScopeLine | null {
  const b = new EventBuilder(
    'log',
    'info',
    source.sanitizer,
    source.resource,
    context?.content_mode,
  )
  b.context(context)
  if (bindings) b.fields(bindings)
  const e = b.build()
  if (e.message !== '' || e.level !== 'info' || e.error || e.tags) return null
  const attributes = e.attributes
  delete e.attributes
  const json = serializeEvent(e)
  const at = json.indexOf('"message":""')
  if (at < 0) return null
  const attrKeys = attributes ? Object.keys(attributes) : []
  return {
    head: json.slice(at + 12, -1),
    topKeys: new Set(Object.keys(e)),
    attrs: attributes ? safeJson(JSON.stringify(attributes)).slice(1, -1) : '',
    attrKeys: new Set(attrKeys),
    attrPresent: attrKeys.length,
    attrCount: b.attrCount,
  }
}

function scopeLine(
  source: EventSource,
  context: ThreadlineContext | undefined,
  bindings: Record<string, unknown> | undefined,
  owner: object & WithScopeLine,
  cache: boolean,
): ScopeLine | null {
  const slot = (context ?? owner) as WithScopeLine
  if (cache) {
    const hit = slot[SCOPE_LINE]
    if (hit !== undefined && hit.owner === owner) return hit.line
  }
  const a = plainBindings(context?.bindings)
  const b = plainBindings(bindings)
  const line = a && b ? makeScopeLine(source, context, bindings) : null
  // bindings holding objects are read at each event, as the builder does
  if (cache && a !== 'mutable' && b !== 'mutable') {
    try {
      const value: ScopeLineSlot = { owner, line }
      Object.defineProperty(slot, SCOPE_LINE, { value, writable: true, configurable: true })
    } catch {
      // a frozen scope object: nothing cached
    }
  }
  return line
}

/**
 * The JSON line of a log call with no error and no per-call content switch,
 * exactly `serializeEvent(buildLogEvent(...))`; undefined when only the builder
 * can say. `owner` is the logger (its bindings); `cached` says that `context`
 * is a scope object that lives on (not a fresh OpenTelemetry view).
 */
export function logLine(
  source: EventSource,
  level: Level,
  context: ThreadlineContext | undefined,
  cached: boolean,
  bindings: Record<string, unknown> | undefined,
  owner: object,
  message: unknown,
  fields: EventInput | undefined,
): string | undefined {
  try {
    return directLine(source, level, context, cached, bindings, owner, message, fields)
  } catch {
    // whatever threw (a hostile value) the builder meets again and records
    return undefined
  }
}

function directLine(
  source: EventSource,
  level: Level,
  context: ThreadlineContext | undefined,
  cached: boolean,
  bindings: Record<string, unknown> | undefined,
  owner: object,
  message: unknown,
  fields: EventInput | undefined,
): string | undefined {
  const s = source.sanitizer
  if (!s.direct || !s.jsonString || !s.jsonAttribute) return undefined
  const mode = context?.content_mode ?? s.contentMode
  if (mode !== 'full') return undefined
  if (message !== undefined && message !== null && typeof message !== 'string') return undefined
  let keys: string[] | undefined
  if (fields !== undefined) {
    const proto = Object.getPrototypeOf(fields)
    if ((proto !== Object.prototype && proto !== null) || utilTypes.isProxy(fields))
      return undefined
    keys = Object.keys(fields)
  }
  const scope = scopeLine(source, context, bindings, owner, cached)
  if (!scope) return undefined
  let line = ''
  let attrs = scope.attrs
  let present = scope.attrPresent
  if (keys !== undefined) {
    // One pass: a key the scope already set, or one only the builder handles, hands
    // the whole event to the builder (which reads the fields again).
    const checkAttrs = scope.attrKeys.size > 0
    const f = fields as Record<string, unknown>
    const maxKeys = s.limits.maxObjectKeys
    let count = scope.attrCount
    for (const k of keys) {
      const d = DIRECT_KEYS.get(k)
      if (d === false) return undefined
      let v: unknown
      try {
        v = f[k]
      } catch (err) {
        v = `[Throws: ${err instanceof Error ? err.message : String(err)}]`
      }
      if (v === undefined) continue
      if (d) {
        if (scope.topKeys.has(k)) return undefined
        if (typeof v === 'string' && v.length <= MAX_ID * 4) {
          line += d + s.jsonString(v, 1024)
          continue
        }
        if (typeof v === 'number' && Number.isFinite(v)) {
          line += d + '"' + String(v) + '"'
          continue
        }
      }
      if (checkAttrs && scope.attrKeys.has(k)) return undefined
      if (count >= maxKeys) return undefined
      // an index-like key goes first in the attributes object, before the scope's
      if (present > 0 && isIndexKey(k)) return undefined
      count++
      const part = s.jsonAttribute(k, v, mode, attrs === '')
      if (part === undefined) return undefined
      if (part === null) continue
      present++
      attrs += part
    }
  }
  const now = Date.now()
  return (
    '{"id":"' +
    uuidv7(now) +
    '","kind":"log","timestamp":"' +
    isoNow(now) +
    LEVEL_JSON[level] +
    (typeof message === 'string' ? s.jsonString(message) : '""') +
    scope.head +
    line +
    (present > 0 ? ',"attributes":{' + attrs + '}}' : '}')
  )
}

/** Keys an object orders first (array indices: canonical integers below 2^32 - 1). */
function isIndexKey(k: string): boolean {
  const c = k.charCodeAt(0)
  if (c < 48 || c > 57) return false
  return String(Number(k) >>> 0) === k && k !== '4294967295'
}

const LEVEL_JSON: Readonly<Record<Level, string>> = {
  trace: '","level":"trace","message":',
  debug: '","level":"debug","message":',
  info: '","level":"info","message":',
  warn: '","level":"warn","message":',
  error: '","level":"error","message":',
  fatal: '","level":"fatal","message":',
}

// ---- span lines written directly ----
//
// The event of a finished span, written straight to its line with the bytes of
// `serializeEvent(buildSpanEvent(...))`, for the common shape: a scope with no
// bindings, a logger with none, fields that are top-level strings, `level`,
// `http`, `llm`, `cost_usd` or attributes, no error. Anything else is built.

/** Known keys a span line carries from the span's fields; absent and known: the builder. */
const SPAN_KEYS = new Map<string, 'top' | 'level' | 'http' | 'llm' | 'number'>()
for (const k of STRING_FIELDS) if (!RESOURCE_KEYS.has(k)) SPAN_KEYS.set(k, 'top')
SPAN_KEYS.set('level', 'level')
SPAN_KEYS.set('http', 'http')
SPAN_KEYS.set('llm', 'llm')
SPAN_KEYS.set('cost_usd', 'number')

/** A span line's parts while it is written; `false` from a step: the builder decides. */
class SpanLineParts {
  /** Top-level fields in the order the builder sets them: JSON, or an `http` / `llm` object's members. */
  readonly top = new Map<string, string | Map<string, string>>()
  attrs = ''
  present = 0
  count = 0
  level: Level
  readonly attrKeys = new Set<string>()

  constructor(
    private readonly s: Sanitizer,
    private readonly mode: ContentMode,
    level: Level,
  ) {
    this.level = level
  }

  /** `attr(k, v)` of the builder. */
  attr(k: string, v: unknown, fromFields: boolean): boolean {
    if (this.attrKeys.has(k) || this.count >= this.s.limits.maxObjectKeys) return false
    if (this.present > 0 && isIndexKey(k)) return false
    this.count++
    // the builder's `attributes` field passes undefined values on: counted, nothing set
    if (v === undefined && !fromFields) return true
    const part = this.s.jsonAttribute!(k, v, this.mode, this.attrs === '')
    if (part === undefined) return false
    this.attrKeys.add(k)
    if (part === null) return true
    this.present++
    this.attrs += part
    return true
  }

  /** `sub()` of the builder: `http` or `llm` members merged into `out`, invalid ones as attributes. */
  sub(
    v: Record<string, unknown>,
    strs: ReadonlySet<string>,
    nums: ReadonlySet<string>,
    prefix: string,
    out: Map<string, string>,
  ): boolean {
    const proto = Object.getPrototypeOf(v)
    if ((proto !== Object.prototype && proto !== null) || utilTypes.isProxy(v)) return false
    for (const k of Object.keys(v)) {
      const x = v[k]
      if (x === undefined || x === null) continue
      let json: string | undefined
      if (strs.has(k) && typeof x === 'string') json = this.s.jsonString!(x, 2048)
      else if (nums.has(k) && typeof x === 'number' && Number.isFinite(x) && x >= 0)
        json = String(x)
      else if (k === 'outcome' && prefix === 'http' && typeof x === 'string' && OUTCOMES.has(x))
        json = '"' + x + '"'
      if (json === undefined) {
        if (!this.attr(`${prefix}.${k}`, x, true)) return false
        continue
      }
      out.set(k, json)
    }
    return true
  }

  /** Set a top-level field the builder sets once; a second time takes the builder. */
  private once(k: string, json: string): boolean {
    if (this.top.has(k)) return false
    this.top.set(k, json)
    return true
  }

  /** `fields(f)` of the builder for one of the span's field objects. */
  fields(f: EventInput): boolean {
    const proto = Object.getPrototypeOf(f)
    if ((proto !== Object.prototype && proto !== null) || utilTypes.isProxy(f)) return false
    for (const k of Object.keys(f)) {
      const v = f[k]
      if (v === undefined) continue
      const kind = SPAN_KEYS.get(k)
      if (kind === undefined) {
        if (KNOWN_FIELDS.has(k) || !this.attr(k, v, true)) return false
        continue
      }
      if (kind === 'level') {
        const l = toLevel(v)
        if (l) this.level = l
        else if (!this.attr(k, v, true)) return false
        continue
      }
      if (kind === 'top') {
        if (typeof v === 'string' && v.length <= MAX_ID * 4) {
          if (!this.once(k, this.s.jsonString!(v, 1024))) return false
        } else if (typeof v === 'number' && Number.isFinite(v)) {
          if (!this.once(k, '"' + String(v) + '"')) return false
        } else if (!this.attr(k, v, true)) return false
        continue
      }
      if (kind === 'number') {
        if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
          if (!this.once(k, String(v))) return false
        } else if (!this.attr(k, v, true)) return false
        continue
      }
      // http, llm: an object merges into what earlier fields set, in place
      if (!v || typeof v !== 'object') {
        if (!this.attr(k, v, true)) return false
        continue
      }
      let members = this.top.get(k)
      if (members === undefined) this.top.set(k, (members = new Map()))
      else if (typeof members === 'string') return false
      const ok =
        kind === 'http'
          ? this.sub(v as Record<string, unknown>, HTTP_STR, HTTP_NUM, 'http', members)
          : this.sub(v as Record<string, unknown>, LLM_STR, LLM_NUM, 'llm', members)
      if (!ok) return false
    }
    return true
  }

  /** The top-level fields as JSON members, each after a comma. */
  topJson(): string {
    let out = ''
    for (const [k, v] of this.top) {
      if (typeof v === 'string') {
        out += ',"' + k + '":' + v
        continue
      }
      let inner = ''
      for (const [mk, mv] of v) inner += (inner === '' ? '"' : ',"') + mk + '":' + mv
      out += ',"' + k + '":{' + inner + '}'
    }
    return out
  }
}

/**
 * The JSON line of a finished span, exactly `serializeEvent(buildSpanEvent(...))`;
 * undefined when only the builder can say.
 */
export function spanLine(
  source: EventSource,
  r: SpanRecord,
  bindings: Record<string, unknown> | undefined,
): string | undefined {
  try {
    return directSpanLine(source, r, bindings)
  } catch {
    return undefined
  }
}

function directSpanLine(
  source: EventSource,
  r: SpanRecord,
  bindings: Record<string, unknown> | undefined,
): string | undefined {
  const s = source.sanitizer
  const ctx = r.context
  if (!s.direct || !s.jsonString || !s.jsonAttribute) return undefined
  if (bindings || ctx.bindings || r.error !== undefined) return undefined
  if (
    typeof ctx.trace_id !== 'string' ||
    typeof ctx.span_id !== 'string' ||
    (ctx.trace_flags !== undefined && typeof ctx.trace_flags !== 'string') ||
    typeof r.name !== 'string' ||
    typeof r.kind !== 'string' ||
    (r.level !== undefined && LEVEL_JSON[r.level] === undefined)
  )
    return undefined
  const mode = ctx.content_mode ?? s.contentMode
  if (mode !== 'full') return undefined
  const parts = new SpanLineParts(
    s,
    mode,
    r.level ?? (r.status === 'error' ? 'error' : r.status === 'cancelled' ? 'warn' : 'info'),
  )
  for (const f of r.fields) if (f && !parts.fields(f)) return undefined
  const a = r.attributes
  if (a) {
    if (typeof a !== 'object' || Array.isArray(a)) return undefined
    for (const k in a) {
      if (!Object.prototype.hasOwnProperty.call(a, k)) continue
      if (k === '__proto__' || !parts.attr(k, a[k], false)) return undefined
    }
  }
  const res = source.resource
  const d = r.durationMs
  return (
    '{"id":"' +
    uuidv7(Date.now()) +
    '","kind":"span","timestamp":"' +
    isoNow(r.startWall) +
    LEVEL_JSON[parts.level] +
    s.jsonString(r.name) +
    ',"service":' +
    quoteJson(res.service) +
    (res.environment !== undefined ? ',"environment":' + quoteJson(res.environment) : '') +
    (res.service_version !== undefined
      ? ',"service_version":' + quoteJson(res.service_version)
      : '') +
    ',"trace_id":' +
    quoteJson(ctx.trace_id) +
    ',"span_id":' +
    quoteJson(ctx.span_id) +
    (ctx.trace_flags !== undefined ? ',"trace_flags":' + quoteJson(ctx.trace_flags) : '') +
    parts.topJson() +
    (parts.present > 0 ? ',"attributes":{' + parts.attrs + '}' : '') +
    (r.parent_span_id ? ',"parent_span_id":' + quoteJson(r.parent_span_id) : '') +
    ',"name":' +
    quoteJson(r.name) +
    ',"span_kind":' +
    quoteJson(r.kind) +
    ',"status":' +
    quoteJson(r.status) +
    ',"duration_ms":' +
    (Number.isFinite(d) ? String(d) : 'null') +
    '}'
  )
}
