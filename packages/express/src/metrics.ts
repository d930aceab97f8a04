import { defaultHttpMetrics, metricsHandler as nodeMetricsHandler } from '@threadline/core/metrics'
import type { RequestHandler } from 'express'
import type { MetricsSource } from './types.js'

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

export { defaultHttpMetrics }
