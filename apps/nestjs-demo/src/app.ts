import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { Logger } from '@threadline/core'
import {
  THREADLINE_LOGGER,
  ThreadlineLogger,
  ThreadlineModule,
  Traced,
  instrumentFetch,
} from '@threadline/nestjs'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const DOWNSTREAM = Symbol('downstream url')

interface Order {
  id: string
  item: string
  quantity: number
}

@Injectable()
export class OrdersService {
  private readonly orders = new Map<string, Order>([
    ['1', { id: '1', item: 'keyboard', quantity: 1 }],
    ['2', { id: '2', item: 'monitor', quantity: 2 }],
  ])

  constructor(@Inject(THREADLINE_LOGGER) private readonly log: Logger) {}

  @Traced()
  async find(id: string): Promise<Order | undefined> {
    await sleep(2) // a database round trip
    return this.orders.get(id)
  }

  @Traced()
  async create(item: string, quantity: number): Promise<Order> {
    const order = { id: String(this.orders.size + 1), item, quantity }
    this.orders.set(order.id, order)
    this.log.audit('create', { resource_type: 'order', resource_id: order.id })
    return order
  }

  @Traced('reports.daily')
  async dailyReport(): Promise<{ orders: number; items: number }> {
    await sleep(300) // a slow aggregate query
    const all = [...this.orders.values()]
    return { orders: all.length, items: all.reduce((n, o) => n + o.quantity, 0) }
  }
}

@Controller()
export class OrdersController {
  private readonly fetch = instrumentFetch(fetch)

  constructor(
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(THREADLINE_LOGGER) private readonly log: Logger,
    @Inject(DOWNSTREAM) private readonly downstreamUrl: string | undefined,
  ) {}

  @Get('health')
  health() {
    return { ok: true }
  }

  @Get('orders/:id')
  async get(@Param('id') id: string) {
    const order = await this.orders.find(id)
    if (!order) throw new NotFoundException(`order ${id} not found`)
    this.log.info('order loaded', { resource_type: 'order', resource_id: id })
    return order
  }

  @Post('orders')
  async create(@Body() body: { item?: unknown; quantity?: unknown }) {
    if (typeof body?.item !== 'string' || typeof body.quantity !== 'number')
      throw new BadRequestException('item (string) and quantity (number) are required')
    return this.orders.create(body.item, body.quantity)
  }

  @Get('reports/daily')
  report() {
    return this.orders.dailyReport()
  }

  @Get('payments/charge')
  charge(): never {
    throw new Error('payment gateway unavailable')
  }

  /** Calls the next service (DOWNSTREAM_URL) in the same trace. */
  @Get('orders/:id/shipping')
  async shipping(@Param('id') id: string) {
    const order = await this.orders.find(id)
    if (!order) throw new NotFoundException(`order ${id} not found`)
    if (!this.downstreamUrl) return { order, shipping: 'no DOWNSTREAM_URL configured' }
    this.log.info('asking the downstream service', { attributes: { url: this.downstreamUrl } })
    const res = await this.fetch(this.downstreamUrl)
    return { order, shipping: { status: res.status, body: await res.text() } }
  }
}

export interface DemoOptions {
  /** Threadline logger for this service. @default the default logger */
  logger?: Logger
  /** URL `GET /orders/:id/shipping` calls. @default process.env.DOWNSTREAM_URL */
  downstreamUrl?: string
}

/** The demo service, not yet listening. */
export async function createApp(options: DemoOptions = {}): Promise<INestApplication> {
  const { logger, downstreamUrl = process.env['DOWNSTREAM_URL'] } = options
  class AppModule {}
  Module({
    imports: [
      ThreadlineModule.forRoot({
        ...(logger ? { logger } : {}),
        headers: ['accept'],
        getUser: (req: { headers: Record<string, string | undefined> }) => {
          const user = req.headers['x-user-id']
          return user ? { user_id: user } : undefined
        },
      }),
    ],
    controllers: [OrdersController],
    providers: [OrdersService, { provide: DOWNSTREAM, useValue: downstreamUrl }],
  })(AppModule)
  const app = await NestFactory.create(AppModule, { bufferLogs: true })
  app.useLogger(app.get(ThreadlineLogger))
  return app
}

/** Start the demo on `port` (0 for any); resolves with the app and its URL. */
export async function start(
  port: number,
  options: DemoOptions = {},
): Promise<{ app: INestApplication; url: string }> {
  const app = await createApp(options)
  await app.listen(port, '127.0.0.1')
  const { port: bound } = app.getHttpServer().address() as AddressInfo
  return { app, url: `http://127.0.0.1:${bound}` }
}
