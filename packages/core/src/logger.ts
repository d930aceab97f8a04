import { trace as otelTrace } from '@opentelemetry/api'
import type { Tracer } from '@opentelemetry/api'
import { currentScope, otelSpanContext } from './context.js'
import type { ThreadlineContext } from './context.js'
import { diag } from './diag.js'
import { ThreadlineConfigError } from './errors.js'
import { consoleExporter } from './exporters/console.js'
import { LEVEL_VALUES, toLevel } from './levels.js'
import { buildLogEvent, buildSpanEvent, logLine, normalizeEvent, spanLine } from './normalize.js'
import type { EventSource, Resource } from './normalize.js'
import { createPipeline, serializeEvent } from './pipeline.js'
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
  EventInput,
  Exporter,
  Level,
  PipelineStats,
  ThreadlineEvent,
} from './types.js'
import {
  auditEventFields,
  authEventFields,
  categoryEvent,
  generationEventFields,
  httpEventFields,
  parseLogArgs,
} from './vocabulary.js'
import type { GenerationFields, HttpFields } from './vocabulary.js'

export type { GenerationFields, HttpFields } from './vocabulary.js'

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

/** What every logger made from one `createLogger` call shares (child loggers add bindings). */
interface Core extends EventSource {
  readonly pipeline: Pipeline
  readonly sanitizer: Sanitizer
  readonly resource: Resource
  readonly min: number
  readonly level: Level
  readonly costOf: (model: string | undefined, usage: TokenUsage) => number | undefined
  readonly tracer: Tracer | undefined
}

/**
 * Queue a built event as its line, so the object dies young instead of waiting
 * in the queue for its batch (exporters that ask for it get it parsed back).
 */
function queue(pipeline: Pipeline, event: ThreadlineEvent): void {
  if (pipeline.emitLine) pipeline.emitLine(serializeEvent(event))
  else pipeline.emit(event)
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

/**
 * A logger turns calls into events and hands them to its pipeline; what the
 * arguments mean lives in `vocabulary.ts`, how an event is built in
 * `normalize.ts`. It is also the host of the spans it starts, so a span's event
 * carries this logger's bindings whoever started it.
 */
class LoggerImpl implements Logger, SpanHost {
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
  get tracer(): Tracer | undefined {
    return this.core.tracer
  }

  isLevelEnabled(level: Level): boolean {
    return LEVEL_VALUES[level] >= this.core.min
  }

  write(level: Level, a: unknown, b?: unknown, extra?: EventInput): void {
    const { message, fields, error, content } = parseLogArgs(a, b)
    const scope = currentScope()
    const context = scope ?? otelSpanContext()
    const pipeline = this.core.pipeline
    if (
      error === undefined &&
      content === undefined &&
      extra === undefined &&
      pipeline.emitLine !== undefined
    ) {
      const line = logLine(
        this.core,
        level,
        context,
        scope !== undefined || context === undefined,
        this.bindings,
        this,
        message,
        fields,
      )
      if (line !== undefined) {
        pipeline.emitLine(line)
        return
      }
    }
    queue(
      pipeline,
      buildLogEvent(
        this.core,
        level,
        context,
        this.bindings,
        message,
        fields,
        error,
        content,
        extra,
      ),
    )
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
      const e = categoryEvent(category, event, fields)
      this.write(e.level, e.message, e.fields, { category, event })
    } catch (err) {
      diag.error('event call failed', err)
    }
  }

  http(fields: HttpFields): void {
    this.event('http', 'request', httpEventFields(fields))
  }

  generation(fields: GenerationFields): void {
    this.event('llm', 'generation', generationEventFields(fields, this.core.costOf))
  }

  auth(event: string, fields: EventInput = {}): void {
    this.event('auth', event, authEventFields(event, fields))
  }

  admin(event: string, fields: EventInput = {}): void {
    this.event('admin', event, fields)
  }

  audit(action: string, fields: EventInput = {}): void {
    this.event('audit', action, auditEventFields(action, fields))
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
    return createSpan(this, name, options)
  }

  span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T {
    return runSpan(this, name, fn, options)
  }

  /** @internal called by a span of this logger when it ends. */
  emitSpan(r: SpanRecord): void {
    try {
      const pipeline = this.core.pipeline
      const line = pipeline.emitLine ? spanLine(this.core, r, this.bindings) : undefined
      if (line !== undefined) pipeline.emitLine!(line)
      else queue(pipeline, buildSpanEvent(this.core, r, this.bindings))
    } catch (err) {
      diag.error('span emit failed', err)
    }
  }

  costOf(model: string | undefined, usage: TokenUsage): number | undefined {
    return this.core.costOf(model, usage)
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

function env(name: string): string | undefined {
  const v = typeof process !== 'undefined' ? process.env[name] : undefined
  return v === '' ? undefined : v
}

/** Service, environment, version and level from the options, else from the environment. */
function environmentDefaults(options: LoggerOptions): { resource: Resource; level: Level } {
  const {
    service = env('THREADLINE_SERVICE') ??
      env('OTEL_SERVICE_NAME') ??
      env('npm_package_name') ??
      'unknown_service:node',
    environment = env('THREADLINE_ENVIRONMENT') ?? env('NODE_ENV'),
    serviceVersion = env('THREADLINE_SERVICE_VERSION') ?? env('npm_package_version'),
    level: levelOpt = (env('THREADLINE_LEVEL') as Level | undefined) ?? 'info',
  } = options
  const level = toLevel(levelOpt)
  if (!level) throw new ThreadlineConfigError(`unknown level ${JSON.stringify(levelOpt)}`, 'level')
  if (typeof service !== 'string' || service.length === 0)
    throw new ThreadlineConfigError('service must be a non-empty string', 'service')
  const resource: Resource = { service }
  if (environment) resource.environment = environment
  if (serviceVersion) resource.service_version = serviceVersion
  return { resource, level }
}

/** Create a logger with its own pipeline (or a shared one). Throws ThreadlineConfigError on bad options. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const {
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
  const { resource, level } = environmentDefaults(options)
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
  }
  return new LoggerImpl(
    core,
    bindings && Object.keys(bindings).length ? { ...bindings } : undefined,
  )
}
