import type { ThreadlineEvent } from '@threadline/core'
import { createTestLogger } from '@threadline/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { start } from './app.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()))
})

const serverSpans = (events: ThreadlineEvent[]) =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

async function boot(downstreamUrl?: string) {
  const t = createTestLogger()
  const app = await start(0, { logger: t.logger, ...(downstreamUrl ? { downstreamUrl } : {}) })
  closers.push(app.close)
  return { t, url: app.url }
}

describe('fastify demo', () => {
  it('serves the catalog with one completion event per request and the user on every event', async () => {
    const { t, url } = await boot()
    const res = await fetch(`${url}/products/beans-1kg`, { headers: { 'x-user-id': 'u-1' } })
    expect(await res.json()).toMatchObject({ sku: 'beans-1kg', price: 24 })
    expect((await fetch(`${url}/products/nope`)).status).toBe(404)
    const review = await fetch(`${url}/products/grinder/reviews`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rating: 5, password: 'hunter2' }),
    })
    expect(review.status).toBe(201)
    expect((await fetch(`${url}/health`)).status).toBe(200)
    const events = await t.events()
    expect(serverSpans(events).map((s) => [s.http?.route, s.http?.status_code, s.level])).toEqual([
      ['/products/:sku', 200, 'info'],
      ['/products/:sku', 404, 'warn'],
      ['/products/:sku/reviews', 201, 'info'],
    ])
    const read = events.find((e) => e.message === 'product read')!
    expect(read).toMatchObject({ user_id: 'u-1', org_id: 'demo-org' })
    expect(read.trace_id).toBe(serverSpans(events)[0]!.trace_id)
    expect(serverSpans(events)[0]).toMatchObject({ user_id: 'u-1' })
    expect(JSON.stringify(events)).not.toContain('hunter2')
  })

  it('the failing route gives exactly one error event', async () => {
    const { t, url } = await boot()
    expect((await fetch(`${url}/imports`, { method: 'POST' })).status).toBe(500)
    const errors = (await t.events()).filter((e) => e.error)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      level: 'error',
      http: { route: '/imports', status_code: 500, outcome: 'errored' },
      error: { type: 'Error', message: 'supplier feed unavailable' },
    })
  })

  it('availability calls another service over HTTP in the same trace', async () => {
    const stock = await boot()
    const { t, url } = await boot(`${stock.url}/stock/beans-1kg`)
    const res = await fetch(`${url}/products/beans-1kg/availability`)
    expect(await res.json()).toMatchObject({ stock: { sku: 'beans-1kg', available: 7 } })
    const events = await t.events()
    const [downstream] = serverSpans(await stock.t.events())
    const [own] = serverSpans(events)
    const client = events.find((e) => e.span_kind === 'client')!
    expect(downstream?.trace_id).toBe(own?.trace_id)
    expect(client.parent_span_id).toBe(own?.span_id)
    expect(downstream?.parent_span_id).toBe(client.span_id)
    expect(res.headers.get('x-request-id')).toBe(own?.request_id)
  })

  it('metrics carry route templates', async () => {
    const { url } = await boot()
    await fetch(`${url}/products/beans-1kg`)
    await fetch(`${url}/products/grinder`)
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toMatch(/route="\/products\/:sku",status_code="200"\} 2/)
  })
})
