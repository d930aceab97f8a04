import {
  Catch,
  HttpException,
  HttpStatus,
  IntrinsicException,
  Logger,
  NotFoundException,
} from '@nestjs/common'
import type { ArgumentsHost, HttpServer } from '@nestjs/common'
import { BaseExceptionFilter } from '@nestjs/core'
import type { AbstractHttpAdapter } from '@nestjs/core'
import { requestState } from './request.js'

const external = new Logger('ExceptionsHandler')

/**
 * The global exception filter of `ThreadlineModule`: records every exception of
 * a request (HttpExceptions, 4xx included, guard errors, unknown errors) on its
 * completion event and answers as Nest's own filter does, but without Nest's
 * `ExceptionsHandler` error line, so a failed request has exactly one
 * error-bearing event. Extend it if you need a catch-all filter of your own.
 */
export class ThreadlineExceptionFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      // GraphQL and other external contexts: what Nest's ExternalExceptionFilter does
      if (exception instanceof Error && !(exception instanceof IntrinsicException))
        external.error(exception)
      throw exception
    }
    const state = requestState(host.switchToHttp().getRequest())
    if (!state || state.scope.skipped) return super.catch(exception, host)
    // a 404 for a path no route matched is no error of the application
    if (state.routed || !(exception instanceof NotFoundException)) {
      if (state.scope.finished)
        state.logger.error('error after the response was sent', { error: exception })
      else state.scope.recordError(exception)
    }
    if (exception instanceof HttpException) return super.catch(exception, host)
    const ref = (this.applicationRef ?? this.httpAdapterHost?.httpAdapter) as
      HttpServer | AbstractHttpAdapter
    const body = this.isHttpError(exception)
      ? { statusCode: exception.statusCode, message: this.getHttpErrorMessage(exception) }
      : { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' }
    const res: unknown = host.getArgByIndex(1)
    if (!ref.isHeadersSent(res)) ref.reply(res, body, body.statusCode)
    else ref.end(res)
  }
}
Catch()(ThreadlineExceptionFilter)
