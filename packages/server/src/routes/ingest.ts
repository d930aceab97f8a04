// Ingest: native batches (`POST /v1/events`) and OTLP/HTTP JSON (`/v1/traces`, `/v1/logs`).
import type { ThreadlineEvent } from '@threadline/core'
import type { InsertResult, RejectedEvent } from '@threadline/store'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ServerContext } from '../context.js'
import { HttpError } from '../http-error.js'
import { limitRate } from '../rate-limit.js'
import { OtlpFormatError, otlpLogsToEvents, otlpTracesToEvents, partialSuccess } from '../otlp.js'
import { OverloadedError } from '../writer.js'

/**
 * Split off the events timestamped outside [from, to] (refused, with why) from the rest, and
 * put the store's answer for the rest back in terms of the request's indexes.
 */
export function timeWindow(
  events: ThreadlineEvent[],
  from: number,
  to: number,
): { kept: ThreadlineEvent[]; merge(r: InsertResult): InsertResult } {
  let refused: RejectedEvent[] | undefined
  let keptIndex: number[] | undefined
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as unknown
    const ts =
      e !== null && typeof e === 'object' ? (e as { timestamp?: unknown }).timestamp : undefined
    // a missing or unparsable timestamp is the store's to refuse, with its own reason
    const ms = typeof ts === 'string' ? Date.parse(ts) : NaN
    if (!(ms < from || ms > to)) {
      keptIndex?.push(i)
      continue
    }
    if (!refused) {
      refused = []
      keptIndex = Array.from({ length: i }, (_, k) => k)
    }
    const id = (e as { id?: unknown }).id
    refused.push({
      index: i,
      id: typeof id === 'string' ? id : undefined,
      reason:
        ms < from
          ? `timestamp is older than this server accepts (${new Date(from).toISOString()})`
          : `timestamp is ahead of this server's clock by more than it accepts (${new Date(to).toISOString()})`,
    })
  }
  if (!refused || !keptIndex) return { kept: events, merge: (r) => r }
  const index = keptIndex
  const out = refused
  return {
    kept: index.map((i) => events[i]!),
    merge: (r) => ({
      ...r,
      rejected: [...out, ...r.rejected.map((x) => ({ ...x, index: index[x.index]! }))].sort(
        (a, b) => a.index - b.index,
      ),
    }),
  }
}

export async function ingestRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await limitRate(app, ctx.rateLimit ? ctx.rateLimit.ingest : undefined)
  const { metrics, writer, limits } = ctx
  const preHandler = ctx.auth.needs('ingest')

  /** Store a batch; the key's org is stamped on every event (it cannot be forged). */
  async function ingest(
    source: string,
    request: FastifyRequest,
    events: ThreadlineEvent[],
  ): Promise<InsertResult> {
    if (events.length > limits.maxBatchEvents) {
      metrics.refused.inc({ source, reason: 'too_many_events' })
      throw new HttpError(
        413,
        'too_many_events',
        `${events.length} events in one request; the limit is ${limits.maxBatchEvents}`,
      )
    }
    const org = request.principal?.org_id
    const batch =
      org === undefined
        ? events
        : events.map((e) =>
            e !== null && typeof e === 'object' && e.org_id !== org ? { ...e, org_id: org } : e,
          )
    metrics.batchSize.observe({ source }, batch.length)
    const now = Date.now()
    const window = timeWindow(batch, now - limits.maxEventAgeMs, now + limits.maxEventAheadMs)
    let result: InsertResult
    try {
      const stored = await writer.submit(window.kept)
      // accepted events go on to the integrations, queued in memory: never awaited here
      const bad = new Set(stored.rejected.map((r) => r.index))
      ctx.forward(window.kept.filter((e, i) => !bad.has(i) && e !== null && typeof e === 'object'))
      result = window.merge(stored)
    } catch (error) {
      if (error instanceof OverloadedError) {
        metrics.refused.inc({ source, reason: 'overloaded' })
        throw new HttpError(503, 'overloaded', 'the server is catching up; retry shortly', {
          retryAfter: 1,
        })
      }
      throw error
    }
    metrics.events.inc({ source, outcome: 'accepted' }, result.inserted)
    metrics.events.inc({ source, outcome: 'duplicate' }, result.duplicates)
    metrics.events.inc({ source, outcome: 'rejected' }, result.rejected.length)
    return result
  }

  // Bodies are checked event by event (one bad event never costs its neighbours), not here.
  app.post(
    '/v1/events',
    {
      preHandler,
      schema: { summary: 'a batch of Threadline events: {"events": [...]} or an array' },
    },
    async (request) => {
      const body = request.body as unknown
      const events = Array.isArray(body)
        ? body
        : body !== null &&
            typeof body === 'object' &&
            Array.isArray((body as { events?: unknown }).events)
          ? (body as { events: unknown[] }).events
          : undefined
      if (!events) {
        metrics.refused.inc({ source: 'native', reason: 'invalid' })
        throw new HttpError(
          400,
          'invalid_body',
          'events: expected {"events": [...]} or an array of events',
          { field: 'events' },
        )
      }
      const r = await ingest('native', request, events as ThreadlineEvent[])
      return { accepted: r.inserted, duplicates: r.duplicates, rejected: r.rejected }
    },
  )

  for (const [path, kind, map] of [
    ['/v1/traces', 'traces', otlpTracesToEvents],
    ['/v1/logs', 'logs', otlpLogsToEvents],
  ] as const) {
    const source = `otlp_${kind}`
    const summary = `OTLP/HTTP JSON ${kind} (partial success per OTLP)`
    app.post(path, { preHandler, schema: { summary } }, async (request) => {
      let mapped
      try {
        mapped = map(request.body)
      } catch (error) {
        if (error instanceof OtlpFormatError) {
          metrics.refused.inc({ source, reason: 'invalid' })
          throw new HttpError(400, 'invalid_otlp', error.message)
        }
        throw error
      }
      const r = await ingest(source, request, mapped.events)
      return partialSuccess(kind, {
        ...mapped,
        rejected: mapped.rejected + r.rejected.length,
        errors: [...mapped.errors, ...r.rejected.slice(0, 10).map((x) => x.reason)],
      })
    })
  }

  // OTLP protobuf is not spoken here: say so instead of a generic 415.
  app.addContentTypeParser('application/x-protobuf', (_request, _payload, done) => {
    done(
      new HttpError(
        415,
        'unsupported_media_type',
        'only OTLP/HTTP JSON is accepted: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json',
      ),
    )
  })
}
