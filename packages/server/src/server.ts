// The collector and query API: one Fastify app over one store.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { diag, ThreadlineConfigError, type ThreadlineEvent } from '@threadline/core'
import {
  createStore,
  StoreQueryError,
  type ApiKeyInfo,
  type ApiKeyScope,
  type EventFilters,
  type ExportOptions,
  type InsertResult,
  type RejectedEvent,
  type Store,
} from '@threadline/store'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { createJobs, exportChunks, type OutputFormat } from './jobs.js'
import { createMetrics } from './metrics.js'
import { OtlpFormatError, otlpLogsToEvents, otlpTracesToEvents, partialSuccess } from './otlp.js'
import { filtersFromQuery } from './params.js'
import type { ServerOptions } from './types.js'
import { createWriter, OverloadedError } from './writer.js'

export interface ThreadlineServer {
  readonly app: FastifyInstance
  readonly store: Store
  /** `keys`: every request needs an API key; `local`: loopback only, no keys. */
  readonly mode: 'keys' | 'local'
  /** Start listening; resolves with the base URL. */
  listen(): Promise<string>
  /** Stop taking requests, finish the ones in flight (and their writes), close the store. */
  close(): Promise<void>
}

/** Who is calling: the key's org and scopes, or everything in local mode. */
interface Principal {
  org_id: string | undefined
  scopes: ReadonlySet<ApiKeyScope>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
const EXPORT_FORMATS = new Set<OutputFormat>(['csv', 'jsonl', 'json'])
const CONTENT_TYPES: Record<OutputFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
  json: 'application/json',
}
const MAX_EXPORT_JOBS_PER_ORG = 2

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

/**
 * Split off the events timestamped outside [from, to] (refused, with why) from the rest, and
 * put the store's answer for the rest back in terms of the request's indexes.
 */
function timeWindow(
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

/**
 * The Threadline server: `POST /v1/events` (native batches), `POST /v1/logs` and
 * `POST /v1/traces` (OTLP/HTTP JSON), the query API under `/api`, `/metrics` and `/healthz`.
 */
export async function createServer(options: ServerOptions = {}): Promise<ThreadlineServer> {
  const {
    host = '127.0.0.1',
    port = 4318,
    bodyLimit = 16 * 1024 * 1024,
    maxBatchEvents = 10_000,
    maxQueuedEvents = 100_000,
    writeBatchSize = 5000,
    keyCacheMs = 30_000,
    exportDir = join(tmpdir(), 'threadline-exports'),
    exportTtlMs = 3_600_000,
    maxEventAgeMs = 365 * 86_400_000,
    maxEventAheadMs = 86_400_000,
  } = options
  for (const [name, v] of [
    ['maxEventAgeMs', maxEventAgeMs],
    ['maxEventAheadMs', maxEventAheadMs],
  ] as const) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0)
      throw new ThreadlineConfigError(`${name} must be a number >= 0, got ${String(v)}`, name)
  }
  const ownStore = !options.store
  const store =
    options.store ??
    (await createStore({
      ...options.storeOptions,
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    }))
  const mode = options.auth ?? ((await store.keys.activeCount()) > 0 ? 'keys' : 'local')
  if (mode === 'local' && !LOOPBACK.has(host)) {
    if (ownStore) await store.close()
    throw new ThreadlineConfigError(
      `no API keys exist, so the server runs in local mode and only listens on 127.0.0.1, not ${host}; create one with \`threadline keys create --org <org>\``,
      'host',
    )
  }

  const metrics = createMetrics(() => writer.pending)
  const writer = createWriter(
    store,
    {
      batchSize: writeBatchSize,
      concurrency: options.writeConcurrency ?? (store.engine === 'postgres' ? 2 : 1),
      maxQueued: maxQueuedEvents,
    },
    (_rows, seconds) => metrics.writeSeconds.observe(seconds),
  )
  const jobs = createJobs(exportDir, exportTtlMs)
  const keyCache = new Map<string, { info: ApiKeyInfo | undefined; until: number }>()

  const app = Fastify({ bodyLimit, logger: false, return503OnClosing: true })

  // gzip request bodies; the limit applies to the inflated size (zip bombs stop at bodyLimit).
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding']
    if (!encoding || encoding === 'identity') return payload
    if (encoding !== 'gzip')
      throw new HttpError(
        415,
        'unsupported_encoding',
        `content-encoding ${encoding} is not supported; use gzip`,
      )
    const gunzip = createGunzip() as ReturnType<typeof createGunzip> & {
      receivedEncodedLength: number
    }
    gunzip.receivedEncodedLength = 0
    payload.on('data', (c: Buffer) => (gunzip.receivedEncodedLength += c.length))
    gunzip.on('error', (e: Error & { statusCode?: number }) => (e.statusCode = 400))
    return payload.pipe(gunzip)
  })

  // ------------------------------------------------------------------ auth
  async function verify(key: string): Promise<ApiKeyInfo | undefined> {
    const hit = keyCache.get(key)
    if (hit && hit.until > Date.now()) return hit.info
    const info = await store.keys.verify(key)
    if (keyCache.size > 10_000) keyCache.clear()
    keyCache.set(key, { info, until: Date.now() + keyCacheMs })
    return info
  }

  const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set(['ingest', 'read'])
  const needs =
    (scope: ApiKeyScope) =>
    async (request: FastifyRequest): Promise<void> => {
      if (mode === 'local') {
        request.principal = { org_id: undefined, scopes: ALL_SCOPES }
        return
      }
      const auth = request.headers.authorization
      const key =
        typeof auth === 'string' && auth.startsWith('Bearer ')
          ? auth.slice(7).trim()
          : request.headers['x-api-key']
      if (typeof key !== 'string' || key === '')
        throw new HttpError(
          401,
          'unauthorized',
          'an API key is required (Authorization: Bearer <key>)',
        )
      const info = await verify(key)
      if (!info) throw new HttpError(401, 'unauthorized', 'unknown or revoked API key')
      if (!info.scopes.includes(scope))
        throw new HttpError(403, 'forbidden', `this key lacks the ${scope} scope`)
      request.principal = { org_id: info.org_id, scopes: new Set(info.scopes) }
    }
  const ingestAuth = needs('ingest')
  const readAuth = needs('read')

  /** The caller's filters narrowed to its org; asking for another org is refused. */
  function scoped<T extends EventFilters>(request: FastifyRequest, filters: T): T {
    const org = request.principal?.org_id
    if (org === undefined) return filters
    if (filters.org_id !== undefined && filters.org_id !== org)
      throw new HttpError(403, 'forbidden', 'this API key reads only its own org', {
        field: 'org_id',
      })
    return { ...filters, org_id: org }
  }

  // ---------------------------------------------------------------- ingest
  /** Store a batch; the key's org is stamped on every event (it cannot be forged). */
  async function ingest(
    source: string,
    request: FastifyRequest,
    events: ThreadlineEvent[],
  ): Promise<InsertResult> {
    if (events.length > maxBatchEvents) {
      metrics.refused.inc({ source, reason: 'too_many_events' })
      throw new HttpError(
        413,
        'too_many_events',
        `${events.length} events in one request; the limit is ${maxBatchEvents}`,
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
    const window = timeWindow(batch, now - maxEventAgeMs, now + maxEventAheadMs)
    let result: InsertResult
    try {
      result = window.merge(await writer.submit(window.kept))
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

  app.post('/v1/events', { preHandler: ingestAuth }, async (request) => {
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
        {
          field: 'events',
        },
      )
    }
    const r = await ingest('native', request, events as ThreadlineEvent[])
    return { accepted: r.inserted, duplicates: r.duplicates, rejected: r.rejected }
  })

  for (const [path, kind, map] of [
    ['/v1/traces', 'traces', otlpTracesToEvents],
    ['/v1/logs', 'logs', otlpLogsToEvents],
  ] as const) {
    const source = `otlp_${kind}`
    app.post(path, { preHandler: ingestAuth }, async (request) => {
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

  // ----------------------------------------------------------------- query
  const timed =
    <T>(route: string, fn: (request: FastifyRequest, reply: FastifyReply) => Promise<T>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<T> => {
      const end = metrics.queryDuration.startTimer({ route })
      try {
        return await fn(request, reply)
      } finally {
        end()
      }
    }

  /** Seeds' shape `{ filters: {...}, limit, offset, sort_by, sort_order }`, or all at top level. */
  function bodyQuery(body: unknown): Record<string, unknown> {
    if (body === undefined || body === null) return {}
    if (typeof body !== 'object' || Array.isArray(body))
      throw new StoreQueryError('body', 'expected a JSON object')
    const { filters, ...rest } = body as Record<string, unknown>
    if (filters === undefined) return rest
    if (typeof filters !== 'object' || filters === null || Array.isArray(filters))
      throw new StoreQueryError('filters', 'expected an object')
    return { ...(filters as Record<string, unknown>), ...rest }
  }

  app.post(
    '/api/logs/query',
    { preHandler: readAuth },
    timed('query', async (request) => {
      return store.query(scoped(request, bodyQuery(request.body) as EventFilters))
    }),
  )

  app.get(
    '/api/logs/trace/:trace_id',
    { preHandler: readAuth },
    timed('trace', async (request) => {
      const scope =
        request.principal?.org_id === undefined ? {} : { org_id: request.principal.org_id }
      const { trace_id } = request.params as { trace_id: string }
      const trace = await store.trace(trace_id, scope)
      if (!trace) throw new HttpError(404, 'not_found', 'no such trace')
      return trace
    }),
  )

  app.get(
    '/api/errors',
    { preHandler: readAuth },
    timed('errors', async (request) => {
      const filters = scoped(request, filtersFromQuery(request.query as Record<string, unknown>))
      return { errors: await store.errors(filters) }
    }),
  )

  app.get(
    '/api/stats',
    { preHandler: readAuth },
    timed('stats', async (request) => {
      const filters = scoped(request, filtersFromQuery(request.query as Record<string, unknown>))
      return { stats: await store.stats(filters) }
    }),
  )

  app.post(
    '/api/logs/export',
    { preHandler: readAuth },
    timed('export', async (request, reply) => {
      const { format = 'csv', mode: exportMode = 'stream', ...q } = bodyQuery(request.body)
      if (!EXPORT_FORMATS.has(format as OutputFormat))
        throw new StoreQueryError('format', 'expected csv, jsonl or json')
      if (exportMode !== 'stream' && exportMode !== 'job')
        throw new StoreQueryError('mode', 'expected stream or job')
      const filters = scoped(request, q as ExportOptions)
      const org = request.principal?.org_id
      // Validate the filters before answering (a bad one is a 400, not a broken stream).
      await store.query({ ...(filters as EventFilters), limit: 1 })
      if (exportMode === 'job') {
        if (jobs.running(org) >= MAX_EXPORT_JOBS_PER_ORG)
          throw new HttpError(429, 'too_many_exports', 'two exports are already running', {
            retryAfter: 10,
          })
        const job = jobs.start(store, org, filters as ExportOptions, format as OutputFormat)
        reply.code(202)
        return { id: job.id, status: job.status, status_url: `/api/logs/export/${job.id}` }
      }
      reply.header('content-type', CONTENT_TYPES[format as OutputFormat])
      reply.header('content-disposition', `attachment; filename="events.${format}"`)
      // A stream with backpressure: one page of rows is read only when the socket drains.
      const source = exportChunks(store, filters as ExportOptions, format as OutputFormat)
      return reply.send(
        Readable.from(
          (async function* () {
            for await (const chunk of source) yield chunk.text
          })(),
          { objectMode: false },
        ),
      )
    }),
  )

  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/logs/export/:id',
    { preHandler: readAuth },
    async (request, reply) => {
      const job = jobs.get(request.params.id, request.principal?.org_id)
      if (!job) throw new HttpError(404, 'not_found', 'no such export job')
      const { path: _path, org_id: _org, ...status } = job
      if (request.query.download === undefined)
        return {
          ...status,
          download_url: job.status === 'done' ? `/api/logs/export/${job.id}?download` : null,
        }
      if (job.status !== 'done')
        throw new HttpError(409, 'not_ready', `the export is ${job.status}`)
      reply.header('content-type', CONTENT_TYPES[job.format])
      reply.header('content-disposition', `attachment; filename="events.${job.format}"`)
      return reply.send(createReadStream(job.path))
    },
  )

  // ------------------------------------------------------------- operations
  app.get('/healthz', async (_request, reply) => {
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
  })

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType)
    return metrics.registry.metrics()
  })

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof HttpError) {
      if (typeof error.extra.retryAfter === 'number')
        reply.header('retry-after', String(error.extra.retryAfter))
      const { retryAfter: _r, ...extra } = error.extra
      return reply
        .code(error.statusCode)
        .send({ error: error.code, message: error.message, ...extra })
    }
    if (error instanceof StoreQueryError)
      return reply
        .code(400)
        .send({ error: 'invalid_filter', field: error.field, message: error.message })
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
    if (status === 500) {
      // Rate-limited on stderr (THREADLINE_DIAG); the client gets no internals.
      diag.error(`server: ${request.method} ${request.url} failed`, error)
      return reply
        .code(500)
        .send({ error: 'internal', message: 'the request failed; see the server log' })
    }
    return reply
      .code(status)
      .send({ error: (error.code ?? 'bad_request').toLowerCase(), message: error.message })
  })

  let closing: Promise<void> | undefined
  return {
    app,
    store,
    mode,
    async listen() {
      await app.listen({ host, port })
      const address = app.server.address()
      const actual = typeof address === 'object' && address ? address.port : port
      const shown = host.includes(':') ? `[${host}]` : host
      return `http://${shown}:${actual}`
    },
    close() {
      closing ??= (async () => {
        await app.close() // waits for in-flight requests, which wait for their writes
        await writer.drain()
        jobs.close()
        if (ownStore) await store.close()
      })()
      return closing
    },
  }
}
