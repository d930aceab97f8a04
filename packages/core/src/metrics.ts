import client from 'prom-client'
import type { Registry as PromRegistry, RegistryContentType } from 'prom-client'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { diag } from './diag.js'
import type { HttpServerMetrics } from './http.js'

type Registry = PromRegistry<RegistryContentType>

export interface PrometheusHttpMetricsOptions {
  /**
   * Registry the metrics live in. A new one is set to the OpenMetrics format,
   * which is what carries exemplars.
   * @default a new OpenMetrics registry
   */
  registry?: Registry
  /** Histogram buckets, in seconds. @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] */
  buckets?: number[]
  /** Attach the trace id as an exemplar to each observation. @default true */
  exemplars?: boolean
}

export interface PrometheusHttpMetrics extends HttpServerMetrics {
  readonly registry: Registry
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * `http_server_request_duration_seconds` (histogram; method, route, status_code;
 * trace id exemplar) and `http_server_active_requests` (gauge; method). Labels
 * come from route templates, never raw paths, so their count stays bounded.
 */
export function prometheusHttpMetrics(
  options: PrometheusHttpMetricsOptions = {},
): PrometheusHttpMetrics {
  const { buckets = BUCKETS, exemplars = true } = options
  let { registry } = options
  if (!registry) {
    registry = new client.Registry<RegistryContentType>()
    registry.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE)
  }
  const withExemplars =
    exemplars && registry.contentType === client.Registry.OPENMETRICS_CONTENT_TYPE
  const duration = new client.Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, from the first byte in to the last byte out.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets,
    registers: [registry],
    enableExemplars: withExemplars,
  })
  const active = new client.Gauge({
    name: 'http_server_active_requests',
    help: 'HTTP server requests in flight.',
    labelNames: ['method'] as const,
    registers: [registry],
  })
  return {
    registry,
    requestStarted(method) {
      active.inc({ method })
    },
    requestFinished(labels, seconds, traceId) {
      active.dec({ method: labels.method })
      if (withExemplars && traceId)
        duration.observe({ labels, value: seconds, exemplarLabels: { trace_id: traceId } } as never)
      else if (withExemplars) duration.observe({ labels, value: seconds })
      else duration.observe(labels, seconds)
    },
  }
}

const DEFAULT_KEY = Symbol.for('threadline.http.metrics.v1')
const g = globalThis as unknown as Record<symbol, PrometheusHttpMetrics | undefined>

/**
 * The process-wide recorder the adapters use when `metrics` is `true` (their
 * default): its own OpenMetrics registry, so it never collides with metrics in
 * prom-client's global registry, and every adapter's `metricsHandler()` serves
 * it. Register your own metrics on its `.registry` to serve them alongside.
 */
export function defaultHttpMetrics(): PrometheusHttpMetrics {
  return (g[DEFAULT_KEY] ??= prometheusHttpMetrics())
}

/** `true` -> the default recorder, `false`/undefined -> none, else the recorder given. */
export function resolveMetrics(
  metrics: HttpServerMetrics | boolean | undefined,
): HttpServerMetrics | false {
  return metrics === true ? defaultHttpMetrics() : (metrics ?? false)
}

/** A node:http (and Express) handler serving a registry in its own format. */
export function metricsHandler(
  registry: Registry,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    registry.metrics().then(
      (text) => {
        res.statusCode = 200
        res.setHeader('content-type', registry.contentType)
        res.end(text)
      },
      (err: unknown) => {
        diag.error('metrics: rendering the registry failed', err)
        res.statusCode = 500
        res.end()
      },
    )
  }
}
