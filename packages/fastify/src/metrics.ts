import { defaultHttpMetrics } from '@threadline/core/metrics'
import type { Registry, RegistryContentType } from 'prom-client'
import type { FastifyReply, FastifyRequest } from 'fastify'

type AnyRegistry = Registry<RegistryContentType>

/**
 * A Fastify route handler serving a prom-client registry in its own format
 * (OpenMetrics, with trace id exemplars, for `prometheusHttpMetrics()`'s):
 * `app.get('/metrics', metricsHandler(metrics))`.
 * @param source a registry, or the recorder from `prometheusHttpMetrics()`. @default the process-wide `defaultHttpMetrics()` the plugin records into
 */
export function metricsHandler(
  source: AnyRegistry | { registry: AnyRegistry } = defaultHttpMetrics(),
): (request: FastifyRequest, reply: FastifyReply) => Promise<string> {
  const registry = 'registry' in source ? source.registry : source
  return async function metrics(_request, reply) {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  }
}
