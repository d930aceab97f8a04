import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { getLogger, setBindings } from '@threadline/core'
import type { Logger } from '@threadline/core'
import {
  instrumentFetch,
  metricsHandler,
  prometheusHttpMetrics,
  threadlineLoggerOptions,
  threadlinePlugin,
} from '@threadline/fastify'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'

export interface DemoOptions {
  /** Where events go. @default getLogger() */
  logger?: Logger
  /**
   * What `GET /products/:sku/availability` calls over HTTP (another demo
   * service, for one trace across services). @default this service's own `/stock/:sku`
   */
  downstreamUrl?: string
}

interface Product {
  sku: string
  name: string
  price: number
}

/** A small catalog service: a few routes, one that fails, one slow, one calling another service. */
export async function createApp(options: DemoOptions = {}): Promise<FastifyInstance> {
  const { logger: log = getLogger(), downstreamUrl } = options
  const metrics = prometheusHttpMetrics()
  // request.id is Threadline's request id; Fastify's request logger (off here) would carry the ids
  const app = Fastify({ ...threadlineLoggerOptions() })

  // first: one trace and one completion event per request, in every child plugin below
  await app.register(threadlinePlugin, { logger: log, metrics, logBody: true, getUser: userOf })
  // a toy auth step: who is calling, from here on in every event of the request
  app.addHook('preHandler', (request, _reply, done) => {
    const user = userOf(request)
    if (user) setBindings(user)
    done()
  })
  app.get('/health', async () => 'ok')
  app.get('/metrics', metricsHandler(metrics))
  await app.register(catalog(log, downstreamUrl))
  return app
}

function catalog(log: Logger, downstreamUrl: string | undefined): FastifyPluginAsync {
  const products = new Map<string, Product>([
    ['beans-1kg', { sku: 'beans-1kg', name: 'espresso beans 1kg', price: 24 }],
    ['grinder', { sku: 'grinder', name: 'burr grinder', price: 189 }],
  ])
  const tracedFetch = instrumentFetch(fetch, { logger: log })
  // an encapsulated plugin: the Threadline hooks still apply to its routes
  return async (api) => {
    api.get<{ Params: { sku: string } }>('/products/:sku', async (request, reply) => {
      const product = products.get(request.params.sku)
      if (!product) {
        log.warn('product not found', { resource_type: 'product', resource_id: request.params.sku })
        return reply.code(404).send({ error: 'not found' })
      }
      log.info('product read', {
        resource_type: 'product',
        resource_id: product.sku,
        action: 'read',
      })
      return product
    })

    api.post<{ Params: { sku: string }; Body: { rating: number; text?: string } }>(
      '/products/:sku/reviews',
      {
        schema: {
          body: {
            type: 'object',
            required: ['rating'],
            properties: {
              rating: { type: 'integer', minimum: 1, maximum: 5 },
              text: { type: 'string' },
            },
          },
        },
      },
      async (request, reply) => {
        log.info('review added', {
          resource_type: 'product',
          resource_id: request.params.sku,
          action: 'create',
          rating: request.body.rating,
        })
        return reply.code(201).send({ ok: true })
      },
    )

    // fails: the supplier feed is down (an async rejection: one error event)
    api.post('/imports', async () => {
      log.info('supplier import started')
      await sleep(20)
      throw new Error('supplier feed unavailable')
    })

    // slow: a price history that takes a while, logging its progress
    api.get<{ Params: { sku: string } }>('/products/:sku/price-history', async (request) => {
      for (const step of ['load', 'aggregate', 'render']) {
        await sleep(150 + Math.random() * 150)
        log.debug('price history step done', { step, sku: request.params.sku })
      }
      return { sku: request.params.sku, points: 90 }
    })

    // calls another service over HTTP: same trace, its parent is our client span
    api.get<{ Params: { sku: string } }>('/products/:sku/availability', async (request, reply) => {
      const product = products.get(request.params.sku)
      if (!product) return reply.code(404).send({ error: 'not found' })
      const url =
        downstreamUrl ??
        `${request.protocol}://${request.host}/stock/${encodeURIComponent(product.sku)}`
      log.info('checking stock', { downstream: url })
      const stock = await tracedFetch(url)
      const body: unknown = await stock.json().catch(() => null)
      log.info('stock checked', { status: stock.status })
      return reply.code(stock.ok ? 200 : 502).send({ product, stock: body })
    })

    api.get<{ Params: { sku: string } }>('/stock/:sku', async (request) => {
      await sleep(10)
      log.info('stock looked up', { sku: request.params.sku })
      return { sku: request.params.sku, available: 7 }
    })
  }
}

function userOf(request: FastifyRequest): { user_id: string; org_id: string } | undefined {
  const user = request.headers['x-user-id']
  const org = request.headers['x-org-id']
  return typeof user === 'string'
    ? { user_id: user, org_id: typeof org === 'string' ? org : 'demo-org' }
    : undefined
}

/** Start the demo on `port` (0: any free port). */
export async function start(
  port: number,
  options: DemoOptions = {},
): Promise<{ app: FastifyInstance; url: string; close: () => Promise<void> }> {
  const app = await createApp(options)
  await app.listen({ port, host: '0.0.0.0' })
  const { port: bound } = app.server.address() as AddressInfo
  return { app, url: `http://localhost:${bound}`, close: () => app.close() }
}
