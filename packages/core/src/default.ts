import { getLogger } from './logger.js'
import { createSpan, makeTraced, runSpan } from './span.js'
import type { Span, SpanHost, SpanOptions } from './span.js'

// Spans started without a logger go through the default logger, looked up at
// call time so `setDefaultLogger` applies to spans already decorated.
const defaultHost = (): SpanHost => {
  const l = getLogger() as unknown as { core?: SpanHost }
  if (!l.core) throw new TypeError('threadline: default logger has no span host')
  return l.core
}

/** Start a span on the default logger. End it with `span.end()`. */
export function startSpan(name: string, options?: SpanOptions): Span {
  return createSpan(defaultHost(), name, options)
}

/** Run `fn` inside a span on the default logger (sync or async). */
export function span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T {
  return runSpan(defaultHost(), name, fn, options)
}

/** Method decorator: each call runs in a span on the default logger. */
export const traced = makeTraced(defaultHost)
