// What the route plugins share: the store, the caller checks, the writer, metrics, jobs.
import type { ThreadlineEvent } from '@threadline/core'
import type { Store } from '@threadline/store'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Auth } from './auth.js'
import type { Jobs } from './jobs.js'
import type { ServerMetrics } from './metrics.js'
import type { RateLimitWindow } from './types.js'
import type { Writer } from './writer.js'

export interface ServerContext {
  store: Store
  mode: 'keys' | 'local'
  auth: Auth
  metrics: ServerMetrics
  writer: Writer
  jobs: Jobs
  /** The ingest limits, resolved from the options. */
  limits: { maxBatchEvents: number; maxEventAgeMs: number; maxEventAheadMs: number }
  /** Per-key request limits for ingest and reads, or false. */
  rateLimit: false | { ingest?: RateLimitWindow; query?: RateLimitWindow }
  /** This package's version, for `/api/info`. */
  version: string
  /** Hand accepted events to the integrations (never throws, never awaits). */
  forward(events: readonly ThreadlineEvent[]): void
}

/** A handler whose duration is observed as `threadline_query_duration_seconds{route}`. */
export const timed =
  <T>(
    ctx: ServerContext,
    route: string,
    fn: (request: FastifyRequest, reply: FastifyReply) => Promise<T>,
  ) =>
  async (request: FastifyRequest, reply: FastifyReply): Promise<T> => {
    const end = ctx.metrics.queryDuration.startTimer({ route })
    try {
      return await fn(request, reply)
    } finally {
      end()
    }
  }
