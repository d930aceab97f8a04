import type { IncomingMessage } from 'node:http'
import type { HttpServerMetrics, HttpServerOptions } from '@threadline/core'
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'

/**
 * Options of the Fastify plugin. Everything but `skip` is core's HTTP server
 * option (see `HttpServerOptions` in `@threadline/core`), with Fastify's
 * request and reply passed to the hooks.
 */
export interface ThreadlineFastifyOptions extends Omit<
  HttpServerOptions<FastifyRequest, FastifyReply>,
  'skip' | 'metrics'
> {
  /**
   * Request metrics. `true` records into the process-wide recorder
   * (`defaultHttpMetrics()`) that `metricsHandler()` serves; pass your own
   * `prometheusHttpMetrics()` (or any `HttpServerMetrics`), or `false` for none.
   * @default true
   */
  metrics?: HttpServerMetrics | boolean
  /**
   * Requests that get no completion event and no metric (their app logs keep
   * the request context): exact paths, path prefixes ending in `/*`, RegExps,
   * or a function. The function gets Node's `IncomingMessage`, because the
   * request scope can start before Fastify builds its request object (see
   * `threadlineLoggerOptions()`).
   * @default ['/health', '/healthz', '/metrics']
   */
  skip?: readonly (string | RegExp)[] | ((req: IncomingMessage, path: string) => boolean)
}

/** What `threadlineLoggerOptions()` returns: spread it into `fastify({ ... })`. */
export interface ThreadlineLoggerOptions {
  /** Fastify's `request.id` becomes Threadline's validated or generated request id. */
  genReqId: (req: IncomingMessage) => string
  /** Fastify's request logger is created with `trace_id`, `span_id` and `request_id` bound. */
  childLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']>
}
