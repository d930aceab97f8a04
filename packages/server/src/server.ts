// The collector and query API: one Fastify app over one store, its routes in plugins by area.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createGunzip } from 'node:zlib'
import { consoleBuilt, consoleRoot } from '@threadline/console'
import fastifyCors from '@fastify/cors'
import fastifySwagger from '@fastify/swagger'
import { ThreadlineConfigError } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import Fastify, { type FastifyInstance } from 'fastify'
import { createAuth } from './auth.js'
import type { ServerContext } from './context.js'
import { errorHandler } from './error-handler.js'
import { HttpError } from './http-error.js'
import { createJobs } from './jobs.js'
import { createGuard, isLoopbackHost, normaliseOrigin } from './local-guard.js'
import { createMetrics } from './metrics.js'
import { consoleRoutes } from './routes/console.js'
import { exportRoutes } from './routes/export.js'
import { createForwarder, createSealer } from './integrations.js'
import { ingestRoutes } from './routes/ingest.js'
import { integrationRoutes } from './routes/integrations.js'
import { opsRoutes } from './routes/ops.js'
import { queryRoutes } from './routes/query.js'
import type { ServerOptions } from './types.js'
import { createWriter } from './writer.js'

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

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

/**
 * The Threadline server: `POST /v1/events` (native batches), `POST /v1/logs` and
 * `POST /v1/traces` (OTLP/HTTP JSON), the query API under `/api`, `/metrics`, `/healthz`,
 * and the web console at `/`.
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
    exportDir,
    exportTtlMs = 3_600_000,
    maxEventAgeMs = 365 * 86_400_000,
    maxEventAheadMs = 86_400_000,
    console: serveConsole = true,
    consoleDir,
    allowedHosts = [],
    corsOrigins = [],
  } = options
  const origins = corsOrigins.map((o) => {
    const normal = normaliseOrigin(o)
    if (!normal || normal === 'null')
      throw new ThreadlineConfigError(
        `corsOrigins: ${JSON.stringify(o)} is not an http(s) origin`,
        'corsOrigins',
      )
    return normal
  })
  for (const h of allowedHosts)
    if (!/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/i.test(h))
      throw new ThreadlineConfigError(
        `allowedHosts: ${JSON.stringify(h)} is not a host name (no port, no scheme)`,
        'allowedHosts',
      )
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
  if (mode === 'local' && !isLoopbackHost(host.includes(':') ? `[${host}]` : host)) {
    if (ownStore) await store.close()
    throw new ThreadlineConfigError(
      `no API keys exist, so the server runs in local mode and only listens on 127.0.0.1, not ${host}; create one with \`threadline keys create --org <org>\``,
      'host',
    )
  }

  let sealer
  try {
    sealer = createSealer(options.secret, options.secretFile)
  } catch (error) {
    if (ownStore) await store.close()
    throw error
  }
  const forwarder = createForwarder(store, sealer, options.spoolDir)
  const metrics = createMetrics(
    () => writer.pending,
    () => forwarder.all(),
  )
  const writer = createWriter(
    store,
    {
      batchSize: writeBatchSize,
      concurrency: options.writeConcurrency ?? (store.engine === 'postgres' ? 2 : 1),
      maxQueued: maxQueuedEvents,
    },
    (_rows, seconds, result) => {
      metrics.writeSeconds.observe(seconds)
      if (result.dropped_keys) metrics.droppedKeys.inc(result.dropped_keys)
    },
  )
  const jobs = createJobs(exportDir, exportTtlMs)
  const rateLimit =
    options.rateLimit ??
    (mode === 'keys'
      ? {
          ingest: { max: 6000, timeWindowMs: 60_000 },
          query: { max: 1200, timeWindowMs: 60_000 },
        }
      : false)
  const ctx: ServerContext = {
    store,
    mode,
    auth: createAuth(store, mode, keyCacheMs),
    metrics,
    writer,
    jobs,
    limits: { maxBatchEvents, maxEventAgeMs, maxEventAheadMs },
    rateLimit,
    version: VERSION,
    forward: (events) => forwarder.forward(events),
  }

  const app = Fastify({
    bodyLimit,
    logger: false,
    return503OnClosing: true,
    // Valid JSON is parsed whatever its keys: `__proto__` and `constructor.prototype` keys
    // become plain own properties (JSON.parse never sets a prototype), and the store drops
    // them per event and counts them. Refusing them here would lose the whole batch.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
    // The route schemas type query values as `string | string[]` (a repeated key).
    ajv: { customOptions: { allowUnionTypes: true } },
  })
  // Set before the plugins register: they inherit it.
  app.setErrorHandler(errorHandler)
  // Loopback Host names only in local mode (DNS rebinding); no cross-origin API calls
  // unless CORS allows the origin.
  app.addHook('onRequest', createGuard({ mode, allowedHosts, corsOrigins: origins }))
  if (origins.length > 0)
    await app.register(fastifyCors, {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      allowedHeaders: ['authorization', 'x-api-key', 'content-type', 'content-encoding', 'accept'],
      exposedHeaders: ['retry-after', 'content-disposition'],
      maxAge: 600,
    })
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Threadline server',
        version: VERSION,
        description: 'Ingest (native and OTLP/HTTP JSON) and the query API.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  })
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger())

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

  await app.register(ingestRoutes, ctx)
  await app.register(queryRoutes, ctx)
  await app.register(exportRoutes, ctx)
  await app.register(opsRoutes, ctx)
  await app.register(integrationRoutes, { ...ctx, forwarder, sealer })
  await forwarder.start()
  const root = consoleDir ?? consoleRoot
  await app.register(consoleRoutes, {
    enabled: serveConsole,
    root,
    built: consoleDir === undefined ? consoleBuilt() : existsSync(join(root, 'index.html')),
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
        await forwarder.close() // flushes what each integration still holds
        jobs.close()
        if (ownStore) await store.close()
      })()
      return closing
    },
  }
}
