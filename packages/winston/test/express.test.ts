import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import type { ThreadlineEvent } from '@threadline/core'
import { threadline } from '@threadline/express'
import { createTestLogger, waitFor } from '@threadline/test-utils'
import express from 'express'
import type { Express } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { threadlineContext, ThreadlineTransport } from '../src/index.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'
const servers: Server[] = []

function listen(app: Express): Promise<string> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    )
    servers.push(server)
  })
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise<void>((r) => {
          s.closeAllConnections()
          s.close(() => r())
        }),
    ),
  )
})

function setup() {
  const t = createTestLogger()
  const out = new PassThrough()
  const lines: Record<string, unknown>[] = []
  out.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n'))
      if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
  })
  const log = winston.createLogger({
    format: winston.format.combine(
      threadlineContext(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [
      new winston.transports.Stream({ stream: out }),
      new ThreadlineTransport({ logger: t.logger }),
    ],
  })
  const app = express()
  app.use(threadline({ logger: t.logger, metrics: false }))
  app.get('/orders/:id', async (req, res) => {
    log.info('loading order', { order_id: req.params.id })
    await new Promise((r) => setImmediate(r))
    log.warn('order is late', { order_id: req.params.id })
    res.json({ id: req.params.id })
  })
  return { t, log, app, lines }
}

const server = (events: ThreadlineEvent[]): ThreadlineEvent => {
  const s = events.find((e) => e.kind === 'span' && e.span_kind === 'server')
  if (!s) throw new Error('no server span')
  return s
}

describe('winston inside an Express request (@threadline/express)', () => {
  it('the winston events and the access event share trace_id and request_id', async () => {
    const { t, app, lines } = setup()
    const url = await listen(app)
    const res = await fetch(`${url}/orders/42`, {
      headers: { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'req-42' },
    })
    expect(res.status).toBe(200)
    await waitFor(async () => (await t.events()).length >= 3)
    const events = await t.events()
    const access = server(events)
    expect(access.trace_id).toBe(TRACE)
    expect(access.request_id).toBe('req-42')
    expect(access.http?.route).toBe('/orders/:id')
    const logs = events.filter((e) => e.kind === 'log')
    expect(logs.map((e) => [e.message, e.level])).toEqual([
      ['loading order', 'info'],
      ['order is late', 'warn'],
    ])
    for (const e of logs) {
      expect(e.trace_id).toBe(access.trace_id)
      expect(e.span_id).toBe(access.span_id)
      expect(e.request_id).toBe('req-42')
      expect(e.attributes).toEqual({ order_id: '42' })
    }
    // the format writes the same ids into winston's own output
    expect(lines).toHaveLength(2)
    for (const line of lines)
      expect(line).toMatchObject({
        trace_id: TRACE,
        span_id: access.span_id,
        request_id: 'req-42',
        order_id: '42',
      })
  })

  it('concurrent requests keep their own ids, with generated trace and request ids', async () => {
    const { t, app, lines } = setup()
    const url = await listen(app)
    await Promise.all([1, 2, 3, 4, 5].map((i) => fetch(`${url}/orders/${i}`)))
    await waitFor(async () => (await t.events()).length >= 15)
    const events = await t.events()
    const spans = events.filter((e) => e.kind === 'span')
    expect(new Set(spans.map((s) => s.trace_id)).size).toBe(5)
    for (const s of spans) {
      const id = s.http?.path?.split('/').pop()
      const logs = events.filter((e) => e.kind === 'log' && e.attributes?.['order_id'] === id)
      expect(logs).toHaveLength(2)
      for (const e of logs) expect([e.trace_id, e.request_id]).toEqual([s.trace_id, s.request_id])
      const written = lines.filter((l) => l['order_id'] === id)
      expect(written.map((l) => l['trace_id'])).toEqual([s.trace_id, s.trace_id])
      expect(written.map((l) => l['request_id'])).toEqual([s.request_id, s.request_id])
    }
  })
})
