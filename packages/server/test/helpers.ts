import { randomBytes, randomUUID } from 'node:crypto'
import type { ThreadlineEvent } from '@threadline/core'

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

/** A valid event; `over` wins. */
export function event(
  over: Partial<ThreadlineEvent> & Record<string, unknown> = {},
): ThreadlineEvent {
  return {
    id: randomUUID(),
    kind: 'log',
    timestamp: new Date(Date.now() - 1000).toISOString(),
    level: 'info',
    message: 'hello',
    service: 'api',
    category: 'app',
    event: 'log',
    ...over,
  } as ThreadlineEvent
}

/** A request trace: a server span, an LLM child span (failing when `error`), a log. */
export function traceEvents(options: { org?: string; user?: string; error?: boolean } = {}) {
  const trace_id = hex(16)
  const root = hex(8)
  const base = {
    trace_id,
    user_id: options.user ?? 'u-1',
    ...(options.org ? { org_id: options.org } : {}),
  }
  const t0 = Date.now() - 5000
  const at = (ms: number) => new Date(t0 + ms).toISOString()
  const events = [
    event({
      ...base,
      kind: 'span',
      span_id: root,
      timestamp: at(0),
      name: 'GET /orders/:id',
      message: 'GET /orders/:id',
      span_kind: 'server',
      status: options.error ? 'error' : 'ok',
      level: options.error ? 'error' : 'info',
      category: 'http',
      event: 'request',
      duration_ms: 200,
      http: { method: 'GET', route: '/orders/:id', status_code: options.error ? 500 : 200 },
    }),
    event({ ...base, span_id: root, timestamp: at(1), message: 'loading order' }),
    event({
      ...base,
      kind: 'span',
      span_id: hex(8),
      parent_span_id: root,
      timestamp: at(10),
      name: 'gpt-4o-mini',
      message: 'generation',
      span_kind: 'llm',
      status: options.error ? 'error' : 'ok',
      level: options.error ? 'error' : 'info',
      category: 'llm',
      event: 'generation',
      duration_ms: 150,
      cost_usd: 0.001,
      llm: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        input_tokens: 100,
        output_tokens: 20,
        total_tokens: 120,
      },
      ...(options.error
        ? { error: { type: 'APIError', message: 'upstream timeout', fingerprint: 'fp-api' } }
        : {}),
    }),
  ]
  return { trace_id, root, events }
}
