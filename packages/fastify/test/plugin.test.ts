import { EventEmitter } from 'node:events'
import { request as httpRequest } from 'node:http'
import { getContext, instrumentFetch } from '@threadline/core'
import type { ThreadlineEvent } from '@threadline/core'
import { createTestLogger } from '@threadline/test-utils'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { threadlinePlugin } from '../src/index.js'
import { hex, sleep, start } from './helpers.js'

const servers = (events: ThreadlineEvent[]) =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

describe('@threadline/fastify plugin', () => {
  it('emits one server event with the route template; handler logs carry its ids; ids echoed', async () => {
    const { url, tl } = await start((app, { logger }) => {
      app.get('/users/:id', async (request) => {
        await sleep(2)
        logger.info('loading user', { id: (request.params as { id: string }).id })
        return { ok: true }
      })
    })
    const res = await fetch(`${url}/users/42?page=2`, {
      headers: { 'x-request-id': 'req-abc', 'user-agent': 'vitest' },
    })
    expect(res.status).toBe(200)
    const events = await tl.events()
    const [span] = servers(events)
    expect(servers(events)).toHaveLength(1)
    expect(span).toMatchObject({
      name: 'GET /users/:id',
      level: 'info',
      status: 'ok',
      category: 'http',
      event: 'request',
      request_id: 'req-abc',
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/42',
        status_code: 200,
        outcome: 'completed',
        response_bytes: 11,
        client_address: '127.0.0.1',
        user_agent: 'vitest',
      },
    })
    expect(span?.duration_ms).toBeGreaterThanOrEqual(0)
    expect(res.headers.get('x-request-id')).toBe('req-abc')
    expect(res.headers.get('traceparent')).toBe(`00-${span?.trace_id}-${span?.span_id}-01`)
    expect(events.find((e) => e.message === 'loading user')).toMatchObject({
      kind: 'log',
      trace_id: span?.trace_id,
      span_id: span?.span_id,
      request_id: 'req-abc',
    })
  })

  it('hooks apply in encapsulated child plugins, nested prefixes and their 404 handlers', async () => {
    const { url, tl } = await start(async (app, { logger: log }) => {
      await app.register(
        async (api) => {
          api.addHook('onRequest', async () => log.info('child hook'))
          api.get('/items/:itemId', async () => {
            log.info('in child')
            return 'item'
          })
          await api.register(
            async (v2) => {
              v2.get('/orders/:orderId', async () => 'order')
              v2.get('/', async () => 'index')
            },
            { prefix: '/v2' },
          )
        },
        { prefix: '/api' },
      )
      // a plugin that is not wrapped and registers its own 404 handler
      await app.register(
        async (admin) => {
          admin.setNotFoundHandler(async (_req, reply) => reply.code(404).send('no admin'))
        },
        { prefix: '/admin' },
      )
    })
    for (const p of ['/api/items/7', '/api/v2/orders/9', '/api/v2', '/admin/x', '/nope'])
      await fetch(url + p)
    const events = await tl.events()
    expect(servers(events).map((s) => [s.http?.path, s.http?.route, s.http?.status_code])).toEqual([
      ['/api/items/7', '/api/items/:itemId', 200],
      ['/api/v2/orders/9', '/api/v2/orders/:orderId', 200],
      ['/api/v2', '/api/v2', 200],
      ['/admin/x', 'unmatched', 404],
      ['/nope', 'unmatched', 404],
    ])
    const first = servers(events)[0]!
    for (const m of ['child hook', 'in child'])
      expect(events.find((e) => e.message === m)).toMatchObject({
        trace_id: first.trace_id,
        span_id: first.span_id,
      })
    expect(servers(events)[3]?.level).toBe('warn')
  })

  it('a route declared on the root before the plugin is registered is covered too', async () => {
    const tl = createTestLogger()
    const app = Fastify()
    app.get('/early/:id', async () => 'early')
    await app.register(threadlinePlugin, { logger: tl.logger })
    try {
      const res = await app.inject({ url: '/early/1' })
      expect(res.statusCode).toBe(200)
      expect(servers(await tl.events()).map((s) => s.http?.route)).toEqual(['/early/:id'])
    } finally {
      await app.close()
    }
  })

  it('keeps context for logs after a slowly streamed POST body (preValidation re-entry)', async () => {
    const { url, tl } = await start((app, { logger }) => {
      app.post('/upload/:kind', async (request) => {
        logger.info('body parsed', { n: (request.body as { items: unknown[] }).items.length })
        await sleep(1)
        logger.info('after await')
        return { trace_id: getContext()?.trace_id }
      })
    })
    const body = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i })) })
    const traceId = hex(0xabc, 32)
    const got = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${url}/upload/json`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          traceparent: `00-${traceId}-${hex(1, 16)}-01`,
        },
      })
      req.on('response', (res) => {
        let text = ''
        res.on('data', (c: Buffer) => (text += c.toString()))
        res.on('end', () => resolve(text))
      })
      req.on('error', reject)
      // the body arrives in pieces on later ticks, as from a slow client
      const parts = [body.slice(0, 100), body.slice(100, 1000), body.slice(1000)]
      const send = (i: number): void => {
        if (i === parts.length) return void req.end()
        req.write(parts[i])
        setTimeout(() => send(i + 1), 5)
      }
      send(0)
    })
    expect(JSON.parse(got)).toEqual({ trace_id: traceId })
    const events = await tl.events()
    const span = servers(events)[0]!
    expect(span.trace_id).toBe(traceId)
    for (const m of ['body parsed', 'after await'])
      expect(events.find((e) => e.message === m)).toMatchObject({
        trace_id: traceId,
        span_id: span.span_id,
        request_id: span.request_id,
      })
  })

  it('re-enters the context after a hook that loses it (a queue drained by a startup timer)', async () => {
    // Fastify 5 binds its body parser to the request's async context itself; a user hook
    // that continues from a callback created elsewhere (a rate-limit queue) does not
    const { url, tl } = await start((app, { logger }) => {
      const queue: (() => void)[] = []
      const timer = setInterval(() => queue.splice(0).forEach((job) => job()), 2)
      app.addHook('onClose', (_i, done) => (clearInterval(timer), done()))
      app.addHook('preParsing', (_req, _reply, payload, done) => {
        queue.push(() => done(null, payload))
      })
      app.post('/import', async (request) => {
        logger.info('importing', { rows: (request.body as { rows: unknown[] }).rows.length })
        return 'ok'
      })
    })
    await fetch(`${url}/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [1, 2, 3] }),
    })
    const events = await tl.events()
    const span = servers(events)[0]!
    expect(events.find((e) => e.message === 'importing')).toMatchObject({
      trace_id: span.trace_id,
      span_id: span.span_id,
      request_id: span.request_id,
    })
  })

  it('200 concurrent requests with random delays and distinct traceparents keep their own ids', async () => {
    const { url, tl } = await start((app, { logger }) => {
      const handler = async (request: { body?: unknown; query: unknown }) => {
        const delay = Number((request.query as { d: string }).d)
        logger.info('start')
        await sleep(delay)
        logger.info('after await')
        await new Promise<void>((r) =>
          setTimeout(() => {
            logger.info('in timer')
            r()
          }, delay),
        )
        const ee = new EventEmitter()
        ee.on('ping', () => logger.info('in emitter'))
        await sleep(1)
        ee.emit('ping')
        const ctx = getContext()
        return { trace_id: ctx?.trace_id, request_id: ctx?.bindings?.['request_id'] }
      }
      app.get('/work/:n', handler)
      app.post('/work/:n', handler)
    })
    const n = 200
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const traceId = hex(i + 1, 32)
        const parent = hex(i + 1, 16)
        const res = await fetch(`${url}/work/${i}?d=${Math.floor(Math.random() * 20)}`, {
          method: i % 2 ? 'POST' : 'GET',
          headers: {
            traceparent: `00-${traceId}-${parent}-01`,
            'x-request-id': `req-${i}`,
            ...(i % 2 ? { 'content-type': 'application/json' } : {}),
          },
          ...(i % 2 ? { body: JSON.stringify({ i }) } : {}),
        })
        return { i, traceId, parent, body: (await res.json()) as Record<string, string> }
      }),
    )
    const events = await tl.events()
    const spans = servers(events)
    expect(spans).toHaveLength(n)
    for (const { i, traceId, parent, body } of results) {
      expect(body).toEqual({ trace_id: traceId, request_id: `req-${i}` })
      const own = spans.filter((s) => s.trace_id === traceId)
      expect(own).toHaveLength(1)
      expect(own[0]).toMatchObject({ parent_span_id: parent, request_id: `req-${i}` })
      const logs = events.filter((e) => e.kind === 'log' && e.request_id === `req-${i}`)
      expect(logs.map((l) => l.message).sort()).toEqual(
        ['after await', 'in emitter', 'in timer', 'start'].sort(),
      )
      for (const l of logs) expect(l).toMatchObject({ trace_id: traceId, span_id: own[0]?.span_id })
    }
  })

  it('two services: one trace, B parented by A’s client span, sampled flag and tracestate kept', async () => {
    const tl = createTestLogger()
    const b = await start(
      (app) => {
        app.get('/b', async (request) => ({
          traceparent: request.headers.traceparent,
          tracestate: request.headers.tracestate,
        }))
      },
      {},
      {},
      tl,
    )
    const tracedFetch = instrumentFetch(fetch, { logger: tl.logger })
    const a = await start(
      (app) => {
        app.get('/a', async () => (await tracedFetch(`${b.url}/b`)).json())
      },
      {},
      {},
      tl,
    )
    const traceId = hex(0xfeed, 32)
    const res = await fetch(`${a.url}/a`, {
      headers: { traceparent: `00-${traceId}-${hex(7, 16)}-00`, tracestate: 'vendor=abc,other=1' },
    })
    const seenByB = (await res.json()) as { traceparent: string; tracestate: string }
    const events = await tl.events()
    const spans = events.filter((e) => e.kind === 'span')
    const serverA = spans.find((s) => s.http?.route === '/a')!
    const serverB = spans.find((s) => s.http?.route === '/b')!
    const client = spans.find((s) => s.span_kind === 'client')!
    expect(new Set(spans.map((s) => s.trace_id))).toEqual(new Set([traceId]))
    expect(serverA.parent_span_id).toBe(hex(7, 16))
    expect(client.parent_span_id).toBe(serverA.span_id)
    expect(serverB.parent_span_id).toBe(client.span_id)
    expect(seenByB.traceparent).toBe(`00-${traceId}-${client.span_id}-00`)
    expect(seenByB.tracestate).toBe('vendor=abc,other=1')
    expect(serverB.trace_flags).toBe('00')
  })

  describe('invalid traceparent table: a new trace, not continued', () => {
    const tid = '4bf92f3577b34da6a3ce929d0e0e4736'
    const pid = '00f067aa0ba902b7'
    const cases: [string, Record<string, string>][] = [
      ['uppercase', { traceparent: `00-${tid.toUpperCase()}-${pid}-01` }],
      ['all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${pid}-01` }],
      ['all-zero parent id', { traceparent: `00-${tid}-${'0'.repeat(16)}-01` }],
      ['version ff', { traceparent: `ff-${tid}-${pid}-01` }],
      ['version 00 with extra fields', { traceparent: `00-${tid}-${pid}-01-extra` }],
      ['short trace id', { traceparent: `00-${tid.slice(2)}-${pid}-01` }],
      ['garbage', { traceparent: 'hello' }],
    ]
    it.each(cases)('%s', async (_name, headers) => {
      const { url, tl } = await start((app) => app.get('/x', async () => 'x'))
      await fetch(`${url}/x`, { headers })
      const [span] = servers(await tl.events())
      expect(span?.trace_id).toMatch(/^[0-9a-f]{32}$/)
      expect(span?.trace_id).not.toBe(tid)
      expect(span?.parent_span_id).toBeUndefined()
    })

    it('a future version of 55+ characters and a bad tracestate still continue the trace', async () => {
      const { url, tl } = await start((app) => app.get('/x', async () => 'x'))
      await fetch(`${url}/x`, { headers: { traceparent: `01-${tid}-${pid}-01-future` } })
      await fetch(`${url}/x`, {
        headers: { traceparent: `00-${tid}-${pid}-01`, tracestate: '=bad,,=' },
      })
      const spans = servers(await tl.events())
      expect(spans.map((s) => [s.trace_id, s.parent_span_id])).toEqual([
        [tid, pid],
        [tid, pid],
      ])
    })
  })
})
