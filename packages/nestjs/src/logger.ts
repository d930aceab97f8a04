import { Inject, Injectable, Optional } from '@nestjs/common'
import type { LoggerService, LogLevel } from '@nestjs/common'
import { getLogger } from '@threadline/core'
import type { Level, Logger } from '@threadline/core'
import { THREADLINE_OPTIONS } from './tokens.js'
import type { ThreadlineModuleOptions } from './types.js'

const LEVELS: Record<LogLevel, Level> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
}
const STACK = /^.+\n\s+at .+:\d+:\d+/s

/**
 * Nest's `LoggerService` over Threadline: `app.useLogger(app.get(ThreadlineLogger))`
 * (with `bufferLogs: true`) sends Nest's own logs (bootstrap, route mapping,
 * `new Logger(MyService.name)` in providers) to Threadline, with the request's
 * trace ids when written inside one. The Nest context goes to
 * `attributes["nest.context"]`. Injectable, or usable as `new ThreadlineLogger()`.
 */
export class ThreadlineLogger implements LoggerService {
  private levels: Set<LogLevel> | undefined
  private readonly logger: (() => Logger) | undefined

  constructor(options?: Pick<ThreadlineModuleOptions, 'logger'>) {
    const logger = options?.logger
    this.logger = logger ? () => logger : undefined
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params)
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params)
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params)
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params)
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params)
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params)
  }
  setLogLevels(levels: LogLevel[]): void {
    this.levels = new Set(levels)
  }

  private write(nestLevel: LogLevel, message: unknown, params: unknown[]): void {
    if (this.levels && !this.levels.has(nestLevel)) return
    try {
      const rest = [...params]
      const withStack = nestLevel === 'error' || nestLevel === 'fatal'
      let context: string | undefined
      let stack: string | undefined
      // Nest passes (message, context), (message, stack, context) and (message, stack?)
      const last = rest[rest.length - 1]
      if (typeof last === 'string' && !(withStack && rest.length === 1 && STACK.test(last))) {
        context = last
        rest.pop()
      } else if (last === undefined && rest.length > 0) rest.pop()
      if (withStack && (typeof rest[0] === 'string' || rest[0] === undefined) && rest.length > 0)
        stack = rest.shift() as string | undefined
      const fields: Record<string, unknown> = {}
      const attributes: Record<string, unknown> = {}
      if (context) attributes['nest.context'] = context
      if (rest.length > 0) attributes['nest.params'] = rest
      let text: string
      if (message instanceof Error) {
        fields['error'] = message
        text = message.message
      } else if (typeof message === 'string') text = message
      else {
        attributes['nest.message'] = message
        text = context ?? 'log'
      }
      if (stack && !fields['error']) fields['error'] = { type: 'Error', message: text, stack }
      fields['attributes'] = attributes
      ;(this.logger ?? getLogger)().log(LEVELS[nestLevel], text, fields)
    } catch {
      // a log call never throws into the application
    }
  }
}
Injectable()(ThreadlineLogger)
Optional()(ThreadlineLogger, undefined, 0)
Inject(THREADLINE_OPTIONS)(ThreadlineLogger, undefined, 0)
