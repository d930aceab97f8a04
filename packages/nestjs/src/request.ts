import { AsyncLocalStorage } from 'node:async_hooks'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { diag, resolveHttpOptions, startHttpServerSpan } from '@threadline/core'
import type { HttpServerScope, Logger, ResolvedHttpOptions } from '@threadline/core'
import { resolveMetrics } from '@threadline/core/metrics'
import type { AbstractHttpAdapter } from '@nestjs/core'
import type { ThreadlineModuleOptions } from './types.js'

/** What the adapter keeps for one request (on the request object and in `store`). */
export interface RequestState {
  scope: HttpServerScope<any, any>
  /** A Nest route handler was reached (false for 404s of unmatched paths). */
  routed: boolean
  logger: Logger
}

const STATE = Symbol.for('threadline.nestjs.request')
const INSTALLED = Symbol.for('threadline.nestjs.installed')
const store = new AsyncLocalStorage<RequestState>()

type Hook = (req: any, res: any, done: (err?: Error) => void) => unknown

/** The Threadline state of a platform request (Express `req` or Fastify `request`). */
export function requestState(req: unknown): RequestState | undefined {
  return req && typeof req === 'object'
    ? ((req as Record<symbol, RequestState | undefined>)[STATE] ?? undefined)
    : undefined
}

function enter(state: RequestState, done: () => void): void {
  store.run(state, () => state.scope.run(done))
}

/**
 * Hook the request scope into a Nest HTTP adapter, once per adapter. It uses the
 * adapter's instrumentation hooks: `setOnRequestHook` runs before everything
 * else on both platforms (Express: first middleware, before body parsers and
 * Nest middleware; Fastify: first `onRequest` hook, before middie and content
 * parsing), and `setOnRouteTriggered` gives Nest's route template before
 * guards run. Returns false when the adapter already has it.
 */
export function install(adapter: AbstractHttpAdapter, options: ThreadlineModuleOptions): boolean {
  const marked = adapter as unknown as Record<symbol, boolean>
  if (marked[INSTALLED]) {
    diag.warn('nestjs: ThreadlineModule is imported more than once; the first options apply')
    return false
  }
  marked[INSTALLED] = true
  const metrics = resolveMetrics(options.metrics ?? true)
  const opts: ResolvedHttpOptions<any, any> = resolveHttpOptions({ ...options, metrics })
  const previous = (adapter as unknown as { onRequestHook?: Hook }).onRequestHook
  adapter.setOnRequestHook(((req, res, done) => {
    const state = begin(req, res, opts)
    const next = previous ? () => previous.call(adapter, req, res, done) : done
    if (state) enter(state, next as () => void)
    else next()
  }) satisfies Hook)
  const previousRoute = adapter.getOnRouteTriggered?.()
  adapter.setOnRouteTriggered((method, path) => {
    const state = store.getStore()
    if (state) {
      state.routed = true
      state.scope.setRoute(path)
    }
    previousRoute?.(method, path)
  })
  if (adapter.getType() === 'fastify') {
    // Content-type parsing may run outside the scope; re-enter it before validation and handlers.
    const instance = adapter.getInstance<{ addHook(name: string, hook: Hook): unknown }>()
    instance.addHook('preValidation', (req, _reply, done) => {
      const state = requestState(req)
      if (state) enter(state, done)
      else done()
    })
  }
  const registry = metrics ? (metrics as { registry?: MetricsRegistry }).registry : undefined
  const { metricsPath = '/metrics' } = options
  if (registry && metricsPath) serveMetrics(adapter, metricsPath, registry)
  return true
}

function begin(req: any, res: any, opts: ResolvedHttpOptions<any, any>): RequestState | undefined {
  try {
    if (requestState(req)) return undefined
    const raw: IncomingMessage = req.raw ?? req
    const rawRes: ServerResponse = res.raw ?? res
    const scope = startHttpServerSpan<any, any>(
      {
        method: raw.method ?? 'GET',
        url: req.originalUrl ?? raw.url ?? '/',
        headers: raw.headers,
        remoteAddress: raw.socket?.remoteAddress,
        req,
      },
      opts,
    )
    const state: RequestState = { scope, routed: false, logger: opts.logger() }
    req[STATE] = state
    for (const [k, v] of Object.entries(scope.responseHeaders)) rawRes.setHeader(k, v)
    const end = (aborted: boolean): void => {
      const length = Number(rawRes.getHeader('content-length'))
      scope.finish({
        statusCode: aborted && !rawRes.headersSent ? undefined : rawRes.statusCode,
        aborted,
        responseBytes: Number.isFinite(length) ? length : undefined,
        body: req.body,
        res,
      })
    }
    rawRes.once('finish', () => end(false))
    rawRes.once('close', () => {
      if (!rawRes.writableFinished) end(true)
    })
    return state
  } catch (err) {
    diag.error('nestjs: starting the request scope failed', err)
    return undefined
  }
}

interface MetricsRegistry {
  contentType: string
  metrics(): Promise<string>
}

function serveMetrics(adapter: AbstractHttpAdapter, path: string, registry: MetricsRegistry): void {
  adapter.get(path, (_req: unknown, res: unknown) => {
    registry.metrics().then(
      (text) => {
        adapter.setHeader(res, 'content-type', registry.contentType)
        adapter.reply(res, text, 200)
      },
      (err: unknown) => {
        diag.error('nestjs: rendering the metrics registry failed', err)
        adapter.reply(res, '', 500)
      },
    )
  })
}
