// Realistic events for store tests: an HTTP request trace with logs, an LLM call, errors.
import { randomBytes, randomUUID } from 'node:crypto'
import type { ThreadlineEvent } from '@threadline/core'

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

let seq = 0
/** A valid event; `over` wins. Timestamps default to `base` plus a growing offset. */
export function event(
  over: Partial<ThreadlineEvent> & Record<string, unknown> = {},
): ThreadlineEvent {
  seq++
  return {
    id: randomUUID(),
    kind: 'log',
    timestamp: new Date(Date.now() - 60_000 + seq).toISOString(),
    level: 'info',
    message: `event ${seq}`,
    service: 'checkout',
    category: 'app',
    event: 'log',
    org_id: 'acme',
    ...over,
  } as ThreadlineEvent
}

export interface RequestTrace {
  trace_id: string
  root: string
  events: ThreadlineEvent[]
}

/**
 * One request: a server span (root), a DB child span, an LLM child span with tokens and
 * cost, and two logs inside the root span. `error` makes the LLM call fail.
 */
export function requestTrace(
  options: { start?: number; org?: string; user?: string; error?: boolean; route?: string } = {},
): RequestTrace {
  const { start = Date.now() - 30_000, org = 'acme', user = 'u-1', error = false } = options
  const route = options.route ?? '/checkout/:id'
  const trace_id = hex(16)
  const root = hex(8)
  const db = hex(8)
  const llm = hex(8)
  const at = (ms: number) => new Date(start + ms).toISOString()
  const common = { trace_id, org_id: org, user_id: user, service: 'checkout' }
  const events: ThreadlineEvent[] = [
    event({
      ...common,
      kind: 'span',
      timestamp: at(0),
      span_id: root,
      name: `POST ${route}`,
      span_kind: 'server',
      status: error ? 'error' : 'ok',
      level: error ? 'error' : 'info',
      message: `POST ${route}`,
      category: 'http',
      event: 'request',
      duration_ms: 120,
      http: {
        method: 'POST',
        route,
        path: '/checkout/1',
        status_code: error ? 500 : 200,
        outcome: error ? 'errored' : 'completed',
      },
    }),
    event({
      ...common,
      timestamp: at(1),
      span_id: root,
      message: 'cart loaded',
      category: 'app',
      event: 'cart_loaded',
    }),
    event({
      ...common,
      kind: 'span',
      timestamp: at(2),
      span_id: db,
      parent_span_id: root,
      name: 'db.query',
      span_kind: 'client',
      status: 'ok',
      message: 'db.query',
      category: 'db',
      event: 'query',
      duration_ms: 20,
    }),
    event({
      ...common,
      kind: 'span',
      timestamp: at(25),
      span_id: llm,
      parent_span_id: root,
      name: 'gpt-4o-mini',
      span_kind: 'llm',
      status: error ? 'error' : 'ok',
      level: error ? 'error' : 'info',
      message: error ? 'generation failed' : 'generation',
      category: 'llm',
      event: 'generation',
      duration_ms: 90,
      cost_usd: 0.00042,
      llm: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        input_tokens: 1200,
        output_tokens: 300,
        total_tokens: 1500,
      },
      ...(error
        ? {
            error: {
              type: 'RateLimitError',
              message: 'rate limit exceeded, timeout after retry',
              fingerprint: 'fp-ratelimit',
            },
          }
        : {}),
    }),
    event({
      ...common,
      timestamp: at(118),
      span_id: root,
      message: 'order placed',
      category: 'app',
      event: 'order_placed',
    }),
  ]
  return { trace_id, root, events }
}
