import {
  metricsHandler as nodeMetricsHandler,
  prometheusHttpMetrics,
} from '@threadline/core/metrics'
import type { PrometheusHttpMetrics } from '@threadline/core/metrics'
import type { RequestHandler } from 'express'
import type { MetricsSource } from './types.js'

const KEY = Symbol.for('threadline.express.metrics.v1')
const g = globalThis as unknown as Record<symbol, PrometheusHttpMetrics | undefined>

/**
 * The process-wide recorder `threadline()` uses when `metrics` is `true`: an
 * OpenMetrics registry (so observations carry the trace id as an exemplar)
 * holding `http_server_request_duration_seconds` and `http_server_active_requests`.
 * Register your own metrics on its `.registry` to serve them from the same endpoint.
 */
export function defaultHttpMetrics(): PrometheusHttpMetrics {
  return (g[KEY] ??= prometheusHttpMetrics())
}

/**
 * An Express handler serving Prometheus metrics:
 * `app.get('/metrics', metricsHandler())`. Serves `defaultHttpMetrics()` unless
 * given a recorder or a registry.
 */
export function metricsHandler(source: MetricsSource = defaultHttpMetrics()): RequestHandler {
  const registry = 'registry' in source ? source.registry : source
  const handler = nodeMetricsHandler(registry)
  return (req, res) => handler(req, res)
}
