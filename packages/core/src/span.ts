import {
  context as otelContext,
  trace as otelTrace,
  SpanStatusCode,
  SpanKind as OtelSpanKind,
} from '@opentelemetry/api'
import type { Span as OtelSpan, Tracer } from '@opentelemetry/api'
import { getContext, runInScope } from './context.js'
import type { ThreadlineContext } from './context.js'
import { newSpanId, newTraceId } from './ids.js'
import type { EventInput, Level, SpanKind, SpanStatus } from './types.js'

export interface SpanOptions {
  /** @default 'internal' */
  kind?: SpanKind
  /** Event fields set on the span (`category`, `event`, `user_id`, `llm`, `http`, ...). */
  fields?: EventInput
  /** Free-form attributes. */
  attributes?: Record<string, unknown>
  /** Level of the span event. @default 'info', or 'error' when the span failed */
  level?: Level
  /** Start a new trace even inside another span. @default false */
  root?: boolean
  /** Explicit parent (for example a continued `traceparent`); default: the active context. */
  parent?: ThreadlineContext
}

export interface Span {
  readonly name: string
  readonly kind: SpanKind
  readonly trace_id: string
  readonly span_id: string
  readonly parent_span_id: string | undefined
  /** The scope this span runs in: use with `span.run(fn)`. */
  readonly context: ThreadlineContext
  readonly ended: boolean
  /** Set event fields (`user_id`, `llm`, `http`, `category`, ... or any attribute). */
  set(fields: EventInput): this
  setAttribute(key: string, value: unknown): this
  setAttributes(attributes: Record<string, unknown>): this
  /** Record an error: status `error` (or `cancelled` for aborts), with type, message, stack, fingerprint. */
  recordError(err: unknown): this
  setStatus(status: SpanStatus): this
  /** Rename the span (an HTTP span learns its route template late). */
  updateName(name: string): this
  /** End the span and emit its one event. Later calls do nothing. */
  end(fields?: EventInput): void
  /** Run `fn` with this span as the active span: logs inside carry its span_id. */
  run<T>(fn: () => T): T
  /** Milliseconds since start (or the final duration once ended). */
  elapsed(): number
}

/** What a span needs from whoever emits it (the logger). */
export interface SpanHost {
  emitSpan(span: SpanRecord): void
  readonly tracer: Tracer | undefined
}

/** @internal the finished span handed to the host. */
export interface SpanRecord {
  name: string
  kind: SpanKind
  status: SpanStatus
  level: Level | undefined
  startWall: number
  durationMs: number
  context: ThreadlineContext
  parent_span_id: string | undefined
  fields: EventInput[]
  attributes: Record<string, unknown> | undefined
  error: unknown
}

const OTEL_KINDS: Partial<Record<SpanKind, OtelSpanKind>> = {
  server: OtelSpanKind.SERVER,
  client: OtelSpanKind.CLIENT,
}

/** Aborts and interrupts are cancellations, not failures. */
export function isCancellation(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false
  const e = err as { name?: unknown; code?: unknown }
  return (
    e.name === 'AbortError' ||
    e.code === 'ABORT_ERR' ||
    e.name === 'GraphInterrupt' ||
    e.name === 'NodeInterrupt' ||
    e.name === 'CancelledError'
  )
}

class SpanImpl implements Span {
  readonly trace_id: string
  readonly span_id: string
  readonly parent_span_id: string | undefined
  readonly context: ThreadlineContext
  ended = false
  private readonly start = performance.now()
  private readonly startWall = Date.now()
  private durationMs = 0
  private status: SpanStatus | undefined
  private err: unknown
  private fieldList: EventInput[] = []
  private attrs: Record<string, unknown> | undefined
  private readonly otelSpan: OtelSpan | undefined

  constructor(
    private readonly host: SpanHost,
    public name: string,
    readonly kind: SpanKind,
    private readonly level: Level | undefined,
    options: SpanOptions,
  ) {
    const parent = options.root ? undefined : (options.parent ?? getContext())
    let traceId = parent?.trace_id
    let spanId: string | undefined
    if (host.tracer) {
      // mirror into OpenTelemetry and adopt its ids, so both views are one trace
      const parentCtx =
        parent?.trace_id && parent.span_id
          ? otelTrace.setSpanContext(otelContext.active(), {
              traceId: parent.trace_id,
              spanId: parent.span_id,
              traceFlags: parent.trace_flags === '00' ? 0 : 1,
              isRemote: true,
            })
          : options.root
            ? otelTrace.deleteSpan(otelContext.active())
            : otelContext.active()
      const kindOpt = OTEL_KINDS[kind]
      const s = host.tracer.startSpan(
        name,
        kindOpt !== undefined ? { kind: kindOpt } : {},
        parentCtx,
      )
      const sc = s.spanContext()
      if (otelTrace.isSpanContextValid(sc) && sc.spanId !== parent?.span_id) {
        this.otelSpan = s
        traceId = sc.traceId
        spanId = sc.spanId
      } else s.end()
    }
    this.trace_id = traceId ?? newTraceId()
    this.span_id = spanId ?? newSpanId()
    this.parent_span_id = parent?.trace_id === this.trace_id ? parent?.span_id : undefined
    const ctx: { -readonly [K in keyof ThreadlineContext]: ThreadlineContext[K] } =
      parent?.trace_id === this.trace_id ? { ...parent } : {}
    if (parent && parent.trace_id !== this.trace_id) {
      if (parent.bindings) ctx.bindings = parent.bindings
      if (parent.content_mode) ctx.content_mode = parent.content_mode
    }
    ctx.trace_id = this.trace_id
    ctx.span_id = this.span_id
    ctx.trace_flags ??= '01'
    this.context = ctx
    if (options.fields) this.fieldList.push(options.fields)
    if (options.attributes) this.setAttributes(options.attributes)
  }

  set(fields: EventInput): this {
    if (!this.ended && fields) this.fieldList.push(fields)
    return this
  }

  setAttribute(key: string, value: unknown): this {
    if (!this.ended) (this.attrs ??= {})[key] = value
    return this
  }

  setAttributes(attributes: Record<string, unknown>): this {
    if (!this.ended && attributes) Object.assign((this.attrs ??= {}), attributes)
    return this
  }

  recordError(err: unknown): this {
    if (this.ended) return this
    this.err = err
    this.status = isCancellation(err) ? 'cancelled' : 'error'
    return this
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) this.status = status
    return this
  }

  updateName(name: string): this {
    if (!this.ended) {
      this.name = name
      this.otelSpan?.updateName(name)
    }
    return this
  }

  elapsed(): number {
    return this.ended ? this.durationMs : performance.now() - this.start
  }

  end(fields?: EventInput): void {
    if (this.ended) return
    if (fields) this.fieldList.push(fields)
    this.durationMs = Math.round((performance.now() - this.start) * 1000) / 1000
    this.ended = true
    const status = this.status ?? 'ok'
    if (this.otelSpan) {
      try {
        if (this.attrs)
          for (const [k, v] of Object.entries(this.attrs))
            if (isOtelValue(v)) this.otelSpan.setAttribute(k, v)
        if (status === 'error') {
          this.otelSpan.setStatus({ code: SpanStatusCode.ERROR })
          if (this.err instanceof Error) this.otelSpan.recordException(this.err)
        }
        this.otelSpan.end()
      } catch {
        // an SDK problem must not lose our own span event
      }
    }
    this.host.emitSpan({
      name: this.name,
      kind: this.kind,
      status,
      level: this.level,
      startWall: this.startWall,
      durationMs: this.durationMs,
      context: this.context,
      parent_span_id: this.parent_span_id,
      fields: this.fieldList,
      attributes: this.attrs,
      error: this.err,
    })
  }

  run<T>(fn: () => T): T {
    if (this.otelSpan) {
      const s = this.otelSpan
      return otelContext.with(otelTrace.setSpan(otelContext.active(), s), () =>
        runInScope(this.context, fn),
      )
    }
    return runInScope(this.context, fn)
  }
}

function isOtelValue(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
}

/** @internal */
export function createSpan(host: SpanHost, name: string, options: SpanOptions = {}): Span {
  return new SpanImpl(host, name, options.kind ?? 'internal', options.level, options)
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  )
}

/** @internal run fn inside a new span, ending it when fn returns, throws, resolves or rejects. */
export function runSpan<T>(
  host: SpanHost,
  name: string,
  fn: (span: Span) => T,
  options: SpanOptions = {},
): T {
  const s = createSpan(host, name, options)
  return s.run(() => {
    let r: T
    try {
      r = fn(s)
    } catch (err) {
      s.recordError(err)
      s.end()
      throw err
    }
    if (isThenable(r)) {
      return Promise.resolve(r).then(
        (v) => {
          s.end()
          return v
        },
        (err: unknown) => {
          s.recordError(err)
          s.end()
          throw err
        },
      ) as T
    }
    s.end()
    return r
  })
}

export type TracedOptions = SpanOptions & { name?: string }

/** What `@traced()` needs of a logger. */
export interface SpanRunner {
  span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T
}

type AnyFn = (this: unknown, ...args: unknown[]) => unknown

/**
 * Method decorator: each call runs in a span named `Class.method` (or `name`).
 * Works with standard (TS 5+) and legacy (`experimentalDecorators`) decorators.
 */
export function makeTraced(getLogger: () => SpanRunner) {
  return function traced(nameOrOptions?: string | TracedOptions): any {
    const opts: TracedOptions =
      typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {})
    const wrap = (
      original: AnyFn,
      methodName: string,
      className: (self: unknown) => string,
    ): AnyFn =>
      function (this: unknown, ...args: unknown[]) {
        const name = opts.name ?? `${className(this)}.${methodName}`
        return getLogger().span(name, () => original.apply(this, args), opts)
      }
    return function (target: unknown, keyOrContext: unknown, descriptor?: PropertyDescriptor): any {
      if (keyOrContext && typeof keyOrContext === 'object' && 'kind' in keyOrContext) {
        const ctx = keyOrContext as ClassMethodDecoratorContext
        if (ctx.kind !== 'method') throw new TypeError('@traced() applies to methods only')
        return wrap(
          target as AnyFn,
          String(ctx.name),
          (self) =>
            (ctx.static
              ? (self as { name?: string })?.name
              : (self as object)?.constructor?.name) ?? 'anonymous',
        )
      }
      if (descriptor && typeof descriptor.value === 'function') {
        const cls =
          typeof target === 'function'
            ? (target as { name: string }).name
            : (target as object).constructor.name
        descriptor.value = wrap(descriptor.value as AnyFn, String(keyOrContext), () => cls)
        return descriptor
      }
      throw new TypeError('@traced() applies to methods only')
    }
  }
}
