import { trace as otelTrace } from '@opentelemetry/api'
import type { Tracer } from '@opentelemetry/api'
import { currentScope, otelSpanContext } from './context.js'
import type { ThreadlineContext } from './context.js'
import { diag } from './diag.js'
import { ThreadlineConfigError } from './errors.js'
import { consoleExporter } from './exporters/console.js'
import { httpLevel, LEVEL_VALUES, toLevel } from './levels.js'
import { EventBuilder, normalizeEvent } from './normalize.js'
import type { Resource } from './normalize.js'
import { createPipeline } from './pipeline.js'
import type { Pipeline } from './pipeline.js'
import { costOf as defaultCostOf } from './pricing.js'
import type { PriceTable, TokenUsage } from './pricing.js'
import { createSanitizer } from './sanitize.js'
import type { ContentOptions, LimitOptions, RedactionOptions, Sanitizer } from './sanitize.js'
import { createSpan, runSpan } from './span.js'
import type { Span, SpanHost, SpanOptions, SpanRecord } from './span.js'
import type {
  BatchOptions,
  Bindings,
  ContentMode,
  EventInput,
  Exporter,
  HttpInfo,
  Level,
  LlmInfo,
  PipelineStats,
  ThreadlineEvent,
} from './types.js'

export interface LoggerOptions {
  /** Service name on every event. @default THREADLINE_SERVICE, OTEL_SERVICE_NAME, npm_package_name, 'unknown_service:node' */
  service?: string
  /** @default THREADLINE_ENVIRONMENT or NODE_ENV */
  environment?: string
  /** @default THREADLINE_SERVICE_VERSION or npm_package_version */
  serviceVersion?: string
  /** Minimum level emitted. @default THREADLINE_LEVEL or 'info' */
  level?: Level
  /** Where events go. Ignored when `pipeline` is given. @default [consoleExporter()] */
  exporters?: readonly Exporter[]
  /** Share an existing pipeline instead of creating one. */
  pipeline?: Pipeline
  /** Batching for the pipeline this logger creates. @default DEFAULT_BATCH */
  batch?: Partial<BatchOptions>
  /** Key, path and value-pattern redaction; `false` turns it off. @default {} (the defaults) */
  redact?: RedactionOptions | false
  /** Size caps for values and whole events. @default {} (the defaults) */
  limits?: LimitOptions
  /** What happens to LLM prompts and completions. @default { mode: 'full' } */
  content?: ContentOptions
  /** Fields on every event of this logger. @default {} */
  bindings?: Bindings
  /** Price table for `cost_usd`. @default the global table (see `setPrices`) */
  prices?: PriceTable
  /**
   * Mirror every Threadline span into OpenTelemetry (using the registered tracer
   * provider, or the tracer given) and adopt its ids.
   * @default false
   */
  otel?: { mirrorSpans?: boolean; tracer?: Tracer }
  /** Drain on SIGTERM/SIGINT/beforeExit/exit. @default true */
  hookProcess?: boolean
}

/** Fields of an LLM call for `logger.generation()`. */
export interface GenerationFields extends EventInput, TokenUsage {
  model?: string
  provider?: string
  operation?: string
  total_tokens?: number
  ttft_ms?: number
  duration_ms?: number
  usage_source?: string
  prompt?: unknown
  completion?: unknown
  messages?: unknown
  /** Per-call content switch: `'off'` logs no prompt or completion for this call. */
  content?: ContentMode
}

export interface HttpFields extends EventInput, HttpInfo {
  duration_ms?: number
}

type LogFn = {
  (message: string, fields?: EventInput): void
  (message: string, error: Error): void
  (fields: EventInput, message?: string): void
  (error: Error, message?: string): void
}

export interface Logger {
  trace: LogFn
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
  fatal: LogFn
  /** Log at a level given at run time (`critical` is `fatal`). */
  log(level: Level | 'critical', message: string, fields?: EventInput): void
  isLevelEnabled(level: Level): boolean
  readonly level: Level
  /** A logger whose events all carry `bindings`. */
  child(bindings: Bindings): Logger
  /** One event of the category -> event hierarchy (`logger.event('kb', 'file_upload_started', {...})`). */
  event(category: string, event: string, fields?: EventInput): void
  /** An HTTP request event (category `http`, event `request`); level from the status code. */
  http(fields: HttpFields): void
  /** An LLM call (category `llm`, event `generation`) with tokens and `cost_usd` from the price table. */
  generation(fields: GenerationFields): void
  /** An authentication event (category `auth`): `login`, `logout`, `login_failed`, ... */
  auth(event: string, fields?: EventInput): void
  /** An administrative action (category `admin`). */
  admin(event: string, fields?: EventInput): void
  /** An audit record (category `audit`): who did what to which resource. */
  audit(action: string, fields?: EventInput): void
  /**
   * Emit any event-shaped object; it is normalized, redacted and queued. With
   * `options.context`, that context (or none, for `null`) replaces the active
   * one: for events delivered later than they happened (buffered log lines).
   */
  emit(input: EventInput, options?: { context?: ThreadlineContext | null }): void
  startSpan(name: string, options?: SpanOptions): Span
  span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T
  /** Cost in USD from this logger's price table; undefined for unknown models or no usage. */
  costOf(model: string | undefined, usage: TokenUsage): number | undefined
  flush(timeoutMs?: number): Promise<boolean>
  shutdown(timeoutMs?: number): Promise<boolean>
  stats(): PipelineStats
  readonly pipeline: Pipeline
  readonly resource: Readonly<Resource>
  /** @internal */
  readonly sanitizer: Sanitizer
}

interface Core extends SpanHost {
  pipeline: Pipeline
  sanitizer: Sanitizer
  resource: Resource
  min: number
  level: Level
  costOf: (model: string | undefined, usage: TokenUsage) => number | undefined
  tracer: Tracer | undefined
}

function env(name: string): string | undefined {
  const v = typeof process !== 'undefined' ? process.env[name] : undefined
  return v === '' ? undefined : v
}

type LevelMethod = (this: LoggerImpl, a: unknown, b?: unknown) => void

function method(level: Level): LevelMethod {
  const value = LEVEL_VALUES[level]
  return function (this: LoggerImpl, a: unknown, b?: unknown): void {
    if (value < this.core.min) return
    try {
      this.write(level, a, b)
    } catch (err) {
      diag.error('log call failed', err)
    }
  }
}

class LoggerImpl implements Logger {
  declare trace: LogFn
  declare debug: LogFn
  declare info: LogFn
  declare warn: LogFn
  declare error: LogFn
  declare fatal: LogFn

  constructor(
    readonly core: Core,
    private readonly bindings: Bindings | undefined,
  ) {}

  get level(): Level {
    return this.core.level
  }
  get pipeline(): Pipeline {
    return this.core.pipeline
  }
  get resource(): Readonly<Resource> {
    return this.core.resource
  }
  get sanitizer(): Sanitizer {
    return this.core.sanitizer
  }

  isLevelEnabled(level: Level): boolean {
    return LEVEL_VALUES[level] >= this.core.min
  }

  private builder(level: Level, kind: 'log' | 'span', contentMode?: ContentMode): EventBuilder {
    const ctx = currentScope() ?? otelSpanContext()
    const b = new EventBuilder(
      kind,
      level,
      this.core.sanitizer,
      this.core.resource,
      contentMode ?? ctx?.content_mode,
    )
    b.context(ctx)
    if (this.bindings) b.fields(this.bindings)
    return b
  }

  write(level: Level, a: unknown, b?: unknown, extra?: EventInput): void {
    let message: unknown
    let fields: EventInput | undefined
    let err: unknown
    if (typeof a === 'object' && a !== null && !isReadable(a)) a = '[unreadable log argument]'
    if (typeof b === 'object' && b !== null && !isReadable(b))
      b = { 'threadline.unreadable_fields': true }
    if (typeof a === 'string') {
      message = a
      if (b !== null && typeof b === 'object') {
        if (b instanceof Error) err = b
        else fields = b as EventInput
      }
    } else if (a instanceof Error) {
      err = a
      message = typeof b === 'string' ? b : a.message
    } else if (a !== null && typeof a === 'object') {
      fields = a as EventInput
      message = b
    } else message = a
    const content =
      fields && typeof fields['content'] === 'string'
        ? (fields['content'] as ContentMode)
        : undefined
    const builder = this.builder(level, 'log', content)
    if (extra) builder.fields(extra)
    builder.message(message)
    if (fields) builder.fields(content ? withoutKey(fields, 'content') : fields)
    if (err !== undefined) builder.error(err)
    this.core.pipeline.emit(builder.build())
  }

  log(level: Level | 'critical', message: string, fields?: EventInput): void {
    const l = toLevel(level) ?? 'info'
    if (LEVEL_VALUES[l] < this.core.min) return
    try {
      this.write(l, message, fields)
    } catch (err) {
      diag.error('log call failed', err)
    }
  }

  child(bindings: Bindings): Logger {
    return new LoggerImpl(
      this.core,
      this.bindings ? { ...this.bindings, ...bindings } : { ...bindings },
    )
  }

  event(category: string, event: string, fields: EventInput = {}): void {
    const level = toLevel(fields.level) ?? 'info'
    if (LEVEL_VALUES[level] < this.core.min) return
    try {
      const msg = fields.message ?? fields.msg ?? `${category}.${event}`
      this.write(
        level,
        typeof msg === 'string' ? msg : String(msg),
        withoutKey(fields, 'message', 'msg', 'level'),
        { category, event },
      )
    } catch (err) {
      diag.error('event call failed', err)
    }
  }

  http(fields: HttpFields): void {
    const rest: EventInput = { ...fields }
    const http: Record<string, unknown> = {}
    for (const k of HTTP_KEYS) {
      if (rest[k] !== undefined) http[k] = rest[k]
      delete rest[k]
    }
    const { method, route, path, status_code } = fields
    const level = toLevel(rest.level) ?? httpLevel(status_code, fields.outcome)
    const message =
      `${method ?? ''} ${route ?? path ?? ''}${status_code !== undefined ? ' ' + status_code : ''}`.trim()
    this.event('http', 'request', { message, ...rest, level, http })
  }

  generation(fields: GenerationFields): void {
    const {
      model,
      provider,
      operation,
      input_tokens,
      output_tokens,
      total_tokens,
      cache_read_tokens,
      cache_write_tokens,
      reasoning_tokens,
      ttft_ms,
      usage_source,
      prompt,
      completion,
      messages,
      content,
      ...rest
    } = fields
    const llm: LlmInfo = pick({
      model,
      provider,
      operation: operation ?? 'chat',
      input_tokens,
      output_tokens,
      total_tokens:
        total_tokens ??
        (input_tokens !== undefined && output_tokens !== undefined
          ? input_tokens + output_tokens
          : undefined),
      cache_read_tokens,
      cache_write_tokens,
      reasoning_tokens,
      ttft_ms,
      usage_source:
        usage_source ??
        (input_tokens !== undefined || output_tokens !== undefined ? 'reported' : undefined),
    })
    const out: EventInput = { message: `${model ?? 'llm'} ${operation ?? 'chat'}`, ...rest, llm }
    if (rest.cost_usd === undefined) {
      const cost = this.core.costOf(model, {
        input_tokens,
        output_tokens,
        cache_read_tokens,
        cache_write_tokens,
        reasoning_tokens,
      } as TokenUsage)
      if (cost !== undefined) out.cost_usd = cost
    }
    if (prompt !== undefined) out['prompt'] = prompt
    if (messages !== undefined) out['messages'] = messages
    if (completion !== undefined) out['completion'] = completion
    if (content !== undefined) out['content'] = content
    this.event('llm', 'generation', out)
  }

  auth(event: string, fields: EventInput = {}): void {
    const failed = /fail|denied|invalid|locked|reject/i.test(event)
    this.event('auth', event, { level: failed ? 'warn' : 'info', ...fields })
  }

  admin(event: string, fields: EventInput = {}): void {
    this.event('admin', event, fields)
  }

  audit(action: string, fields: EventInput = {}): void {
    this.event('audit', action, { action, ...fields })
  }

  emit(input: EventInput, options?: { context?: ThreadlineContext | null }): void {
    try {
      const context =
        options && 'context' in options
          ? (options.context ?? undefined)
          : (currentScope() ?? otelSpanContext())
      const e = normalizeEvent(input, {
        sanitizer: this.core.sanitizer,
        resource: this.core.resource,
        context,
        bindings: this.bindings,
      })
      if (LEVEL_VALUES[e.level] < this.core.min) return
      this.core.pipeline.emit(e)
    } catch (err) {
      diag.error('emit failed', err)
    }
  }

  startSpan(name: string, options?: SpanOptions): Span {
    return createSpan(this.spanHost(), name, options)
  }

  costOf(model: string | undefined, usage: TokenUsage): number | undefined {
    return this.core.costOf(model, usage)
  }

  span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T {
    return runSpan(this.spanHost(), name, fn, options)
  }

  private spanHost(): SpanHost {
    if (!this.bindings) return this.core
    return { tracer: this.core.tracer, emitSpan: (r) => emitSpan(this.core, r, this.bindings) }
  }

  flush(timeoutMs?: number): Promise<boolean> {
    return this.core.pipeline.flush(timeoutMs)
  }
  shutdown(timeoutMs?: number): Promise<boolean> {
    return this.core.pipeline.shutdown(timeoutMs)
  }
  stats(): PipelineStats {
    return this.core.pipeline.stats()
  }
}

for (const l of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) {
  ;(LoggerImpl.prototype as unknown as Record<string, LevelMethod>)[l] = method(l)
}

function emitSpan(core: Core, r: SpanRecord, bindings: Bindings | undefined): void {
  try {
    const level =
      r.level ?? (r.status === 'error' ? 'error' : r.status === 'cancelled' ? 'warn' : 'info')
    const b = new EventBuilder('span', level, core.sanitizer, core.resource, r.context.content_mode)
    b.context(r.context)
    if (bindings) b.fields(bindings)
    b.message(r.name)
    for (const f of r.fields) b.fields(f)
    if (r.attributes) b.fields({ attributes: r.attributes })
    if (r.error !== undefined) b.error(r.error)
    const e = b.build()
    e.timestamp = new Date(r.startWall).toISOString()
    e.trace_id = r.context.trace_id!
    e.span_id = r.context.span_id!
    if (r.parent_span_id) e.parent_span_id = r.parent_span_id
    else delete e.parent_span_id
    e.name = r.name
    e.span_kind = r.kind
    e.status = r.status
    e.duration_ms = r.durationMs
    core.pipeline.emit(e as ThreadlineEvent)
  } catch (err) {
    diag.error('span emit failed', err)
  }
}

/** False for objects that throw on inspection (revoked proxies). */
function isReadable(o: object): boolean {
  try {
    Object.getPrototypeOf(o)
    return true
  } catch {
    return false
  }
}

const HTTP_KEYS = [
  'method',
  'route',
  'path',
  'status_code',
  'outcome',
  'request_bytes',
  'response_bytes',
  'client_address',
  'user_agent',
] as const satisfies readonly (keyof HttpInfo)[]

function withoutKey(o: EventInput, ...keys: string[]): EventInput {
  const out: EventInput = {}
  for (const k in o) if (!keys.includes(k)) out[k] = o[k]
  return out
}

function pick<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  const out = {} as T
  for (const k in o) if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k]
  return out
}

/** Create a logger with its own pipeline (or a shared one). Throws ThreadlineConfigError on bad options. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const {
    service = env('THREADLINE_SERVICE') ??
      env('OTEL_SERVICE_NAME') ??
      env('npm_package_name') ??
      'unknown_service:node',
    environment = env('THREADLINE_ENVIRONMENT') ?? env('NODE_ENV'),
    serviceVersion = env('THREADLINE_SERVICE_VERSION') ?? env('npm_package_version'),
    level: levelOpt = (env('THREADLINE_LEVEL') as Level | undefined) ?? 'info',
    exporters,
    pipeline: sharedPipeline,
    batch,
    redact,
    limits,
    content,
    bindings,
    prices,
    otel,
    hookProcess = true,
  } = options
  const level = toLevel(levelOpt)
  if (!level) throw new ThreadlineConfigError(`unknown level ${JSON.stringify(levelOpt)}`, 'level')
  if (typeof service !== 'string' || service.length === 0)
    throw new ThreadlineConfigError('service must be a non-empty string', 'service')
  const sanitizer = createSanitizer({
    ...(redact !== undefined ? { redact } : {}),
    ...(limits ? { limits } : {}),
    ...(content ? { content } : {}),
  })
  const pipeline =
    sharedPipeline ??
    createPipeline({
      exporters: exporters ?? [consoleExporter()],
      ...(batch ? { batch } : {}),
      maxEventBytes: sanitizer.limits.maxEventBytes,
      hookProcess,
    })
  const resource: Resource = { service }
  if (environment) resource.environment = environment
  if (serviceVersion) resource.service_version = serviceVersion
  const core: Core = {
    pipeline,
    sanitizer,
    resource,
    level,
    min: LEVEL_VALUES[level],
    costOf: prices ? (m, u) => prices.costOf(m, u) : defaultCostOf,
    tracer: otel?.mirrorSpans
      ? (otel.tracer ?? otelTrace.getTracer('@threadline/core'))
      : undefined,
    emitSpan: (r) => emitSpan(core, r, undefined),
  }
  return new LoggerImpl(
    core,
    bindings && Object.keys(bindings).length ? { ...bindings } : undefined,
  )
}

// ---- the process-wide default logger adapters use unless given one ----

const DEFAULT_KEY = Symbol.for('threadline.logger.default.v1')
const gl = globalThis as unknown as Record<symbol, Logger | undefined>

/** The default logger (created on first use from environment variables, console exporter). */
export function getLogger(): Logger {
  return (gl[DEFAULT_KEY] ??= createLogger())
}

/** Replace the default logger; returns the previous one (if any). */
export function setDefaultLogger(logger: Logger): Logger | undefined {
  const prev = gl[DEFAULT_KEY]
  gl[DEFAULT_KEY] = logger
  return prev
}
