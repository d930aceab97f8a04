import type { ThreadlineEvent } from '@threadline/core'

export const serverSpans = (events: readonly ThreadlineEvent[]): ThreadlineEvent[] =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

export const withError = (events: readonly ThreadlineEvent[]): ThreadlineEvent[] =>
  events.filter((e) => e.error !== undefined)

/** Events of one trace (the request's), leaving out Nest's bootstrap logs. */
export const ofTrace = (events: readonly ThreadlineEvent[], traceId: string): ThreadlineEvent[] =>
  events.filter((e) => e.trace_id === traceId)

export const traceparent = (traceId: string, spanId: string, flags = '01'): string =>
  `00-${traceId}-${spanId}-${flags}`

export const hex = (n: number, len: number): string =>
  (n.toString(16).padStart(len, '0') + 'a'.repeat(len)).slice(0, len)
