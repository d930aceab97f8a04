import { Module } from '@nestjs/common'
import type { DynamicModule, Provider } from '@nestjs/common'
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core'
import { getLogger, resolveHttpOptions } from '@threadline/core'
import { ThreadlineExceptionFilter } from './filter.js'
import { ThreadlineLogger } from './logger.js'
import { install } from './request.js'
import { THREADLINE_LOGGER, THREADLINE_OPTIONS } from './tokens.js'
import type { ThreadlineModuleAsyncOptions, ThreadlineModuleOptions } from './types.js'

const INSTALL = Symbol('threadline.nestjs.install')

/**
 * One import per application: `ThreadlineModule.forRoot({...})`. Global and
 * idempotent: importing it again (another `forRoot()`, a feature module) does
 * not install a second request hook or filter, so nothing is logged twice;
 * the first options win. Provides `ThreadlineLogger` (Nest's LoggerService),
 * the core `Logger` under `THREADLINE_LOGGER`, the request scope on the
 * Express and Fastify platforms, and a global exception filter.
 */
export class ThreadlineModule {
  static forRoot(options: ThreadlineModuleOptions = {}): DynamicModule {
    resolveHttpOptions({ ...options, metrics: false }) // bad options throw here, at setup
    return build([{ provide: THREADLINE_OPTIONS, useValue: options }], [])
  }

  static forRootAsync(options: ThreadlineModuleAsyncOptions): DynamicModule {
    const { imports = [], inject = [], useFactory } = options
    if (typeof useFactory !== 'function')
      throw new TypeError('threadline: forRootAsync needs a useFactory function')
    return build([{ provide: THREADLINE_OPTIONS, useFactory, inject }], imports)
  }
}
Module({})(ThreadlineModule)

function build(providers: Provider[], imports: any[]): DynamicModule {
  return {
    module: ThreadlineModule,
    global: true,
    imports,
    providers: [
      ...providers,
      ThreadlineLogger,
      {
        provide: THREADLINE_LOGGER,
        useFactory: (o: ThreadlineModuleOptions) => o.logger ?? getLogger(),
        inject: [THREADLINE_OPTIONS],
      },
      {
        provide: INSTALL,
        useFactory: (o: ThreadlineModuleOptions, host: HttpAdapterHost) => {
          resolveHttpOptions({ ...o, metrics: false }) // forRootAsync options are checked here
          // the adapter exists already under NestFactory.create(); with
          // @nestjs/testing it is set by createNestApplication(), before init()
          host.init$.subscribe(() => {
            if (host.httpAdapter) install(host.httpAdapter, o)
          })
          return true
        },
        inject: [THREADLINE_OPTIONS, HttpAdapterHost],
      },
      { provide: APP_FILTER, useClass: ThreadlineExceptionFilter },
    ],
    exports: [ThreadlineLogger, THREADLINE_LOGGER, THREADLINE_OPTIONS],
  }
}
