// The read API under /api: events, traces, errors, stats, facets, sessions, users.
import { StoreQueryError, type EventFilters, type FacetField } from '@threadline/store'
import type { FastifyInstance } from 'fastify'
import { timed, type ServerContext } from '../context.js'
import { HttpError } from '../http-error.js'
import { limitRate } from '../rate-limit.js'
import { bodyQuery, filtersFromQuery } from '../params.js'
import { idParams, listQuerySchema, QUERY_OPTIONS, queryBodySchema } from '../schemas.js'

type Query = Record<string, unknown>

export async function queryRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await limitRate(app, ctx.rateLimit ? ctx.rateLimit.query : undefined)
  const { store, auth } = ctx
  const preHandler = auth.needs('read')

  const list = (summary: string, options: string[]) => ({
    preHandler,
    schema: { summary, querystring: listQuerySchema(options) },
  })

  app.post(
    '/api/logs/query',
    {
      preHandler,
      schema: { summary: 'a page of events', body: queryBodySchema(QUERY_OPTIONS) },
    },
    timed(ctx, 'query', async (request) =>
      store.query(auth.scoped(request, bodyQuery(request.body) as EventFilters)),
    ),
  )

  app.get<{ Params: { trace_id: string } }>(
    '/api/logs/trace/:trace_id',
    {
      preHandler,
      schema: { summary: 'one trace', params: idParams('trace_id', 'the trace id') },
    },
    timed(ctx, 'trace', async (request) => {
      const { trace_id } = request.params as { trace_id: string }
      const trace = await store.trace(trace_id, auth.orgScope(request))
      if (!trace) throw new HttpError(404, 'not_found', 'no such trace')
      return trace
    }),
  )

  app.get(
    '/api/errors',
    list('errors grouped by fingerprint', ['limit', 'buckets']),
    timed(ctx, 'errors', async (request) => ({
      errors: await store.errors(auth.scoped(request, filtersFromQuery(request.query as Query))),
    })),
  )

  app.get(
    '/api/stats',
    list('counts, latency, tokens and cost', ['group_by', 'interval', 'limit']),
    timed(ctx, 'stats', async (request) => ({
      stats: await store.stats(auth.scoped(request, filtersFromQuery(request.query as Query))),
    })),
  )

  app.get(
    '/api/facets',
    list('the most frequent values of one field', ['field', 'limit']),
    timed(ctx, 'facets', async (request) => {
      const { field, ...filters } = filtersFromQuery(request.query as Query)
      if (field === undefined) throw new StoreQueryError('field', 'is required (?field=service)')
      return store.facets(field as FacetField, auth.scoped(request, filters))
    }),
  )

  app.get(
    '/api/sessions',
    list('LLM conversations, latest first', ['limit']),
    timed(ctx, 'sessions', async (request) => ({
      sessions: await store.sessions(
        auth.scoped(request, filtersFromQuery(request.query as Query)),
      ),
    })),
  )

  app.get<{ Params: { id: string } }>(
    '/api/sessions/:id',
    { preHandler, schema: { summary: 'one session', params: idParams('id', 'the session id') } },
    timed(ctx, 'session', async (request) => {
      const { id } = request.params as { id: string }
      const session = await store.session(id, auth.orgScope(request))
      if (!session) throw new HttpError(404, 'not_found', 'no such session')
      return session
    }),
  )

  app.get(
    '/api/users',
    list('users with usage, most events first', ['limit']),
    timed(ctx, 'users', async (request) => ({
      users: await store.users(auth.scoped(request, filtersFromQuery(request.query as Query))),
    })),
  )
}
