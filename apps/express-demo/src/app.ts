import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { getLogger, setBindings } from '@threadline/core'
import type { Logger } from '@threadline/core'
import {
  instrumentFetch,
  metricsHandler,
  prometheusHttpMetrics,
  threadline,
  threadlineErrors,
} from '@threadline/express'
import express from 'express'
import type { Express, NextFunction, Request, Response } from 'express'

export interface DemoOptions {
  /** Where events go. @default getLogger() */
  logger?: Logger
  /**
   * What `GET /checkout/:id` calls over HTTP (another demo service, for one
   * trace across services). @default this service's own `/inventory/:sku`
   */
  downstreamUrl?: string
}

interface Order {
  id: string
  item: string
  quantity: number
  status: 'open' | 'paid'
}

/** A small orders service: a few routes, one that fails, one slow, one calling another service. */
export function createApp(options: DemoOptions = {}): Express {
  const { logger: log = getLogger(), downstreamUrl } = options
  const orders = new Map<string, Order>([
    ['1', { id: '1', item: 'espresso beans', quantity: 2, status: 'paid' }],
    ['2', { id: '2', item: 'grinder', quantity: 1, status: 'open' }],
  ])
  const tracedFetch = instrumentFetch(fetch, { logger: log })
  const metrics = prometheusHttpMetrics()
  const app = express()

  // first, before body parsing: one trace and one completion event per request
  app.use(threadline({ logger: log, metrics, logBody: true, getUser: userOf }))
  app.use(express.json())
  // a toy auth step: who is calling, from here on in every event of the request
  app.use((req, _res, next) => {
    const user = userOf(req)
    if (user) setBindings(user)
    next()
  })

  app.get('/health', (_req, res) => void res.send('ok'))
  app.get('/metrics', metricsHandler(metrics))

  app.get('/orders/:id', (req, res) => {
    const order = orders.get(req.params['id']!)
    if (!order) {
      log.warn('order not found', { resource_type: 'order', resource_id: req.params['id'] })
      res.status(404).json({ error: 'not found' })
      return
    }
    log.info('order read', { resource_type: 'order', resource_id: order.id, action: 'read' })
    res.json(order)
  })

  app.post('/orders', (req, res) => {
    const { item, quantity = 1 } = (req.body ?? {}) as { item?: string; quantity?: number }
    if (!item) {
      res.status(400).json({ error: 'item is required' })
      return
    }
    const order: Order = { id: String(orders.size + 1), item, quantity, status: 'open' }
    orders.set(order.id, order)
    log.info('order created', { resource_type: 'order', resource_id: order.id, action: 'create' })
    res.status(201).json(order)
  })

  // fails: the payment provider is down (an async rejection Express 5 forwards to next(err))
  app.post('/orders/:id/refund', async (req) => {
    log.info('refund requested', { resource_type: 'order', resource_id: req.params['id'] })
    await sleep(20)
    throw new Error(`payment provider unavailable for order ${req.params['id']}`)
  })

  // slow: a report that takes a while, logging its progress
  app.get('/reports/daily', async (_req, res) => {
    for (const step of ['load', 'aggregate', 'render']) {
      await sleep(150 + Math.random() * 150)
      log.debug('report step done', { step })
    }
    res.json({ orders: orders.size })
  })

  // calls another service over HTTP: same trace, its parent is our client span
  app.get('/checkout/:id', async (req, res) => {
    const order = orders.get(req.params['id']!)
    if (!order) {
      res.status(404).json({ error: 'not found' })
      return
    }
    const base = `${req.protocol}://${req.get('host') ?? 'localhost'}`
    const url = downstreamUrl ?? `${base}/inventory/${encodeURIComponent(order.item)}`
    log.info('checking stock', { downstream: url })
    const stock = await tracedFetch(url)
    const body: unknown = await stock.json().catch(() => null)
    log.info('stock checked', { status: stock.status })
    res.status(stock.ok ? 200 : 502).json({ order, stock: body })
  })

  app.get('/inventory/:sku', async (req, res) => {
    await sleep(10)
    log.info('stock looked up', { sku: req.params['sku'] })
    res.json({ sku: req.params['sku'], available: 12 })
  })

  app.use(threadlineErrors())
  app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err)
    res.status(500).json({ error: 'internal error' })
  })
  return app
}

function userOf(req: Request): { user_id: string; org_id: string } | undefined {
  const user = req.get('x-user-id')
  return user ? { user_id: user, org_id: req.get('x-org-id') ?? 'demo-org' } : undefined
}

/** Start the demo on `port` (0: any free port). */
export function start(
  port: number,
  options: DemoOptions = {},
): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const app = createApp(options)
  return new Promise((resolve, reject) => {
    const server = app.listen(port, (err?: Error) => {
      if (err) return reject(err)
      const { port: bound } = server.address() as AddressInfo
      resolve({
        server,
        url: `http://localhost:${bound}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections()
            server.close(() => r())
          }),
      })
    })
  })
}
