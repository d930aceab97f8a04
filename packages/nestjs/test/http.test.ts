import { request } from 'node:http'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createTestLogger, waitFor } from '@threadline/test-utils'
import type { TestLogger } from '@threadline/test-utils'
import { prometheusHttpMetrics } from '@threadline/core/metrics'
import { PLATFORMS, slow, start } from './fixture.js'
import type { Started } from './fixture.js'
import { hex, serverSpans, traceparent, withError } from './helpers.js'

let t: TestLogger
const apps: Started[] = []
beforeEach(() => {
  t = createTestLogger({ asDefault: true })
})
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
  t.restore()
})
async function boot(...args: Parameters<typeof start>): Promise<Started> {
  const a = await start(...args)
  apps.push(a)
  return a
}

describe.each(PLATFORMS)('NestJS on %s', (platform) => {
  it('one server span per request with the Nest route template; logs inside carry its ids; headers echoed', async () => {
    const { url } = await boot(platform)
    const res = await fetch(`${url}/users/42?token=s3cret`, {
      headers: { 'x-request-id': 'req-42', 'user-agent': 'vitest' },
    })
    expect(await res.json()).toEqual({ id: '42' })
    const events = await t.events()
    const [span, ...more] = serverSpans(events)
    expect(more).toHaveLength(0)
    expect(span).toMatchObject({
      name: 'GET /users/:id',
      level: 'info',
      category: 'http',
      event: 'request',
      request_id: 'req-42',
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/42',
        status_code: 200,
        outcome: 'completed',
        user_agent: 'vitest',
        response_bytes: '{"id":"42"}'.length,
      },
    })
    expect(span!.http?.client_address).toMatch(/127\.0\.0\.1/)
    expect(res.headers.get('x-request-id')).toBe('req-42')
    expect(res.headers.get('traceparent')).toBe(`00-${span!.trace_id}-${span!.span_id}-01`)
    const inside = events.filter((e) =>
      ['loading user', 'loaded user', 'finding user'].includes(e.message),
    )
    expect(inside).toHaveLength(3)
    for (const e of inside)
      expect(e).toMatchObject({ trace_id: span!.trace_id, request_id: 'req-42' })
    // @Traced() on the provider: a child span of the request
    const traced = events.find((e) => e.name === 'UsersService.find')!
    expect(traced).toMatchObject({ trace_id: span!.trace_id, parent_span_id: span!.span_id })
    expect(JSON.stringify(events)).not.toContain('s3cret')
  })

  it('/users/1 and /users/2 share one route label, in the event and in the Prometheus output', async () => {
    const metrics = prometheusHttpMetrics()
    const { url } = await boot(platform, { metrics })
    await fetch(`${url}/users/1`)
    await fetch(`${url}/users/2`)
    await fetch(`${url}/nope/3`)
    const spans = serverSpans(await t.events())
    expect(spans.map((s) => s.http?.route)).toEqual(['/users/:id', '/users/:id', 'unmatched'])
    expect(withError(spans)).toHaveLength(0) // a 404 of an unmatched path is no error
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{[^}]*route="\/users\/:id"[^}]*\} 2/,
    )
    expect(text).toMatch(/route="unmatched"/)
    expect(text).not.toMatch(/\/users\/1|\/users\/2|\/nope/)
    // the metrics route itself is skipped: no event
    expect(serverSpans(await t.events())).toHaveLength(3)
  })

  it('records metrics by default and serves them at /metrics', async () => {
    const { url } = await boot(platform)
    await fetch(`${url}/users/5`)
    const res = await fetch(`${url}/metrics`)
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text')
    expect(await res.text()).toMatch(
      /http_server_request_duration_seconds_count\{[^}]*route="\/users\/:id"[^}]*\} \d+/,
    )
  })

  it('200 concurrent requests with random delays and distinct traceparents keep their own ids', async () => {
    const { url } = await boot(platform)
    const n = 200
    const sent = Array.from({ length: n }, (_, i) => ({
      i,
      traceId: hex(i + 1, 32),
      parent: hex(i + 1, 16),
    }))
    const results = await Promise.all(
      sent.map(async ({ i, traceId, parent }) => {
        const res = await fetch(`${url}/echo`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            traceparent: traceparent(traceId, parent),
            'x-request-id': `req-${i}`,
          },
          body: JSON.stringify({ n: i, delay: Math.floor(Math.random() * 20) }),
        })
        return (await res.json()) as { n: number }
      }),
    )
    expect(results.map((r) => r.n)).toEqual(sent.map((s) => s.i))
    const events = await t.events()
    const spans = serverSpans(events)
    expect(spans).toHaveLength(n)
    for (const { i, traceId, parent } of sent) {
      const span = spans.find((s) => s.request_id === `req-${i}`)!
      expect(span).toMatchObject({ trace_id: traceId, parent_span_id: parent })
      expect(span.http).toMatchObject({ route: '/echo', status_code: 201 })
      const logs = events.filter((e) => e.kind === 'log' && e.attributes?.['n'] === i)
      expect(logs.map((l) => l.message).sort()).toEqual(['echo done', 'echo received'])
      for (const l of logs)
        expect(l).toMatchObject({
          trace_id: traceId,
          span_id: span.span_id,
          request_id: `req-${i}`,
        })
    }
  })

  it('invalid traceparents start a new trace instead of continuing', async () => {
    const { url } = await boot(platform)
    const valid = '4bf92f3577b34da6a3ce929d0e0e4736'
    const table: Record<string, string> = {
      uppercase: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01',
      'zero trace id': `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      'zero parent id': `00-${valid}-${'0'.repeat(16)}-01`,
      'version ff': `ff-${valid}-00f067aa0ba902b7-01`,
      'version 00 with extra field': `00-${valid}-00f067aa0ba902b7-01-extra`,
      'short trace id': `00-${valid.slice(1)}-00f067aa0ba902b7-01`,
      garbage: 'not a traceparent',
    }
    for (const [name, header] of Object.entries(table)) {
      const res = await fetch(`${url}/users/1`, { headers: { traceparent: header } })
      expect(res.status, name).toBe(200)
    }
    const spans = serverSpans(await t.events())
    expect(spans).toHaveLength(Object.keys(table).length)
    for (const s of spans) {
      expect(s.trace_id).not.toBe(valid)
      expect(s.trace_id).toMatch(/^[0-9a-f]{32}$/)
      expect(s.parent_span_id).toBeUndefined()
    }
    expect(new Set(spans.map((s) => s.trace_id)).size).toBe(spans.length)
  })

  it.each([
    ['/boom', 500, 'Error', 'boom sync', 'error'],
    ['/reject', 500, 'TypeError', 'async rejection', 'error'],
    ['/bad', 400, 'BadRequestException', 'bad input', 'warn'],
    ['/guarded', 403, 'ForbiddenException', 'no entry', 'warn'],
    ['/closed', 403, 'ForbiddenException', 'Forbidden resource', 'warn'],
  ] as const)(
    '%s gives exactly one error-bearing event (status %i)',
    async (path, status, type, message, level) => {
      const { url } = await boot(platform)
      const res = await fetch(`${url}${path}`)
      expect(res.status).toBe(status)
      const body = (await res.json()) as { statusCode: number }
      expect(body.statusCode).toBe(status)
      const events = await t.events()
      // Nest's own logs go through ThreadlineLogger here: a duplicate from its
      // ExceptionsHandler would show up as a second error-bearing event
      const errors = withError(events)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({
        kind: 'span',
        span_kind: 'server',
        level,
        status: 'error',
        http: { route: path, status_code: status, outcome: 'errored' },
        error: { type, message },
      })
      expect(errors[0]!.error?.stack).toContain(type)
      expect(errors[0]!.error?.fingerprint).toBeTruthy()
      expect(serverSpans(events)).toHaveLength(1)
    },
  )

  it('an error after the response was sent gives one error-bearing event', async () => {
    const { url } = await boot(platform)
    const res = await fetch(`${url}/late`)
    expect(await res.text()).toBe('sent')
    await waitFor(async () => withError(await t.events()).length > 0)
    const events = await t.events()
    expect(serverSpans(events)).toHaveLength(1)
    const errors = withError(events)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.error).toMatchObject({ message: 'after headers' })
    expect(errors[0]!.trace_id).toBe(serverSpans(events)[0]!.trace_id)
  })

  it('an aborted request gives one aborted event and no 200', async () => {
    const { url } = await boot(platform)
    const { port } = new URL(url)
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/slow' })
      req.on('error', () => resolve())
      req.end()
      void waitFor(async () => (await t.events()).some((e) => e.message === 'slow started')).then(
        () => {
          req.destroy()
          resolve()
        },
      )
    })
    await waitFor(async () => serverSpans(await t.events()).length === 1)
    slow.release()
    await new Promise((r) => setTimeout(r, 30))
    const spans = serverSpans(await t.events())
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({
      level: 'warn',
      status: 'cancelled',
      http: { route: '/slow', outcome: 'aborted' },
    })
    expect(spans[0]!.http?.status_code).toBeUndefined()
  })

  it('redaction: no secret substring in any event', async () => {
    const { url } = await boot(platform, {
      headers: ['authorization', 'cookie', 'x-api-key', 'accept'],
      logBody: true,
    })
    await fetch(`${url}/echo?token=qs-secret-1&page=2`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer hdr-secret-2',
        cookie: 'session=cookie-secret-3',
        'x-api-key': 'key-secret-4',
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ n: 1, password: 'body-secret-5', user: { password: 'nested-6' } }),
    })
    const events = await t.events()
    const span = serverSpans(events)[0]!
    expect(span.attributes).toMatchObject({
      'http.request.header.authorization': '[REDACTED]',
      'http.request.header.cookie': '[REDACTED]',
      'http.request.header.x-api-key': '[REDACTED]',
      'http.request.header.accept': 'application/json',
      'url.query': { token: '[REDACTED]', page: '2' },
      'http.request.body': { n: 1 },
    })
    const text = JSON.stringify(events)
    for (const secret of [
      'qs-secret-1',
      'hdr-secret-2',
      'cookie-secret-3',
      'key-secret-4',
      'body-secret-5',
      'nested-6',
    ])
      expect(text).not.toContain(secret)
  })

  it('skip rules: /health gets no event and no metric, but logs inside keep the context', async () => {
    const metrics = prometheusHttpMetrics()
    const { url } = await boot(platform, { metrics })
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'hc-1' } })
    expect(await res.text()).toBe('ok')
    const events = await t.events()
    expect(serverSpans(events)).toHaveLength(0)
    const log = events.find((e) => e.message === 'health check')!
    expect(log).toMatchObject({ request_id: 'hc-1' })
    expect(log.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(await metrics.registry.metrics()).not.toContain('/health')
  })

  it('user hooks that throw are reported, never thrown into the request', async () => {
    const { url } = await boot(platform, {
      getUser: () => {
        throw new Error('getUser bug')
      },
      attributes: () => {
        throw new Error('attributes bug')
      },
      skip: () => {
        throw new Error('skip bug')
      },
    })
    const res = await fetch(`${url}/users/7`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id: '7' })
    expect(serverSpans(await t.events())).toHaveLength(1)
  })

  it('getUser and attributes hooks get the platform request', async () => {
    const { url } = await boot(platform, {
      getUser: (req: { headers: Record<string, string> }) => ({
        user_id: String(req.headers['x-user']),
      }),
      // Express passes req/res, Fastify its request/reply (with .raw)
      attributes: (req: object, res: object) => ({
        kinds: ['raw' in req ? 'fastify' : 'express', 'raw' in res ? 'fastify' : 'express'],
      }),
    })
    await fetch(`${url}/users/7`, { headers: { 'x-user': 'u-7' } })
    const span = serverSpans(await t.events())[0]!
    expect(span).toMatchObject({
      user_id: 'u-7',
      attributes: { kinds: [platform, platform] },
    })
  })

  it('two services: one trace, B parented by A client span, sampled flag and tracestate kept', async () => {
    const b = await boot(platform)
    const a = await boot(platform)
    const incoming = '0af7651916cd43dd8448eb211c80319c'
    const res = await fetch(`${a.url}/call?url=${encodeURIComponent(`${b.url}/headers`)}`, {
      headers: {
        traceparent: traceparent(incoming, 'b7ad6b7169203331', '00'),
        tracestate: 'vendor=v1,other=x',
      },
    })
    const { downstream } = (await res.json()) as { downstream: string }
    const seenByB = JSON.parse(downstream) as { traceparent: string; tracestate: string }
    const events = await t.events()
    const spans = events.filter((e) => e.kind === 'span')
    const server = (route: string) => serverSpans(spans).find((s) => s.http?.route === route)!
    const client = spans.find((s) => s.span_kind === 'client')!
    expect(new Set(spans.map((s) => s.trace_id))).toEqual(new Set([incoming]))
    expect(server('/call').parent_span_id).toBe('b7ad6b7169203331')
    expect(client.parent_span_id).toBe(server('/call').span_id)
    expect(server('/headers').parent_span_id).toBe(client.span_id)
    // what B received: A's client span as parent, not sampled, tracestate passed through
    expect(seenByB).toEqual({
      traceparent: `00-${incoming}-${client.span_id}-00`,
      tracestate: 'vendor=v1,other=x',
    })
    expect(server('/headers').trace_flags).toBe('00')
    expect(events.find((e) => e.message === 'headers seen')).toMatchObject({
      trace_id: incoming,
      span_id: server('/headers').span_id,
    })
  })
})
