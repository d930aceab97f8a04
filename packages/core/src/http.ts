import { getContext, runInScope as runIn } from './context.js'
import type { ContextInput, ThreadlineContext } from './context.js'
import { diag } from './diag.js'
import { newTraceId } from './ids.js'
import { httpLevel } from './levels.js'
import { getLogger } from './default.js'
import type { Logger } from './logger.js'
import type { Span } from './span.js'
import { formatTraceparent, parseTraceparent, parseTracestate } from './traceparent.js'
import type { EventInput, HttpInfo, HttpOutcome, Level } from './types.js'

/**
 * The request handling every HTTP adapter shares: continue or start the trace,
 * validate the request id, open one `server` span, and at the end emit exactly
 * one completion event with route template, status, outcome, sizes and error.
 * Adapters translate their framework's request and response into these calls.
 */

export type HeaderBag = Record<string, string | string[] | undefined>

/** Recorder for request metrics (see `@threadline/core/metrics` for the Prometheus one). */
export interface HttpServerMetrics {
  requestStarted(method: string): void
  requestFinished(
    labels: { method: string; route: string; status_code: string },
    seconds: number,
    traceId: string | undefined,
  ): void
}

export interface HttpServerOptions<Req = unknown, Res = unknown> {
  /** Logger the request events go to. @default getLogger() */
  logger?: Logger
  /**
   * Requests that get no completion event and no metric (their app logs keep
   * the request context): exact paths, path prefixes ending in `/*`, RegExps,
   * or a function of the request and its path.
   * @default ['/health', '/healthz', '/metrics']
   */
  skip?: readonly (string | RegExp)[] | ((req: Req, path: string) => boolean)
  /** Header carrying the request id; an invalid or missing one is replaced. @default 'x-request-id' */
  requestIdHeader?: string
  /** Send `traceparent` and the request id back on the response. @default true */
  echoHeaders?: boolean
  /**
   * Request headers recorded under `attributes["http.request.header.<name>"]`.
   * `authorization`, `cookie`, `set-cookie`, `proxy-authorization` and
   * `x-api-key` are always masked.
   * @default []
   */
  headers?: readonly string[]
  /** Record the request body (when the framework parsed one), capped, redacted by core. @default false */
  logBody?: boolean | { maxBytes?: number }
  /** Who made the request; called when the request ends (after auth ran). */
  getUser?: (req: Req) => { user_id?: string; org_id?: string; session_id?: string } | undefined
  /** Extra attributes for the completion event. */
  attributes?: (req: Req, res: Res) => Record<string, unknown> | undefined
  /** Level of the completion event. @default 5xx 'error', 4xx and aborted 'warn', else 'info' */
  level?: (statusCode: number | undefined, outcome: HttpOutcome) => Level
  /** Request metrics recorder, or false. @default false */
  metrics?: HttpServerMetrics | false
}

/** What an adapter knows when a request arrives. */
export interface IncomingRequest<Req = unknown> {
  method: string
  /** Raw URL as received (path and query). */
  url: string
  headers: HeaderBag
  remoteAddress?: string | undefined
  /** The framework's own request, passed to user hooks. */
  req: Req
}

export interface RequestOutcome<Res = unknown> {
  /** Status sent; leave undefined when the client went away before a response. */
  statusCode?: number | undefined
  /** The client disconnected before the response finished. */
  aborted?: boolean
  responseBytes?: number | undefined
  requestBytes?: number | undefined
  /** Parsed body, for `logBody`. */
  body?: unknown
  res: Res
}

export interface HttpServerScope<Req = unknown, Res = unknown> {
  readonly span: Span | undefined
  readonly context: ThreadlineContext
  readonly requestId: string
  readonly skipped: boolean
  /** Headers to set on the response (`traceparent`, the request id). */
  readonly responseHeaders: Readonly<Record<string, string>>
  /** Run the rest of the request in this scope. */
  run<T>(fn: () => T): T
  /** The matched route template (`/users/:id`). */
  setRoute(route: string | undefined): void
  /** Record the request's error; the first one wins, later ones are ignored. */
  recordError(err: unknown): void
  readonly error: unknown
  /**
   * Run the listeners of `emitter` (the request stream: 'data', 'end', ...) in
   * this scope; Node emits them from the connection's async context otherwise.
   */
  bindEmitter(emitter: { emit: (...args: any[]) => boolean }): void
  /** Emit the one completion event. Later calls do nothing. */
  finish(outcome: RequestOutcome<Res>): void
  readonly finished: boolean
  /** @internal the request, for hooks. */
  readonly request: IncomingRequest<Req>
}

const MASKED_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
])
const REQUEST_ID = /^[A-Za-z0-9._~:@+=/-]{1,128}$/
const DEFAULT_SKIP = ['/health', '/healthz', '/metrics']

/** A request id as received, if it is 1-128 characters of a safe charset; else undefined. */
export function validRequestId(value: unknown): string | undefined {
  const v = Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value
  return typeof v === 'string' && REQUEST_ID.test(v) ? v : undefined
}

/** The path of a URL, without query string or fragment. */
export function pathOf(url: string): string {
  let end = url.length
  const q = url.indexOf('?')
  if (q >= 0) end = q
  const h = url.indexOf('#')
  if (h >= 0 && h < end) end = h
  return url.slice(0, end) || '/'
}

/** Trace context from W3C headers, or undefined when `traceparent` is missing or invalid. */
export function extractTraceContext(headers: HeaderBag): ContextInput | undefined {
  const tp = parseTraceparent(headers['traceparent'])
  if (!tp) return undefined
  const ctx: ContextInput = { trace_id: tp.traceId, span_id: tp.spanId, trace_flags: tp.traceFlags }
  const ts = parseTracestate(headers['tracestate'])
  if (ts) ctx.trace_state = ts
  return ctx
}

/** `traceparent` (and `tracestate`) for an outgoing request made in the current context. */
export function traceHeaders(
  ctx: ThreadlineContext | undefined = getContext(),
): Record<string, string> {
  if (!ctx?.trace_id || !ctx.span_id) return {}
  const out: Record<string, string> = {
    traceparent: formatTraceparent({
      traceId: ctx.trace_id,
      spanId: ctx.span_id,
      traceFlags: ctx.trace_flags ?? '01',
    }),
  }
  if (ctx.trace_state) out['tracestate'] = ctx.trace_state
  return out
}

/** The default level of a completion event: 5xx error, 4xx and aborted warn, else info. */
export const defaultLevel: (status: number | undefined, outcome: HttpOutcome) => Level = httpLevel

export interface ResolvedHttpOptions<Req, Res> {
  logger: () => Logger
  skip: (req: Req, path: string) => boolean
  requestIdHeader: string
  echoHeaders: boolean
  headers: readonly string[]
  bodyMax: number
  getUser: HttpServerOptions<Req, Res>['getUser']
  attributes: HttpServerOptions<Req, Res>['attributes']
  level: (statusCode: number | undefined, outcome: HttpOutcome) => Level
  metrics: HttpServerMetrics | undefined
}

/** Check and compile adapter options once, at setup. Throws TypeError on bad options. */
export function resolveHttpOptions<Req, Res>(
  options: HttpServerOptions<Req, Res> = {},
): ResolvedHttpOptions<Req, Res> {
  const {
    logger,
    skip = DEFAULT_SKIP,
    requestIdHeader = 'x-request-id',
    echoHeaders = true,
    headers = [],
    logBody = false,
    getUser,
    attributes,
    level = defaultLevel,
    metrics = false,
  } = options
  if (typeof requestIdHeader !== 'string' || !/^[a-z0-9-]+$/i.test(requestIdHeader)) {
    throw new TypeError(
      `threadline: requestIdHeader must be a header name, got ${String(requestIdHeader)}`,
    )
  }
  for (const h of [getUser, attributes, level]) {
    if (h !== undefined && typeof h !== 'function')
      throw new TypeError('threadline: getUser, attributes and level must be functions')
  }
  let skipFn: (req: Req, path: string) => boolean
  if (typeof skip === 'function') skipFn = skip
  else if (Array.isArray(skip)) {
    const exact = new Set<string>()
    const prefixes: string[] = []
    const res: RegExp[] = []
    for (const s of skip) {
      if (s instanceof RegExp) res.push(s)
      else if (typeof s === 'string' && s.endsWith('/*')) prefixes.push(s.slice(0, -1))
      else if (typeof s === 'string') exact.add(s)
      else throw new TypeError('threadline: skip entries must be strings or RegExps')
    }
    skipFn = (_req, path) =>
      exact.has(path) || prefixes.some((p) => path.startsWith(p)) || res.some((r) => r.test(path))
  } else throw new TypeError('threadline: skip must be an array or a function')
  return {
    logger: logger ? () => logger : getLogger,
    skip: skipFn,
    requestIdHeader: requestIdHeader.toLowerCase(),
    echoHeaders,
    headers: headers.map((h) => h.toLowerCase()),
    bodyMax: logBody === false ? 0 : logBody === true ? 8192 : (logBody.maxBytes ?? 8192),
    getUser,
    attributes,
    level,
    metrics: metrics || undefined,
  }
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/**
 * Start the scope of one incoming request. Never throws: a failure inside
 * leaves a scope that still runs the request.
 */
export function startHttpServerSpan<Req, Res>(
  request: IncomingRequest<Req>,
  opts: ResolvedHttpOptions<Req, Res>,
): HttpServerScope<Req, Res> {
  return new HttpScope(request, opts)
}

/** Run a user hook; report and swallow what it throws (no closure per call on the hot path). */
function hook<A, B, T>(what: string, fn: (a: A, b: B) => T, a: A, b: B): T | undefined {
  try {
    return fn(a, b)
  } catch (err) {
    diag.warn(`${what} threw`, err)
    return undefined
  }
}

// One object per request, methods on the prototype: no closures allocated per request.
class HttpScope<Req, Res> implements HttpServerScope<Req, Res> {
  readonly span: Span | undefined
  readonly context: ThreadlineContext
  readonly requestId: string
  readonly skipped: boolean
  readonly responseHeaders: Record<string, string> = {}
  error: unknown = undefined
  finished = false
  private hasError = false
  private route: string | undefined = undefined
  private readonly path: string
  private readonly method: string
  private readonly started = performance.now()

  constructor(
    readonly request: IncomingRequest<Req>,
    private readonly opts: ResolvedHttpOptions<Req, Res>,
  ) {
    const path = (this.path = pathOf(request.url))
    const method = (this.method = request.method.toUpperCase())
    const requestId = (this.requestId =
      validRequestId(request.headers[opts.requestIdHeader]) ?? newTraceId())
    this.skipped = hook('skip hook', opts.skip, request.req, path) ?? false
    const parent: ThreadlineContext | undefined =
      extractTraceContext(request.headers) ?? getContext()
    const fields = { category: 'http', event: 'request', request_id: requestId }
    this.span = this.skipped
      ? undefined
      : opts
          .logger()
          .startSpan(
            `${method} ${path}`,
            parent ? { kind: 'server', parent, fields } : { kind: 'server', fields },
          )
    const base: ThreadlineContext = this.span?.context ?? {
      ...parent,
      trace_id: parent?.trace_id ?? newTraceId(),
    }
    this.context = { ...base, bindings: { ...base.bindings, request_id: requestId } }
    if (opts.echoHeaders) {
      const c = this.context
      if (c.trace_id && c.span_id) {
        // our own ids are valid by construction: no need for the validating formatter
        this.responseHeaders['traceparent'] =
          `00-${c.trace_id}-${c.span_id}-${c.trace_flags ?? '01'}`
      }
      this.responseHeaders[opts.requestIdHeader] = requestId
    }
    if (this.span && opts.metrics) {
      try {
        opts.metrics.requestStarted(method)
      } catch (err) {
        diag.warn('metrics threw', err)
      }
    }
  }

  run<T>(fn: () => T): T {
    return runIn(this.context, fn)
  }

  bindEmitter(emitter: { emit: (...args: any[]) => boolean }): void {
    const emit = emitter.emit
    const context = this.context
    emitter.emit = function (this: unknown, ...args: unknown[]) {
      return runIn(context, () => emit.apply(this, args))
    }
  }

  setRoute(r: string | undefined): void {
    if (typeof r === 'string' && r.length > 0) this.route = r
  }

  recordError(err: unknown): void {
    if (this.hasError || this.finished) return
    this.hasError = true
    this.error = err
  }

  finish(o: RequestOutcome<Res>): void {
    if (this.finished) return
    this.finished = true
    const span = this.span
    if (!span) return
    const { request, opts, method, path } = this
    try {
      const hasError = this.hasError
      const route = this.route ?? 'unmatched'
      // a recorded error explains more than the disconnect that may follow it
      const outcome: HttpOutcome = hasError
        ? 'errored'
        : o.aborted
          ? 'aborted'
          : (o.statusCode ?? 0) >= 500
            ? 'errored'
            : 'completed'
      const status = o.aborted && !o.statusCode ? undefined : o.statusCode
      const http: HttpInfo = { method, route, path, outcome }
      if (status !== undefined) http.status_code = status
      const reqBytes = o.requestBytes ?? Number(firstHeader(request.headers['content-length']))
      if (Number.isFinite(reqBytes) && reqBytes >= 0) http.request_bytes = reqBytes
      if (o.responseBytes !== undefined && Number.isFinite(o.responseBytes) && o.responseBytes >= 0)
        http.response_bytes = o.responseBytes
      if (request.remoteAddress) http.client_address = request.remoteAddress
      const ua = firstHeader(request.headers['user-agent'])
      if (ua) http.user_agent = ua
      const level = hook('level hook', opts.level, status, outcome) ?? defaultLevel(status, outcome)
      const fields: EventInput = { http, level }
      const user = opts.getUser
        ? hook('getUser hook', opts.getUser, request.req, undefined)
        : undefined
      if (user) Object.assign(fields, user)
      let attrs: Record<string, unknown> | undefined
      for (const h of opts.headers) {
        const v = request.headers[h]
        if (v !== undefined)
          (attrs ??= {})[`http.request.header.${h}`] = MASKED_HEADERS.has(h) ? '[REDACTED]' : v
      }
      const q = request.url.indexOf('?')
      if (q >= 0)
        (attrs ??= {})['url.query'] = Object.fromEntries(
          new URLSearchParams(request.url.slice(q + 1)),
        )
      if (opts.bodyMax > 0 && o.body !== undefined)
        (attrs ??= {})['http.request.body'] = capBody(o.body, opts.bodyMax)
      const extra = opts.attributes
        ? hook('attributes hook', opts.attributes, request.req, o.res)
        : undefined
      if (extra) attrs = Object.assign(attrs ?? {}, extra)
      span.updateName(`${method} ${route}`)
      if (attrs) span.setAttributes(attrs)
      if (hasError) span.recordError(this.error)
      else if (outcome === 'aborted') span.setStatus('cancelled')
      else if (outcome === 'errored') span.setStatus('error')
      span.end(fields)
      if (opts.metrics) {
        try {
          opts.metrics.requestFinished(
            { method, route, status_code: status === undefined ? 'aborted' : String(status) },
            (performance.now() - this.started) / 1000,
            span.trace_id,
          )
        } catch (err) {
          diag.warn('metrics threw', err)
        }
      }
    } catch (err) {
      diag.error('http: finishing the request event failed', err)
    }
  }
}

function capBody(body: unknown, max: number): unknown {
  try {
    const text =
      typeof body === 'string'
        ? body
        : Buffer.isBuffer(body)
          ? body.toString('utf8')
          : JSON.stringify(body)
    if (text === undefined) return undefined
    if (text.length <= max) return typeof body === 'string' || Buffer.isBuffer(body) ? text : body
    return text.slice(0, max) + `…[truncated ${text.length - max} chars]`
  } catch {
    return '[unserializable body]'
  }
}

export interface InstrumentFetchOptions {
  /** Logger the client spans go to. @default getLogger() */
  logger?: Logger
}

/**
 * Wrap `fetch` (or undici's `fetch`) so every call runs in a `client` span and
 * carries `traceparent`: the server it calls continues the same trace, with
 * this client span as its parent. For axios, set `traceHeaders()` in a request
 * interceptor instead.
 */
export function instrumentFetch(
  fetchImpl: typeof fetch = globalThis.fetch,
  options: InstrumentFetchOptions = {},
): typeof fetch {
  if (typeof fetchImpl !== 'function')
    throw new TypeError('threadline: instrumentFetch needs a fetch function')
  const { logger } = options
  const traced = (
    input: Parameters<typeof fetch>[0],
    init?: Parameters<typeof fetch>[1],
  ): Promise<Response> => {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request
    const method = (init?.method ?? (isRequest ? (input as Request).method : 'GET')).toUpperCase()
    const href =
      typeof input === 'string' ? input : input instanceof URL ? input.href : (input as Request).url
    let url: URL | undefined
    try {
      url = new URL(href)
    } catch {
      url = undefined
    }
    const log = logger ?? getLogger()
    return log.span(
      `${method} ${url ? url.host : 'request'}`,
      async (span) => {
        const headers = new Headers(
          init?.headers ?? (isRequest ? (input as Request).headers : undefined),
        )
        for (const [k, v] of Object.entries(traceHeaders(span.context))) headers.set(k, v)
        const http: HttpInfo = { method }
        if (url) http.path = url.pathname
        span.set({
          attributes: url
            ? { 'server.address': url.hostname, 'url.scheme': url.protocol.slice(0, -1) }
            : {},
        })
        try {
          const res = await fetchImpl(input, { ...init, headers })
          http.status_code = res.status
          http.outcome = res.status >= 500 ? 'errored' : 'completed'
          if (res.status >= 500) span.setStatus('error')
          span.set({
            http,
            level: res.status >= 500 ? 'error' : res.status >= 400 ? 'warn' : 'info',
          })
          return res
        } catch (err) {
          http.outcome = 'errored'
          span.set({ http })
          throw err
        }
      },
      { kind: 'client', fields: { category: 'http', event: 'outgoing_request' } },
    )
  }
  return traced as typeof fetch
}
