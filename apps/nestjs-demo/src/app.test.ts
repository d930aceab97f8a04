import type { INestApplication } from '@nestjs/common'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import { start } from './app.js'

const apps: INestApplication[] = []
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close()
})

describe('nestjs demo', () => {
  it('serves orders, errors, a slow report, and one trace across two services', async () => {
    const t = createTestLogger({ asDefault: true })
    try {
      const b = await start(0, { logger: t.logger })
      apps.push(b.app)
      const a = await start(0, { logger: t.logger, downstreamUrl: `${b.url}/orders/2` })
      apps.push(a.app)

      const res = await fetch(`${a.url}/orders/1/shipping`, { headers: { 'x-user-id': 'u-1' } })
      expect(res.status).toBe(200)
      const body = (await res.json()) as { order: { item: string }; shipping: { status: number } }
      expect(body).toMatchObject({ order: { item: 'keyboard' }, shipping: { status: 200 } })
      expect((await fetch(`${a.url}/payments/charge`)).status).toBe(500)
      expect((await fetch(`${a.url}/orders/99`)).status).toBe(404)
      expect((await fetch(`${a.url}/reports/daily`)).status).toBe(200)
      expect((await fetch(`${a.url}/health`)).status).toBe(200)

      const events = await t.events()
      const servers = events.filter((e) => e.span_kind === 'server')
      const route = (r: string) => servers.filter((s) => s.http?.route === r)
      const [shipping] = route('/orders/:id/shipping')
      const [downstream] = route('/orders/:id')
      const client = events.find((e) => e.span_kind === 'client')!
      expect(shipping).toMatchObject({ user_id: 'u-1', http: { status_code: 200 } })
      expect(client.parent_span_id).toBe(shipping!.span_id)
      expect(downstream).toMatchObject({
        trace_id: shipping!.trace_id,
        parent_span_id: client.span_id,
        http: { path: '/orders/2' },
      })
      expect(route('/payments/charge')[0]).toMatchObject({
        level: 'error',
        error: { message: 'payment gateway unavailable' },
      })
      expect(route('/orders/:id')[1]).toMatchObject({
        level: 'warn',
        http: { status_code: 404 },
        error: { type: 'NotFoundException' },
      })
      expect(events.find((e) => e.name === 'reports.daily')?.duration_ms).toBeGreaterThan(0)
      expect(servers.filter((s) => s.http?.path === '/health')).toHaveLength(0)
      expect(events.filter((e) => e.error !== undefined && e.span_kind === 'server')).toHaveLength(
        2,
      )
    } finally {
      t.restore()
    }
  })
})
