// A day of traffic for the console's browser tests (and its README screenshots): three
// services, cross-service traces, LLM calls with tokens and cost, conversations with scores,
// error groups, two orgs, and a spike of failing requests three hours ago. Deterministic but
// for the clock: everything is placed relative to `now`.
import type { ThreadlineEvent } from '@threadline/core'

let seq = 0
/** Deterministic ids: a counter in hex, padded; unique within a seed. */
const hexId = (bytes: number, salt: number) =>
  (salt.toString(16) + (++seq).toString(16).padStart(8, '0'))
    .padStart(bytes * 2, '0')
    .slice(-bytes * 2)
const uuid = () => {
  const h = hexId(16, 7)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`
}

export interface Seed {
  events: ThreadlineEvent[]
  now: number
  /** A cross-service checkout: web -> api -> llm-gateway, with an LLM span. */
  checkout: { trace_id: string; llm_span_id: string; services: string[] }
  /** The bucket start (ms) of the spike and how many requests it holds per service. */
  spike: { at: number; service: string; requests: number; errors: number }
  /** A session with three turns and a score on the second. */
  session: { id: string; turns: string[] }
  /** An error group: fingerprint, count, distinct users. */
  payment: { fingerprint: string; count: number; users: number; trace_id: string }
  /** Events of the `batch` service in the last hour (for paging). */
  batch: number
  /** A trace of the other org. */
  globexTrace: string
}

const USERS = ['u-ada', 'u-linus', 'u-grace', 'u-ken', 'u-barbara']
const ROUTES = ['/products/:sku', '/cart', '/checkout/:id', '/search']

export function seed(now = Date.now(), options: { batch?: number } = {}): Seed {
  seq = 0
  const events: ThreadlineEvent[] = []
  const iso = (ms: number) => new Date(ms).toISOString()
  const push = (e: Partial<ThreadlineEvent> & Record<string, unknown>) => {
    events.push({
      id: uuid(),
      kind: 'log',
      level: 'info',
      category: 'app',
      event: 'log',
      environment: 'production',
      org_id: 'acme',
      ...e,
    } as ThreadlineEvent)
  }

  /** One HTTP request span, optionally failing, with a log inside. */
  const request = (
    t: number,
    service: string,
    route: string,
    user: string,
    opts: { error?: string; duration?: number; org?: string; trace?: string; parent?: string } = {},
  ) => {
    const trace_id = opts.trace ?? hexId(16, 1)
    const span_id = hexId(8, 2)
    const duration = opts.duration ?? 20 + ((t / 1000) % 180)
    const failed = opts.error !== undefined
    push({
      kind: 'span',
      timestamp: iso(t),
      service,
      trace_id,
      span_id,
      ...(opts.parent ? { parent_span_id: opts.parent } : {}),
      name: `GET ${route}`,
      message: `GET ${route}`,
      span_kind: 'server',
      category: 'http',
      event: 'request',
      status: failed ? 'error' : 'ok',
      level: failed ? 'error' : 'info',
      duration_ms: duration,
      user_id: user,
      org_id: opts.org ?? 'acme',
      http: {
        method: 'GET',
        route,
        path: route.replace(':sku', 'beans-1kg').replace(':id', '42'),
        status_code: failed ? 502 : 200,
        outcome: failed ? 'errored' : 'completed',
      },
      ...(failed
        ? {
            error: {
              type: 'UpstreamError',
              message: opts.error!,
              fingerprint: 'fp-upstream',
              stack: `UpstreamError: ${opts.error}\n    at callInventory (src/inventory.ts:42:11)`,
            },
          }
        : {}),
    })
    push({
      timestamp: iso(t + 1),
      service,
      trace_id,
      span_id,
      message: `handling ${route}`,
      user_id: user,
      org_id: opts.org ?? 'acme',
    })
    return { trace_id, span_id }
  }

  // a day of background traffic: every 10 minutes, one request per service
  for (let t = now - 24 * 3_600_000 + 60_000; t < now - 60_000; t += 600_000) {
    for (const [i, service] of ['web', 'api'].entries())
      request(
        t + i * 7000,
        service,
        ROUTES[((t / 600_000 + i) % ROUTES.length) | 0]!,
        USERS[((t / 600_000) % USERS.length) | 0]!,
      )
  }

  // the spike: three hours ago, 60 requests to api, a third failing
  const step = 30 * 60_000 // the overview's bucket for 24h
  const spikeAt = Math.floor((now - 3 * 3_600_000) / step) * step
  let spikeErrors = 0
  for (let i = 0; i < 60; i++) {
    const fail = i % 3 === 0
    if (fail) spikeErrors++
    request(spikeAt + 60_000 + i * 20_000, 'api', '/checkout/:id', USERS[i % USERS.length]!, {
      duration: 900 + i * 10,
      ...(fail ? { error: 'inventory service timed out after 800 ms' } : {}),
    })
  }

  // a cross-service checkout with an LLM call
  const t0 = now - 40 * 60_000
  const web = request(t0, 'web', '/checkout/:id', 'u-ada', { duration: 420 })
  const client = hexId(8, 3)
  push({
    kind: 'span',
    timestamp: iso(t0 + 5),
    service: 'web',
    trace_id: web.trace_id,
    span_id: client,
    parent_span_id: web.span_id,
    name: 'POST api',
    message: 'POST api',
    span_kind: 'client',
    status: 'ok',
    category: 'http',
    event: 'outgoing_request',
    duration_ms: 400,
    user_id: 'u-ada',
    http: { method: 'POST', path: '/orders', status_code: 200 },
  })
  const api = request(t0 + 8, 'api', '/orders', 'u-ada', {
    duration: 390,
    trace: web.trace_id,
    parent: client,
  })
  const llmSpan = hexId(8, 4)
  push({
    kind: 'span',
    timestamp: iso(t0 + 20),
    service: 'llm-gateway',
    trace_id: web.trace_id,
    span_id: llmSpan,
    parent_span_id: api.span_id,
    name: 'chat gpt-4o-mini',
    message: 'chat gpt-4o-mini',
    span_kind: 'llm',
    status: 'ok',
    category: 'llm',
    event: 'generation',
    duration_ms: 350,
    user_id: 'u-ada',
    cost_usd: 0.00042,
    llm: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      operation: 'chat',
      input_tokens: 1200,
      output_tokens: 300,
      total_tokens: 1500,
      cache_read_tokens: 200,
      ttft_ms: 180,
      usage_source: 'reported',
    },
    attributes: {
      messages: [
        { role: 'system', content: 'You write order confirmations.' },
        { role: 'user', content: 'Confirm order 42 for card [REDACTED]' },
      ],
      completion: { role: 'assistant', content: 'Your order 42 is confirmed and ships tomorrow.' },
    },
  })
  push({
    timestamp: iso(t0 + 200),
    service: 'api',
    trace_id: web.trace_id,
    span_id: api.span_id,
    message: 'order 42 stored',
    user_id: 'u-ada',
    attributes: { plan: 'enterprise' },
  })

  // a conversation: three turns, each a trace with an LLM span; a score on the second
  const sessionId = 'sess-42'
  const turns: string[] = []
  const questions = ['Where is my order?', 'Can I change the address?', 'Thanks, and the invoice?']
  for (let k = 0; k < 3; k++) {
    const at = now - 30 * 60_000 + k * 120_000
    const r = request(at, 'api', '/chat', 'u-grace', { duration: 800 + k * 100 })
    turns.push(r.trace_id)
    for (const e of events.slice(-2)) e.session_id = sessionId
    push({
      kind: 'span',
      timestamp: iso(at + 10),
      service: 'llm-gateway',
      trace_id: r.trace_id,
      span_id: hexId(8, 5),
      parent_span_id: r.span_id,
      name: 'chat claude-sonnet-4',
      message: 'chat claude-sonnet-4',
      span_kind: 'llm',
      status: 'ok',
      category: 'llm',
      event: 'generation',
      duration_ms: 700 + k * 100,
      user_id: 'u-grace',
      session_id: sessionId,
      cost_usd: 0.003 * (k + 1),
      llm: {
        provider: 'anthropic',
        model: 'claude-sonnet-4',
        operation: 'chat',
        input_tokens: 500 * (k + 1),
        output_tokens: 120,
        total_tokens: 500 * (k + 1) + 120,
        ttft_ms: 240,
        usage_source: 'reported',
      },
      attributes: {
        messages: [{ role: 'user', content: questions[k] }],
        completion: { role: 'assistant', content: `Answer ${k + 1}: done.` },
      },
    })
    if (k === 1)
      push({
        timestamp: iso(at + 900),
        service: 'api',
        trace_id: r.trace_id,
        category: 'llm',
        event: 'score',
        message: 'score helpfulness',
        user_id: 'u-grace',
        session_id: sessionId,
        attributes: {
          'score.name': 'helpfulness',
          'score.value': 0.9,
          'score.comment': 'resolved',
        },
      })
  }

  // an error group: card declined, five times, three users
  let paymentTrace = ''
  for (let k = 0; k < 5; k++) {
    const r = request(now - (5 - k) * 3_600_000 + 30_000, 'web', '/checkout/:id', USERS[k % 3]!, {})
    paymentTrace = r.trace_id
    push({
      timestamp: iso(now - (5 - k) * 3_600_000 + 30_010),
      service: 'web',
      trace_id: r.trace_id,
      span_id: r.span_id,
      level: 'error',
      category: 'billing',
      event: 'payment_failed',
      message: 'payment failed',
      user_id: USERS[k % 3]!,
      error: { type: 'PaymentError', message: 'card declined', fingerprint: 'fp-payment' },
    })
  }

  // something to search for, and the other org
  push({
    timestamp: iso(now - 20 * 60_000),
    service: 'web',
    category: 'deployment',
    event: 'deploy_finished',
    message: 'release zebra-unicorn launched',
    user_id: 'u-ken',
  })
  const globex = request(now - 50 * 60_000, 'web', '/cart', 'u-globex', { org: 'globex' })

  // a long list for paging: the batch service in the last hour
  const batch = options.batch ?? 450
  for (let k = 0; k < batch; k++)
    push({
      timestamp: iso(now - 55 * 60_000 + k * 5000),
      service: 'batch',
      category: 'jobs',
      event: 'item_processed',
      message: `processed item ${k}`,
      attributes: { item: k },
    })

  return {
    events,
    now,
    checkout: {
      trace_id: web.trace_id,
      llm_span_id: llmSpan,
      services: ['web', 'api', 'llm-gateway'],
    },
    spike: { at: spikeAt, service: 'api', requests: 60, errors: spikeErrors },
    session: { id: sessionId, turns },
    payment: { fingerprint: 'fp-payment', count: 5, users: 3, trace_id: paymentTrace },
    batch,
    globexTrace: globex.trace_id,
  }
}
