// Operations: health, Prometheus metrics, and what the console needs to know first.
import type { FastifyInstance } from 'fastify'
import type { ServerContext } from '../context.js'

export async function opsRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { store, mode, writer, metrics } = ctx

  app.get(
    '/healthz',
    { schema: { summary: '200 when the database answers' } },
    async (_request, reply) => {
      try {
        await store.count()
        return { status: 'ok', engine: store.engine, mode, pending_events: writer.pending }
      } catch (error) {
        reply.code(503)
        return {
          status: 'unavailable',
          error: error instanceof Error ? error.message : String(error),
        }
      }
    },
  )

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus text format' } },
    async (_request, reply) => {
      reply.header('content-type', metrics.registry.contentType)
      return metrics.registry.metrics()
    },
  )

  // No key needed: it tells the console whether to ask for one. It holds no data.
  app.get(
    '/api/info',
    { schema: { summary: 'mode, engine and version; no key needed' } },
    async () => ({ mode, engine: store.engine, version: ctx.version }),
  )
}
