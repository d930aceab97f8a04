// Every failure becomes a JSON answer: HttpError as it says, a bad filter a 400 naming the
// field, framework 4xx as they are, anything else a 500 with no internals (details to diag).
import { diag } from '@threadline/core'
import { StoreQueryError } from '@threadline/store'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from './http-error.js'

export function errorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
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
  const { statusCode, code } = error as { statusCode?: number; code?: string }
  const status = statusCode && statusCode >= 400 && statusCode < 500 ? statusCode : 500
  if (status === 500) {
    // Rate-limited on stderr (THREADLINE_DIAG); the client gets no internals.
    diag.error(`server: ${request.method} ${request.url} failed`, error)
    return reply
      .code(500)
      .send({ error: 'internal', message: 'the request failed; see the server log' })
  }
  return reply
    .code(status)
    .send({ error: (code ?? 'bad_request').toLowerCase(), message: error.message })
}
