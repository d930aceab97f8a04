import { getContext } from '@threadline/core'
import { format } from 'winston'
import type { Logform } from 'winston'
import type { ThreadlineContextFormatOptions } from './types.js'

/** @internal where `threadlineContext()` keeps the context of the log call for the transport. */
export const CONTEXT = Symbol.for('threadline.winston.context.v1')

const contextFormat = format((info, opts?: unknown) => {
  try {
    const ctx = getContext()
    ;(info as unknown as Record<symbol, unknown>)[CONTEXT] = ctx
    if (!ctx) return info
    const {
      traceIdKey = 'trace_id',
      spanIdKey = 'span_id',
      requestIdKey = 'request_id',
    } = (opts ?? {}) as ThreadlineContextFormatOptions
    const target = info as Record<string, unknown>
    if (ctx.trace_id) target[traceIdKey] = ctx.trace_id
    if (ctx.span_id) target[spanIdKey] = ctx.span_id
    const requestId = ctx.bindings?.request_id
    if (typeof requestId === 'string') target[requestIdKey] = requestId
  } catch {
    // a format must not break the log call
  }
  return info
})

/**
 * A winston format that adds `trace_id`, `span_id` and `request_id` of the
 * current Threadline (or OpenTelemetry) context to each log line, and nothing
 * outside a context. Put it first in the logger's `format.combine(...)`.
 */
export function threadlineContext(options: ThreadlineContextFormatOptions = {}): Logform.Format {
  return contextFormat(options)
}
