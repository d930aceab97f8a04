import type { IncomingMessage } from 'node:http'
import {
  diag,
  getContext,
  newTraceId,
  resolveHttpOptions,
  startHttpServerSpan,
  validRequestId,
} from '@threadline/core'
import type { HttpServerOptions, HttpServerScope, ResolvedHttpOptions } from '@threadline/core'
import { resolveMetrics } from '@threadline/core/metrics'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import fp from 'fastify-plugin'
import type { ThreadlineFastifyOptions, ThreadlineLoggerOptions } from './types.js'

/** One request in flight: core's scope plus what Fastify hands us along the way. */
interface Pending {
  raw: IncomingMessage
  request: FastifyRequest | undefined
  scope: HttpServerScope<Pending, FastifyReply>
  /** `request.log` was created with the ids already bound (by our childLoggerFactory). */
  bound: boolean
}

interface State {
  get(raw: IncomingMessage): Pending | undefined
  start(raw: IncomingMessage): Pending
}

// On the instance the plugin is registered on; encapsulated children see it through
// their prototype chain, so `this` in genReqId/childLoggerFactory finds it.
const kState = Symbol.for('threadline.fastify.state.v1')

function stateOf(instance: unknown): State | undefined {
  return instance && typeof instance === 'object'
    ? (instance as Record<symbol, State | undefined>)[kState]
    : undefined
}

/** Map the Fastify-facing options onto core's, whose hooks get our per-request record. */
function toCoreOptions(
  options: ThreadlineFastifyOptions,
): HttpServerOptions<Pending, FastifyReply> {
  const { skip, getUser, attributes, level, metrics = true, ...rest } = options
  const out: HttpServerOptions<Pending, FastifyReply> = {
    ...rest,
    metrics: resolveMetrics(metrics),
  }
  if (level !== undefined) out.level = level
  if (typeof skip === 'function') out.skip = (p, path) => skip(p.raw, path)
  else if (skip !== undefined) out.skip = skip
  if (getUser !== undefined)
    out.getUser =
      typeof getUser === 'function'
        ? (p) => (p.request ? getUser(p.request) : undefined)
        : (getUser as never)
  if (attributes !== undefined)
    out.attributes =
      typeof attributes === 'function'
        ? (p, reply) => (p.request ? attributes(p.request, reply) : undefined)
        : (attributes as never)
  return out
}

// The request's record lives on the raw request under a private symbol rather than in a
// WeakMap: a WeakMap keyed by short-lived objects makes every young-generation GC walk
// its ephemeron table, which cost more than the rest of the plugin under load.
const kPending = Symbol('threadline.fastify.pending')
type Slotted = IncomingMessage & { [kPending]?: Pending }

function createState(opts: ResolvedHttpOptions<Pending, FastifyReply>): State {
  return {
    get: (raw) => (raw as Slotted)[kPending],
    start(raw) {
      let p = (raw as Slotted)[kPending]
      if (p) return p
      p = { raw, request: undefined, bound: false } as Pending
      p.scope = startHttpServerSpan(
        {
          method: raw.method ?? 'GET',
          url: raw.url ?? '/',
          headers: raw.headers,
          remoteAddress: raw.socket?.remoteAddress,
          req: p,
        },
        opts,
      )
      ;(raw as Slotted)[kPending] = p
      return p
    },
  }
}

/** The ids bound on Fastify's request logger. */
function logBindings(scope: HttpServerScope<Pending, FastifyReply>): Record<string, string> {
  const { trace_id, span_id } = scope.context
  const out: Record<string, string> = { request_id: scope.requestId }
  if (trace_id) out['trace_id'] = trace_id
  if (span_id) out['span_id'] = span_id
  return out
}

function attach(p: Pending, request: FastifyRequest): void {
  if (p.request) return
  p.request = request
  if (!request.is404) p.scope.setRoute(request.routeOptions.url)
}

function finish(p: Pending, reply: FastifyReply, aborted: boolean): void {
  const res = reply.raw
  p.scope.finish({
    aborted,
    statusCode: res.headersSent || !aborted ? res.statusCode : undefined,
    responseBytes: Number(reply.getHeader('content-length')),
    body: p.request?.body,
    res: reply,
  })
}

const plugin: FastifyPluginCallback<ThreadlineFastifyOptions> = (fastify, options, done) => {
  if (stateOf(fastify)) {
    diag.warn('fastify: @threadline/fastify is already registered here; ignoring the second one')
    done()
    return
  }
  let state: State
  try {
    state = createState(resolveHttpOptions(toCoreOptions(options)))
  } catch (err) {
    done(err as Error)
    return
  }
  ;(fastify as unknown as Record<symbol, State>)[kState] = state

  // Context is entered in onRequest, before body parsing. Fastify 5 binds its body
  // parser to the request's async context, but a hook or parser that continues from a
  // callback made elsewhere (a queue, a pool, an emitter) does not: so the context is
  // entered again in preValidation and preHandler, around the rest of the chain.
  const reenter = (
    request: FastifyRequest,
    _reply: FastifyReply,
    next: HookHandlerDoneFunction,
  ) => {
    const p = state.get(request.raw)
    // usually the chain is still inside the scope entered in onRequest
    if (p && getContext() !== p.scope.context) p.scope.run(next)
    else next()
  }

  fastify.addHook('onRequest', (request, reply, next) => {
    const p = state.start(request.raw)
    attach(p, request)
    const { scope } = p
    if (!p.bound) {
      const log = request.log.child(logBindings(scope))
      request.log = log
      reply.log = log
    }
    reply.headers(scope.responseHeaders)
    // a response that did not finish: the client went away (one `aborted` event, no status
    // invented), unless the server failed it (a stream that errored: `errored`)
    reply.raw.once('close', () =>
      finish(p, reply, !reply.raw.writableFinished && scope.error === undefined),
    )
    scope.run(next)
  })
  fastify.addHook('preValidation', reenter)
  fastify.addHook('preHandler', reenter)
  fastify.addHook('onError', (request, _reply, error, next) => {
    const p = state.get(request.raw)
    if (p) {
      attach(p, request)
      p.scope.recordError(error)
    }
    next()
  })
  // a streamed body that fails after the headers went out never reaches onError
  fastify.addHook('onSend', (request, _reply, payload, next) => {
    if (payload && typeof (payload as { once?: unknown }).once === 'function') {
      const p = state.get(request.raw)
      if (p) (payload as NodeJS.EventEmitter).once('error', (err) => p.scope.recordError(err))
    }
    next()
  })
  fastify.addHook('onResponse', (request, reply, next) => {
    const p = state.get(request.raw)
    if (p) {
      attach(p, request)
      finish(p, reply, false)
    }
    next()
  })
  done()
}

/**
 * The Threadline plugin: `app.register(threadlinePlugin, options?)`. Wrapped with
 * `fastify-plugin`, so its hooks apply to every route of the instance it is
 * registered on, child plugins and prefixes included. Register it first.
 */
export const threadlinePlugin = fp(plugin, { name: '@threadline/fastify', fastify: '5.x' })

/**
 * Options for `fastify({ ...threadlineLoggerOptions(), logger: ... })`, which only
 * take effect at construction. With them, the request scope starts before Fastify
 * builds its request: `request.id` is Threadline's request id and every line of
 * Fastify's request logger, `incoming request` included, carries `trace_id`,
 * `span_id` and `request_id`. Without them, the plugin binds the ids in
 * `onRequest`, so every line but `incoming request` carries them. Do not combine
 * with Fastify's own `requestIdHeader`; use the plugin's `requestIdHeader` option.
 */
export function threadlineLoggerOptions(): ThreadlineLoggerOptions {
  return {
    genReqId(this: unknown, req) {
      const state = stateOf(this)
      return state
        ? state.start(req).scope.requestId
        : (validRequestId(req.headers['x-request-id']) ?? newTraceId())
    },
    childLoggerFactory(this: FastifyInstance, logger, bindings, opts, req) {
      const state = stateOf(this)
      if (!state) return logger.child(bindings, opts)
      const p = state.start(req)
      p.bound = true
      return logger.child({ ...bindings, ...logBindings(p.scope) }, opts)
    },
  }
}
