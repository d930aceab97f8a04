// Every failure becomes a JSON answer: HttpError as it says, a bad filter a 400 naming the
// field, framework 4xx as they are, anything else a 500 with no internals (details to diag).
import { diag, escapeForTerminal as terminalSafe } from '@threadline/core'
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
  const validation = (error as FastifyError).validation
  if (validation && validation.length > 0) {
    const { field, message } = describeValidation(
      validation[0] as unknown as AjvError,
      (error as FastifyError).validationContext,
    )
    return reply.code(400).send({ error: 'invalid_filter', field, message })
  }
  if (error instanceof StoreQueryError)
    return reply
      .code(400)
      .send({ error: 'invalid_filter', field: error.field, message: error.message })
  const { statusCode, code } = error as { statusCode?: number; code?: string }
  // A data exception from the database (SQLSTATE class 22: a value it cannot take) is the
  // input's fault. The edge should have refused it already; if not, it is still not a 500.
  if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code))
    return reply
      .code(400)
      .send({ error: 'invalid_input', message: 'a value in the request cannot be used' })
  const status = statusCode && statusCode >= 400 && statusCode < 500 ? statusCode : 500
  if (status === 500) {
    // Rate-limited on stderr (THREADLINE_DIAG); the client gets no internals.
    // Neutralised: the URL and the error's text may carry terminal escapes.
    const safe = new Error(terminalSafe(error.message))
    safe.name = terminalSafe(error.name)
    safe.stack = terminalSafe(error.stack ?? '')
    diag.error(terminalSafe(`server: ${request.method} ${request.url} failed`), safe)
    return reply
      .code(500)
      .send({ error: 'internal', message: 'the request failed; see the server log' })
  }
  return reply
    .code(status)
    .send({ error: (code ?? 'bad_request').toLowerCase(), message: error.message })
}

interface AjvError {
  keyword: string
  instancePath: string
  params: Record<string, unknown>
  message?: string
}

/** The field (as the store names it: `attributes.plan`, `search`) and why, in words. */
function describeValidation(
  e: AjvError,
  context: string | undefined,
): { field: string; message: string } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .filter((p) => p !== 'filters' && !/^\d+$/.test(p))
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (e.keyword === 'propertyNames' || typeof e.params.propertyName === 'string')
    path.push(String(e.params.propertyName))
  if (e.keyword === 'required') path.push(String(e.params.missingProperty))
  const field = path.join('.') || (context ?? 'body')
  const message =
    e.keyword === 'pattern'
      ? 'must not contain NUL (\\u0000) or a lone UTF-16 surrogate'
      : e.keyword === 'maxLength'
        ? `longer than ${String(e.params.limit)} characters`
        : e.keyword === 'maxItems'
          ? `more than ${String(e.params.limit)} values`
          : e.keyword === 'maxProperties'
            ? `more than ${String(e.params.limit)} keys`
            : (e.message ?? 'is not valid')
  return { field, message: `invalid ${field}: ${message}` }
}
