import client from 'prom-client'
import Fastify from 'fastify'
import { prometheusHttpMetrics } from '@threadline/core/metrics'
import { describe, expect, it } from 'vitest'
import { metricsHandler } from './metrics.js'

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

  it('serves a plain registry, and prom-client’s global one by default', async () => {
    const registry = new client.Registry()
    new client.Counter({ name: 'jobs_total', help: 'jobs', registers: [registry] }).inc(3)
    const app = Fastify()
    app.get('/a', metricsHandler(registry))
    app.get('/b', metricsHandler())
    const a = await app.inject({ url: '/a' })
    expect(a.headers['content-type']).toContain('text/plain')
    expect(a.body).toContain('jobs_total 3')
    expect((await app.inject({ url: '/b' })).statusCode).toBe(200)
    await app.close()
  })
})
