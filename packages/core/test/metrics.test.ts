import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { metricsHandler, prometheusHttpMetrics } from '../src/metrics.js'

describe('prometheusHttpMetrics', () => {
  it('records duration by method, route and status with the trace id as exemplar, and in-flight requests', async () => {
    const m = prometheusHttpMetrics()
    m.requestStarted('GET')
    m.requestStarted('GET')
    m.requestFinished(
      { method: 'GET', route: '/users/:id', status_code: '200' },
      0.012,
      '4bf92f3577b34da6a3ce929d0e0e4736',
    )
    const text = await m.registry.metrics()
    expect(m.registry.contentType).toContain('application/openmetrics-text')
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 1/,
    )
    expect(text).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*le="0.025"[^}]*\} 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736"\} 0.012/,
    )
    expect(text).toMatch(/http_server_active_requests\{method="GET"\} 1/)
  })

  it('metricsHandler serves the registry over HTTP in its content type', async () => {
    const m = prometheusHttpMetrics()
    m.requestStarted('POST')
    m.requestFinished({ method: 'POST', route: '/chat', status_code: '500' }, 1.5, undefined)
    const server = createServer(metricsHandler(m.registry))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)
      expect(res.headers.get('content-type')).toContain('openmetrics')
      expect(await res.text()).toContain(
        'http_server_request_duration_seconds_count{method="POST",route="/chat",status_code="500"} 1',
      )
    } finally {
      server.close()
    }
  })
})
