import 'reflect-metadata'
import type { AddressInfo } from 'node:net'
import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Get,
  Headers,
  Inject,
  Injectable,
  Module,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common'
import type { CanActivate, DynamicModule, INestApplication, Type } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { instrumentFetch } from '@threadline/core'
import type { Logger } from '@threadline/core'
import { THREADLINE_LOGGER, ThreadlineLogger, ThreadlineModule, Traced } from '../src/index.js'
import type { ThreadlineModuleOptions } from '../src/index.js'

export type Platform = 'express' | 'fastify'
export const PLATFORMS: Platform[] = ['express', 'fastify']

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Lets a test hold `/slow` open and release it. */
export const slow = { release: () => {}, entered: Promise.resolve() }

@Injectable()
export class UsersService {
  constructor(@Inject(THREADLINE_LOGGER) private readonly log: Logger) {}

  @Traced()
  async find(id: string): Promise<{ id: string }> {
    this.log.info('finding user', { attributes: { id } })
    await sleep(1)
    return { id }
  }
}

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    throw new ForbiddenException('no entry')
  }
}
class FalseGuard implements CanActivate {
  canActivate(): boolean {
    return false
  }
}

@Controller()
export class AppController {
  constructor(
    @Inject(THREADLINE_LOGGER) private readonly log: Logger,
    @Inject(ThreadlineLogger) private readonly nestLog: ThreadlineLogger,
    @Inject(UsersService) private readonly users: UsersService,
  ) {}

  @Get('users/:id')
  async user(@Param('id') id: string, @Query('delay') delay?: string) {
    this.log.info('loading user')
    await sleep(Number(delay ?? 0))
    this.nestLog.log('loaded user', 'AppController')
    return this.users.find(id)
  }

  @Post('echo')
  async echo(@Body() body: { n: number; delay?: number }) {
    this.log.info('echo received', { attributes: { n: body.n } })
    await sleep(body.delay ?? 0)
    await new Promise<void>((r) => setImmediate(r))
    this.log.info('echo done', { attributes: { n: body.n } })
    return body
  }

  @Get('boom')
  boom(): never {
    throw new Error('boom sync')
  }

  @Get('reject')
  async reject(): Promise<never> {
    await sleep(1)
    throw new TypeError('async rejection')
  }

  @Get('bad')
  bad(): never {
    throw new BadRequestException('bad input')
  }

  @Get('guarded')
  @UseGuards(DenyGuard)
  guarded() {
    return 'never'
  }

  @Get('closed')
  @UseGuards(FalseGuard)
  closed() {
    return 'never'
  }

  @Get('late')
  late(@Res() res: { raw?: unknown; end?: (s: string) => void; send?: (s: string) => void }) {
    const raw = (res.raw ?? res) as { end(s: string): void }
    raw.end('sent')
    throw new Error('after headers')
  }

  @Get('slow')
  async slowRoute() {
    let release = () => {}
    const held = new Promise<void>((r) => (release = r))
    slow.release = release
    this.log.info('slow started')
    await held
    return 'late'
  }

  @Get('health')
  health() {
    this.log.info('health check')
    return 'ok'
  }

  @Get('headers')
  headers(
    @Headers('traceparent') traceparent?: string,
    @Headers('tracestate') tracestate?: string,
  ) {
    this.log.info('headers seen')
    return { traceparent, tracestate }
  }

  @Get('call')
  async call(@Query('url') url: string) {
    const res = await instrumentFetch(fetch)(url)
    return { downstream: await res.text() }
  }
}

@Module({ providers: [UsersService], exports: [UsersService] })
export class UsersModule {}

export interface Started {
  app: INestApplication
  url: string
  close(): Promise<void>
}

/** Boot the fixture app on port 0, with Nest's own logs routed through ThreadlineLogger. */
export async function start(
  platform: Platform,
  options: ThreadlineModuleOptions = {},
  extra: {
    imports?: (DynamicModule | Type)[]
    root?: Type
    setup?: (app: INestApplication) => void
  } = {},
): Promise<Started> {
  class AppModule {}
  Module({
    imports: [ThreadlineModule.forRoot(options), UsersModule, ...(extra.imports ?? [])],
    controllers: [AppController],
  })(AppModule)
  const root = extra.root ?? AppModule
  const app =
    platform === 'express'
      ? await NestFactory.create(root, { bufferLogs: true, abortOnError: false })
      : await NestFactory.create(root, new FastifyAdapter(), {
          bufferLogs: true,
          abortOnError: false,
        })
  app.useLogger(app.get(ThreadlineLogger))
  extra.setup?.(app)
  await app.listen(0, '127.0.0.1')
  const { port } = app.getHttpServer().address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() }
}
