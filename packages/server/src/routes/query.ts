// The read API under /api: events, traces, errors, stats.
import type { EventFilters } from '@threadline/store'
import type { FastifyInstance } from 'fastify'
import { timed, type ServerContext } from '../context.js'
import { HttpError } from '../http-error.js'
import { bodyQuery, filtersFromQuery } from '../params.js'

type Query = Record<string, unknown>

export async function queryRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const { store, auth } = ctx
  const preHandler = auth.needs('read')

  app.post(
    '/api/logs/query',
    { preHandler },
    timed(ctx, 'query', async (request) =>
      store.query(auth.scoped(request, bodyQuery(request.body) as EventFilters)),
    ),
  )

  app.get<{ Params: { trace_id: string } }>(
    '/api/logs/trace/:trace_id',
    { preHandler },
    timed(ctx, 'trace', async (request) => {
      const { trace_id } = request.params as { trace_id: string }
      const trace = await store.trace(trace_id, auth.orgScope(request))
      if (!trace) throw new HttpError(404, 'not_found', 'no such trace')
      return trace
    }),
  )

  app.get(
    '/api/errors',
    { preHandler },
    timed(ctx, 'errors', async (request) => ({
      errors: await store.errors(auth.scoped(request, filtersFromQuery(request.query as Query))),
    })),
  )

  app.get(
    '/api/stats',
    { preHandler },
    timed(ctx, 'stats', async (request) => ({
      stats: await store.stats(auth.scoped(request, filtersFromQuery(request.query as Query))),
    })),
  )
}
