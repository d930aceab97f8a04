import { createLogger } from './logger.js'
import type { Logger } from './logger.js'
import { makeTraced } from './span.js'
import type { Span, SpanOptions } from './span.js'

// ---- the process-wide default logger adapters use unless given one ----

const DEFAULT_KEY = Symbol.for('threadline.logger.default.v1')
const gl = globalThis as unknown as Record<symbol, Logger | undefined>

/** The default logger (created on first use from environment variables, console exporter). */
export function getLogger(): Logger {
  return (gl[DEFAULT_KEY] ??= createLogger())
}

/** Replace the default logger; returns the previous one (if any). */
export function setDefaultLogger(logger: Logger): Logger | undefined {
  const prev = gl[DEFAULT_KEY]
  gl[DEFAULT_KEY] = logger
  return prev
}

// Spans started without a logger go through the default logger's public API,
// looked up at call time so `setDefaultLogger` applies to spans already
// decorated, and so they carry its bindings like `logger.span()` does.

/** Start a span on the default logger. End it with `span.end()`. */
export function startSpan(name: string, options?: SpanOptions): Span {
  return getLogger().startSpan(name, options)
}

/** Run `fn` inside a span on the default logger (sync or async). */
export function span<T>(name: string, fn: (span: Span) => T, options?: SpanOptions): T {
  return getLogger().span(name, fn, options)
}

/** Method decorator: each call runs in a span on the default logger. */
export const traced = makeTraced(getLogger)
