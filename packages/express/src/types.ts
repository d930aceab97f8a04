import type { HttpServerMetrics, HttpServerOptions } from '@threadline/core'
import type { PrometheusHttpMetrics } from '@threadline/core/metrics'
import type { Request, Response } from 'express'
import type { Registry, RegistryContentType } from 'prom-client'

/**
 * Options of `threadline()`. Everything but `metrics` is core's shared HTTP
 * options (`HttpServerOptions`), with Express's `req` and `res` in the hooks.
 */
export interface ThreadlineExpressOptions extends Omit<
  HttpServerOptions<Request, Response>,
  'metrics'
> {
  /**
   * Request metrics. `true` records into the process-wide Prometheus recorder
   * that `metricsHandler()` serves; pass your own `prometheusHttpMetrics()` (or
   * any `HttpServerMetrics`) to choose the registry, or `false` for none.
   * @default true
   */
  metrics?: HttpServerMetrics | boolean
}

/** What `metricsHandler()` serves: a recorder from `prometheusHttpMetrics()` or a registry. */
export type MetricsSource = PrometheusHttpMetrics | Registry<RegistryContentType>
