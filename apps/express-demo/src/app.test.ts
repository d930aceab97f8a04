import { createTestLogger } from '@threadline/test-utils'
import type { ThreadlineEvent } from '@threadline/core'
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

describe('express demo', () => {
  it('serves orders with one completion event per request and the user on every event', async () => {
    const { t, url } = await boot()
    const res = await fetch(`${url}/orders/1`, { headers: { 'x-user-id': 'u-1' } })
    expect(await res.json()).toMatchObject({ id: '1', item: 'espresso beans' })
    expect((await fetch(`${url}/orders/99`)).status).toBe(404)
    const created = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'mug', password: 'hunter2' }),
    })
    expect(created.status).toBe(201)
    const events = await t.events()
    expect(serverSpans(events).map((s) => [s.http?.route, s.http?.status_code, s.level])).toEqual([
      ['/orders/:id', 200, 'info'],
      ['/orders/:id', 404, 'warn'],
      ['/orders', 201, 'info'],
    ])
    const read = events.find((e) => e.message === 'order read')!
    expect(read).toMatchObject({ user_id: 'u-1', org_id: 'demo-org' })
    expect(read.trace_id).toBe(serverSpans(events)[0]!.trace_id)
    expect(serverSpans(events)[0]).toMatchObject({ user_id: 'u-1' })
    expect(JSON.stringify(events)).not.toContain('hunter2')
  })

  it('the failing route gives exactly one error event', async () => {
    const { t, url } = await boot()
    expect((await fetch(`${url}/orders/2/refund`, { method: 'POST' })).status).toBe(500)
    const events = await t.events()
    const errors = events.filter((e) => e.error)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      level: 'error',
      http: { route: '/orders/:id/refund', status_code: 500, outcome: 'errored' },
      error: { type: 'Error', message: 'payment provider unavailable for order 2' },
    })
  })

  it('checkout calls another service over HTTP in the same trace', async () => {
    const inventory = await boot()
    const { t, url } = await boot(`${inventory.url}/inventory/beans`)
    const res = await fetch(`${url}/checkout/1`, {
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    })
    expect(await res.json()).toMatchObject({ stock: { sku: 'beans', available: 12 } })
    const [a, b] = [await t.events(), await inventory.t.events()]
    const checkout = serverSpans(a)[0]!
    const client = a.find((e) => e.span_kind === 'client')!
    const stock = serverSpans(b)[0]!
    expect(checkout.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(stock.trace_id).toBe(checkout.trace_id)
    expect(client.parent_span_id).toBe(checkout.span_id)
    expect(stock.parent_span_id).toBe(client.span_id)
    expect(b.find((e) => e.message === 'stock looked up')?.trace_id).toBe(checkout.trace_id)
  })

  it('health is not logged; metrics are served with route labels', async () => {
    const { t, url } = await boot()
    await fetch(`${url}/health`)
    await fetch(`${url}/orders/1`)
    await fetch(`${url}/orders/2`)
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toMatch(/route="\/orders\/:id",status_code="200"\} 2/)
    expect(text).not.toContain('/health')
    expect(serverSpans(await t.events()).map((s) => s.http?.route)).toEqual([
      '/orders/:id',
      '/orders/:id',
    ])
  })
})
