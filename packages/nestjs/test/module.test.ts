import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import { Controller, Get, Inject, Module } from '@nestjs/common'
import type { MiddlewareConsumer } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import type { TestLogger } from '@threadline/test-utils'
import { getLogger } from '@threadline/core'
import type { Logger } from '@threadline/core'
import {
  THREADLINE_LOGGER,
  THREADLINE_OPTIONS,
  ThreadlineLogger,
  ThreadlineModule,
} from '../src/index.js'
import type { ThreadlineModuleOptions } from '../src/index.js'
import { AppController, PLATFORMS, start, UsersModule } from './fixture.js'
import type { Started } from './fixture.js'
import { serverSpans, withError } from './helpers.js'

let t: TestLogger
const apps: { close(): Promise<unknown> }[] = []
beforeEach(() => {
  t = createTestLogger({ asDefault: true })
})
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  t.restore()
})
async function boot(...args: Parameters<typeof start>): Promise<Started> {
  const a = await start(...args)
  apps.push(a)
  return a
}

@Controller('feature')
class FeatureController {
  constructor(@Inject(THREADLINE_LOGGER) private readonly log: Logger) {}
  @Get()
  get() {
    this.log.info('feature hit')
    return 'feature'
  }
}

describe.each(PLATFORMS)('ThreadlineModule on %s', (platform) => {
  it('imported twice (AppModule and a feature module) logs each request once', async () => {
    class FeatureModule {}
    Module({
      imports: [ThreadlineModule.forRoot({ headers: ['accept'] })],
      controllers: [FeatureController],
    })(FeatureModule)
    const { url } = await boot(platform, {}, { imports: [FeatureModule, ThreadlineModule] })
    await fetch(`${url}/feature`)
    await fetch(`${url}/boom`)
    const events = await t.events()
    const spans = serverSpans(events)
    expect(spans.map((s) => s.http?.route)).toEqual(['/feature', '/boom'])
    expect(withError(events)).toHaveLength(1)
    expect(events.filter((e) => e.message === 'feature hit')).toHaveLength(1)
  })

  it('Nest middleware runs inside the request scope', async () => {
    class MwModule {
      configure(consumer: MiddlewareConsumer) {
        consumer
          .apply((_req: unknown, _res: unknown, next: () => void) => {
            getLogger().info('middleware ran')
            next()
          })
          .forRoutes(FeatureController)
      }
    }
    Module({ controllers: [FeatureController] })(MwModule)
    const { url } = await boot(platform, {}, { imports: [MwModule] })
    await fetch(`${url}/feature`, { headers: { 'x-request-id': 'mw-1' } })
    const events = await t.events()
    const span = serverSpans(events)[0]!
    expect(events.find((e) => e.message === 'middleware ran')).toMatchObject({
      request_id: 'mw-1',
      trace_id: span.trace_id,
      span_id: span.span_id,
    })
  })

  it('forRootAsync takes options from a factory with inject and imports', async () => {
    const CONFIG = Symbol('config')
    class ConfigModule {}
    Module({
      providers: [{ provide: CONFIG, useValue: { header: 'x-correlation-id' } }],
      exports: [CONFIG],
    })(ConfigModule)
    class AppModule {}
    Module({
      imports: [
        ThreadlineModule.forRootAsync({
          imports: [ConfigModule],
          inject: [CONFIG],
          useFactory: async (c: { header: string }): Promise<ThreadlineModuleOptions> => ({
            requestIdHeader: c.header,
          }),
        }),
        UsersModule,
      ],
      controllers: [AppController],
    })(AppModule)
    const { url, app } = await boot(platform, {}, { root: AppModule })
    const res = await fetch(`${url}/users/3`, { headers: { 'x-correlation-id': 'corr-3' } })
    expect(res.headers.get('x-correlation-id')).toBe('corr-3')
    expect(serverSpans(await t.events())[0]).toMatchObject({ request_id: 'corr-3' })
    expect(app.get(THREADLINE_OPTIONS)).toEqual({ requestIdHeader: 'x-correlation-id' })
  })

  it('app.useLogger(ThreadlineLogger) with bufferLogs routes Nest bootstrap, route mapping and provider logs', async () => {
    const { url } = await boot(platform)
    await fetch(`${url}/users/5`)
    const events = await t.events()
    const ctx = (m: string) => events.find((e) => e.message === m)?.attributes?.['nest.context']
    expect(ctx('Starting Nest application...')).toBe('NestFactory')
    expect(ctx('Mapped {/users/:id, GET} route')).toBe('RouterExplorer')
    expect(ctx('Nest application successfully started')).toBe('NestApplication')
    const span = serverSpans(events)[0]!
    expect(events.find((e) => e.message === 'loaded user')).toMatchObject({
      trace_id: span.trace_id,
      attributes: { 'nest.context': 'AppController' },
    })
  })

  it('the route template includes the global prefix', async () => {
    const { url } = await boot(platform, {}, { setup: (app) => app.setGlobalPrefix('api') })
    await fetch(`${url}/api/users/1`)
    await fetch(`${url}/api/nope`)
    expect(serverSpans(await t.events()).map((s) => s.http?.route)).toEqual([
      '/api/users/:id',
      'unmatched',
    ])
  })

  it('a malformed JSON body still gets its event (the scope is entered before body parsing)', async () => {
    const { url } = await boot(platform)
    const res = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json' },
      body: '{"n":',
    })
    expect(res.status).toBe(400)
    const events = await t.events()
    expect(serverSpans(events)).toHaveLength(1)
    expect(serverSpans(events)[0]).toMatchObject({
      request_id: 'bad-json',
      http: { status_code: 400, path: '/echo' },
    })
    expect(withError(events)).toHaveLength(1)
  })

  it('works with @nestjs/testing (adapter created after the module compiled)', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ThreadlineModule.forRoot(), UsersModule],
      controllers: [AppController],
    }).compile()
    const app =
      platform === 'express'
        ? moduleRef.createNestApplication({ logger: false })
        : moduleRef.createNestApplication(new FastifyAdapter(), { logger: false })
    apps.push(app)
    await app.listen(0, '127.0.0.1')
    const { port } = app.getHttpServer().address() as AddressInfo
    const res = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'tm-1' },
      body: JSON.stringify({ n: 11 }),
    })
    expect(res.status).toBe(201)
    const events = await t.events()
    const span = serverSpans(events)[0]!
    expect(span).toMatchObject({ request_id: 'tm-1', http: { route: '/echo' } })
    expect(events.find((e) => e.message === 'echo done')).toMatchObject({
      trace_id: span.trace_id,
      request_id: 'tm-1',
    })
  })
})

describe('ThreadlineModule setup', () => {
  it('bad options throw a TypeError at forRoot()', () => {
    expect(() => ThreadlineModule.forRoot({ requestIdHeader: 'bad header' })).toThrow(TypeError)
    expect(() => ThreadlineModule.forRootAsync({} as never)).toThrow(TypeError)
  })

  it('THREADLINE_LOGGER is the logger given in the options; ThreadlineLogger writes to it', async () => {
    const own = createTestLogger()
    const moduleRef = await Test.createTestingModule({
      imports: [ThreadlineModule.forRoot({ logger: own.logger })],
    }).compile()
    apps.push(moduleRef)
    expect(moduleRef.get(THREADLINE_LOGGER)).toBe(own.logger)
    moduleRef.get(ThreadlineLogger).warn('from nest', 'SomeService')
    expect(await own.events()).toMatchObject([
      { level: 'warn', message: 'from nest', attributes: { 'nest.context': 'SomeService' } },
    ])
  })
})
