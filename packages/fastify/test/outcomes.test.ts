import { request as httpRequest } from 'node:http'
import { Readable } from 'node:stream'
import type { ThreadlineEvent } from '@threadline/core'
import { waitFor } from '@threadline/test-utils'
import { describe, expect, it } from 'vitest'
import { metricsHandler, prometheusHttpMetrics } from '../src/index.js'
import { start } from './helpers.js'

const servers = (events: ThreadlineEvent[]) =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

class PaymentError extends Error {
  override name = 'PaymentError'
}

describe('errors: exactly one error-bearing event per failed request', () => {
  const paths: [string, number][] = [
    ['/sync-throw', 500],
    ['/async-reject', 500],
    ['/send-error', 500],
    ['/hook-error', 500],
    ['/on-request-error', 500],
    ['/status-error', 402],
    ['/error-handler-rethrows', 500],
    ['/validation?n=abc', 400],
    ['/handler-timeout', 503],
  ]
  it.each(paths)('%s', async (path, status) => {
    const { url, tl } = await start(async (app) => {
      app.get('/sync-throw', () => {
        throw new PaymentError('card declined')
      })
      app.get('/async-reject', async () => {
        await new Promise((r) => setTimeout(r, 1))
        throw new PaymentError('card declined')
      })
      app.get('/send-error', (_req, reply) => {
        reply.send(new PaymentError('card declined'))
      })
      app.get(
        '/hook-error',
        {
          preHandler: async () => {
            throw new PaymentError('card declined')
          },
        },
        async () => 'unreachable',
      )
      await app.register(async (child) => {
        child.addHook('onRequest', async () => {
          throw new PaymentError('card declined')
        })
        child.get('/on-request-error', async () => 'unreachable')
      })
      app.get('/status-error', async () => {
        throw Object.assign(new PaymentError('card declined'), { statusCode: 402 })
      })
      await app.register(async (child) => {
        child.setErrorHandler((err) => {
          throw new Error(`wrapped: ${(err as Error).message}`)
        })
        child.get('/error-handler-rethrows', async () => {
          throw new PaymentError('card declined')
        })
      })
      app.get('/handler-timeout', { handlerTimeout: 20 }, async () => {
        await new Promise((r) => setTimeout(r, 200))
        return 'too late'
      })
      app.get(
        '/validation',
        { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } },
        async () => 'ok',
      )
    })
    const res = await fetch(url + path)
    expect(res.status).toBe(status)
    const events = await tl.events()
    expect(events.filter((e) => e.error !== undefined)).toHaveLength(1)
    const [span] = servers(events)
    expect(servers(events)).toHaveLength(1)
    expect(span).toMatchObject({
      status: 'error',
      level: status >= 500 ? 'error' : 'warn',
      http: { status_code: status, outcome: 'errored' },
    })
    expect(span?.error?.message).toBeTruthy()
    expect(span?.error?.fingerprint).toBeTruthy()
    expect(span?.error?.stack).toBeTruthy()
    if (path === '/validation?n=abc')
      expect(span?.error?.message).toBe('querystring/n must be integer')
    else if (path === '/handler-timeout')
      expect(span?.error?.message).toBe("Request timed out after 20 ms on route '/handler-timeout'")
    else expect(span?.error).toMatchObject({ type: 'PaymentError', message: 'card declined' })
  })
})

describe('a streamed response that fails after the headers went out', () => {
  it('gives one errored event with the stream’s error, not an aborted one', async () => {
    const { url, tl } = await start((app) => {
      app.get('/export', async (_req, reply) => {
        const stream = new Readable({ read() {} })
        stream.push('id,name\n1,ann\n')
        setTimeout(() => stream.destroy(new PaymentError('export source failed')), 20)
        return reply.type('text/csv').send(stream)
      })
    })
    const res = await fetch(`${url}/export`)
    expect(res.status).toBe(200)
    await expect(res.text()).rejects.toThrow()
    await waitFor(async () => servers(await tl.events()).length === 1)
    const events = await tl.events()
    expect(events.filter((e) => e.error !== undefined)).toHaveLength(1)
    expect(servers(events)[0]).toMatchObject({
      status: 'error',
      http: { route: '/export', status_code: 200, outcome: 'errored' },
      error: { type: 'PaymentError', message: 'export source failed' },
    })
  })
})

describe('aborted requests', () => {
  it('a client that goes away mid-handler gives one aborted event, no 200, and the metric says aborted', async () => {
    const metrics = prometheusHttpMetrics()
    let entered!: () => void
    const inHandler = new Promise<void>((r) => (entered = r))
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    let replied = false
    const { url, tl } = await start(
      (app, { logger }) => {
        app.get('/slow', async () => {
          entered()
          await released
          logger.info('still running after the client left')
          replied = true
          return 'late'
        })
        app.get('/metrics', metricsHandler(metrics))
      },
      { metrics },
    )
    const client = httpRequest(`${url}/slow`)
    client.on('error', () => {})
    client.end()
    await inHandler
    client.destroy()
    // the aborted event is out before the handler finishes
    await waitFor(async () => servers(await tl.events()).length === 1)
    release()
    await waitFor(() => replied)
    await new Promise((r) => setTimeout(r, 20))
    const events = await tl.events()
    const spans = servers(events)
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({
      level: 'warn',
      status: 'cancelled',
      http: { route: '/slow', outcome: 'aborted' },
    })
    expect(spans[0]?.http?.status_code).toBeUndefined()
    expect(events.some((e) => e.http?.status_code === 200)).toBe(false)
    expect(events.find((e) => e.message === 'still running after the client left')).toMatchObject({
      trace_id: spans[0]?.trace_id,
    })
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/slow",status_code="aborted"\} 1/,
    )
    expect(text).toMatch(/http_server_active_requests\{method="GET"\} 0/)
  })
})

describe('route labels and metrics', () => {
  it('/users/1 and /users/2 share one route label in the event and in the Prometheus output', async () => {
    const metrics = prometheusHttpMetrics()
    const { url, tl } = await start(
      (app) => {
        app.get('/users/:id', async () => ({ ok: true }))
        app.get('/metrics', metricsHandler(metrics))
      },
      { metrics },
    )
    await fetch(`${url}/users/1`)
    await fetch(`${url}/users/2`)
    await fetch(`${url}/no/such/path`)
    const res = await fetch(`${url}/metrics`)
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text')
    const text = await res.text()
    const spans = servers(await tl.events())
    expect(spans.map((s) => s.http?.route)).toEqual(['/users/:id', '/users/:id', 'unmatched'])
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 2/,
    )
    expect(text).toMatch(/route="unmatched",status_code="404"/)
    expect(text).not.toContain('/users/1')
    expect(text).not.toContain('/no/such/path')
    expect(text).not.toContain('route="/metrics"')
    // exemplars carry a trace id of one of those requests
    const exemplar = /# \{trace_id="([0-9a-f]{32})"\}/.exec(text)
    expect(spans.map((s) => s.trace_id)).toContain(exemplar?.[1])
  })
})
