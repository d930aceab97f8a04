import client from 'prom-client'
import Fastify from 'fastify'
import { prometheusHttpMetrics } from '@threadline/core/metrics'
import { describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import { metricsHandler } from './metrics.js'
import { threadlinePlugin } from './plugin.js'

describe('metricsHandler', () => {
  it('serves a recorder’s OpenMetrics registry with its content type', async () => {
    const metrics = prometheusHttpMetrics()
    metrics.requestStarted('GET')
    metrics.requestFinished(
      { method: 'GET', route: '/a', status_code: '200' },
      0.01,
      'a'.repeat(32),
    )
    const app = Fastify()
    app.get('/metrics', metricsHandler(metrics))
    const res = await app.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('application/openmetrics-text')
    expect(res.body).toContain(`# {trace_id="${'a'.repeat(32)}"}`)
    expect(res.body).toContain('# EOF')
    await app.close()
  })

  it('serves a plain registry', async () => {
    const registry = new client.Registry()
    new client.Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] }).inc(3)
    const app = Fastify()
    app.get('/a', metricsHandler(registry))
    const a = await app.inject({ url: '/a' })
    expect(a.headers['content-type']).toContain('text/plain')
    expect(a.body).toContain('jobs_total 3')
    await app.close()
  })

  it('records by default into the recorder metricsHandler() serves with no argument', async () => {
    const app = Fastify()
    await app.register(threadlinePlugin, { logger: createTestLogger().logger })
    app.get('/metrics', metricsHandler())
    app.get('/widgets/:id', async () => ({ ok: true }))
    await app.inject({ url: '/widgets/7' })
    const res = await app.inject({ url: '/metrics' })
    expect(res.headers['content-type']).toContain('application/openmetrics-text')
    expect(res.body).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/widgets\/:id",status_code="200"\} \d+/,
    )
    await app.close()
  })
})
