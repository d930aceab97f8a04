import { EventEmitter } from 'node:events'
import { request as httpRequest } from 'node:http'
import { createTestLogger } from '@threadline/test-utils'
import type { TestLogger } from '@threadline/test-utils'
import type { ThreadlineEvent } from '@threadline/core'
import type { NextFunction, Request, Response } from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import {
  defaultHttpMetrics,
  instrumentFetch,
  metricsHandler,
  prometheusHttpMetrics,
  threadline,
  threadlineErrors,
} from '../src/index.js'
import type { ThreadlineExpressOptions } from '../src/index.js'
import { closeAll, hex, listen, majors, sleep, traceparent } from './helpers.js'

afterEach(closeAll)

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT = '00f067aa0ba902b7'

const serverSpans = (events: ThreadlineEvent[]): ThreadlineEvent[] =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

describe.each(majors)('%s', (major, express) => {
  const isExpress5 = major === 'express 5'

  function setup(options: ThreadlineExpressOptions = {}) {
    const t: TestLogger = createTestLogger()
    const app = express()
    app.use(threadline({ logger: t.logger, metrics: false, ...options }))
    app.use(express.json())
    return { t, app, log: t.logger }
  }

  it('emits one completion event with the route template; every kind of handler log carries the ids', async () => {
    const { t, app, log } = setup()
    app.post('/orders/:id', async (req, res) => {
      log.info('sync')
      await sleep(5)
      log.info('after await', { body_item: (req.body as { item: string }).item })
      await new Promise<void>((r) =>
        setTimeout(() => {
          log.info('in timer')
          r()
        }, 1),
      )
      const emitter = new EventEmitter()
      emitter.on('ping', () => log.info('in emitter'))
      setImmediate(() => emitter.emit('ping'))
      await sleep(2)
      res.status(201).json({ ok: true })
    })
    app.post('/raw', (req, res) => {
      // a handler reading the stream itself, with no body parser for this type
      let size = 0
      req.on('data', (chunk: Buffer) => {
        size += chunk.length
        log.info('data chunk')
      })
      req.on('end', () => {
        log.info('body read')
        res.send(String(size))
      })
    })
    const url = await listen(app)
    const res = await fetch(`${url}/orders/42?page=2`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: traceparent(TRACE, PARENT),
        'x-request-id': 'req-42',
        'user-agent': 'tests/1.0',
      },
      body: JSON.stringify({ item: 'book' }),
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('x-request-id')).toBe('req-42')
    const raw = await fetch(`${url}/raw`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-request-id': 'req-raw' },
      body: 'x'.repeat(100),
    })
    expect(await raw.text()).toBe('100')

    const events = await t.events()
    const [orders, rawSpan] = serverSpans(events)
    expect(serverSpans(events)).toHaveLength(2)
    expect(res.headers.get('traceparent')).toBe(traceparent(TRACE, orders!.span_id!))
    expect(orders).toMatchObject({
      name: 'POST /orders/:id',
      category: 'http',
      event: 'request',
      level: 'info',
      trace_id: TRACE,
      parent_span_id: PARENT,
      request_id: 'req-42',
      http: {
        method: 'POST',
        route: '/orders/:id',
        path: '/orders/42',
        status_code: 201,
        outcome: 'completed',
        request_bytes: 15,
        response_bytes: 11,
        client_address: '127.0.0.1',
        user_agent: 'tests/1.0',
      },
    })
    expect(orders!.duration_ms).toBeGreaterThanOrEqual(0)
    const logs = events.filter((e) => e.kind === 'log')
    const orderLogs = logs.filter((l) => l.request_id === 'req-42')
    expect(orderLogs.map((l) => l.message)).toEqual([
      'sync',
      'after await',
      'in timer',
      'in emitter',
    ])
    for (const l of orderLogs) {
      expect(l.trace_id).toBe(TRACE)
      expect(l.span_id).toBe(orders!.span_id)
    }
    const rawLogs = logs.filter((l) => l.message === 'data chunk' || l.message === 'body read')
    expect(rawLogs.length).toBeGreaterThanOrEqual(2)
    for (const l of rawLogs) {
      expect(l).toMatchObject({ request_id: 'req-raw', trace_id: rawSpan!.trace_id })
    }
    expect(logs).toHaveLength(orderLogs.length + rawLogs.length)
  })

  it('200 concurrent requests with random delays keep their own ids', async () => {
    const { t, app, log } = setup()
    const work = async (req: Request, res: Response): Promise<void> => {
      const n = String(req.params['n'])
      await sleep(Math.random() * 20)
      log.info('working', { n })
      await new Promise((r) => setTimeout(r, Math.random() * 10))
      if (n.endsWith('7')) throw new Error(`fail ${n}`)
      log.info('done', { n, echoed: (req.body as { n: number }).n })
      res.json({ n })
    }
    // the same promise chain on both majors (Express 4 does not catch rejections)
    app.post('/work/:n', (req, res, next) => void work(req, res).catch(next))
    app.use(threadlineErrors())
    const url = await listen(app)
    const N = 200
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const res = await fetch(`${url}/work/${i}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            traceparent: traceparent(hex(i + 1, 32), hex(i + 1, 16)),
            'x-request-id': `req-${i}`,
          },
          body: JSON.stringify({ n: i }),
        })
        await res.arrayBuffer()
        expect(res.status).toBe(String(i).endsWith('7') ? 500 : 200)
      }),
    )
    const events = await t.events()
    const spans = serverSpans(events)
    expect(spans).toHaveLength(N)
    for (const s of spans) {
      const i = Number(s.http!.path!.split('/').pop())
      expect(s.trace_id).toBe(hex(i + 1, 32))
      expect(s.parent_span_id).toBe(hex(i + 1, 16))
      expect(s.request_id).toBe(`req-${i}`)
      expect(s.http!.route).toBe('/work/:n')
      expect(s.http!.outcome).toBe(String(i).endsWith('7') ? 'errored' : 'completed')
    }
    const logs = events.filter((e) => e.kind === 'log')
    expect(logs.length).toBeGreaterThanOrEqual(N)
    for (const l of logs) {
      const n = Number(l.attributes?.['n'])
      expect(l.trace_id).toBe(hex(n + 1, 32))
      expect(l.request_id).toBe(`req-${n}`)
      if (l.message === 'done') expect(l.attributes?.['echoed']).toBe(n)
    }
  }, 30_000)

  it('two services: one trace, B parented by A’s client span, sampled flag and tracestate kept', async () => {
    const { t, app: b, log } = setup()
    const seen: { traceparent?: string | undefined; tracestate?: string | undefined } = {}
    b.get('/inventory/:sku', (req, res) => {
      seen.traceparent = req.get('traceparent')
      seen.tracestate = req.get('tracestate')
      log.info('in b')
      res.json({ sku: req.params['sku'], stock: 3 })
    })
    const bUrl = await listen(b)
    const tracedFetch = instrumentFetch(fetch, { logger: t.logger })
    const a = express()
    a.use(threadline({ logger: t.logger, metrics: false }))
    a.get('/checkout/:id', async (_req, res) => {
      const r = await tracedFetch(`${bUrl}/inventory/sku-1`)
      res.json({ b: await r.json() })
    })
    const aUrl = await listen(a)
    const res = await fetch(`${aUrl}/checkout/9`, {
      headers: { traceparent: traceparent(TRACE, PARENT, '00'), tracestate: 'vendor=abc,x=1' },
    })
    expect(res.status).toBe(200)
    const events = await t.events()
    const aSpan = events.find((e) => e.http?.route === '/checkout/:id')!
    const bSpan = events.find((e) => e.http?.route === '/inventory/:sku')!
    const client = events.find((e) => e.span_kind === 'client')!
    expect(new Set(events.map((e) => e.trace_id))).toEqual(new Set([TRACE]))
    expect(aSpan.parent_span_id).toBe(PARENT)
    expect(client.parent_span_id).toBe(aSpan.span_id)
    expect(bSpan.parent_span_id).toBe(client.span_id)
    expect(seen.traceparent).toBe(traceparent(TRACE, client.span_id!, '00'))
    expect(seen.tracestate).toBe('vendor=abc,x=1')
    expect(bSpan.trace_flags).toBe('00')
    expect(events.find((e) => e.message === 'in b')?.span_id).toBe(bSpan.span_id)
  })

  it.each([
    ['uppercase', `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['version 00 with extra fields', `00-${TRACE}-${PARENT}-01-extra`],
    ['short trace id', `00-${TRACE.slice(2)}-${PARENT}-01`],
    ['garbage', 'not a traceparent'],
    [
      'duplicate headers (joined by Node)',
      `${traceparent(TRACE, PARENT)}, ${traceparent(TRACE, PARENT)}`,
    ],
  ])('invalid traceparent (%s) starts a new trace', async (_name, header) => {
    const { t, app } = setup()
    app.get('/x', (_req, res) => void res.send('ok'))
    const url = await listen(app)
    const res = await fetch(`${url}/x`, { headers: { traceparent: header, tracestate: 'a=1' } })
    const [span] = serverSpans(await t.events())
    expect(span!.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(span!.trace_id).not.toBe(TRACE)
    expect(span!.parent_span_id).toBeUndefined()
    expect(res.headers.get('traceparent')).toContain(span!.trace_id)
  })

  it('continues a future version (>= 55 chars) and survives a bad tracestate', async () => {
    const { t, app } = setup()
    app.get('/x', (_req, res) => void res.send('ok'))
    const url = await listen(app)
    await fetch(`${url}/x`, { headers: { traceparent: `01-${TRACE}-${PARENT}-01-future` } })
    await fetch(`${url}/x`, {
      headers: { traceparent: traceparent(TRACE, PARENT), tracestate: '=bad==,,' },
    })
    const spans = serverSpans(await t.events())
    expect(spans.map((s) => [s.trace_id, s.parent_span_id])).toEqual([
      [TRACE, PARENT],
      [TRACE, PARENT],
    ])
  })

  describe('errors: exactly one error-bearing event per failed request', () => {
    async function errorCase(
      mount: (app: ReturnType<typeof express>) => void,
      path: string,
      init?: RequestInit,
    ) {
      const { t, app, log } = setup()
      mount(app)
      app.use(threadlineErrors())
      // the app's own error handler, after threadlineErrors, responds
      app.use((err: Error, _req: Request, res: Response, next: NextFunction) => {
        if (res.headersSent) return next(err)
        log.debug('handled by the app', { reason: err.message })
        res.status((err as { status?: number }).status ?? 500).json({ error: 'internal' })
      })
      const url = await listen(app)
      const status = await fetch(`${url}${path}`, init).then(
        (r) =>
          r.text().then(
            () => r.status,
            () => 'truncated' as const,
          ),
        () => 'network error' as const,
      )
      const events = await t.events()
      const withError = events.filter((e) => e.error)
      expect(withError).toHaveLength(1)
      expect(serverSpans(events)).toHaveLength(1)
      expect(withError[0]!.span_kind).toBe('server')
      expect(withError[0]!.error).toMatchObject({
        type: expect.any(String),
        message: expect.any(String),
        stack: expect.stringContaining('Error'),
        fingerprint: expect.any(String),
      })
      return { status, event: withError[0]! }
    }

    it('sync throw', async () => {
      const { status, event } = await errorCase(
        (app) =>
          app.get('/sync/:id', () => {
            throw new TypeError('sync kaput')
          }),
        '/sync/1',
      )
      expect(status).toBe(500)
      expect(event).toMatchObject({
        level: 'error',
        status: 'error',
        http: { route: '/sync/:id', status_code: 500, outcome: 'errored' },
        error: { type: 'TypeError', message: 'sync kaput' },
      })
    })

    it.runIf(isExpress5)('async reject (Express 5)', async () => {
      const { status, event } = await errorCase(
        (app) =>
          app.get('/async', async () => {
            await sleep(1)
            throw new RangeError('async kaput')
          }),
        '/async',
      )
      expect(status).toBe(500)
      expect(event).toMatchObject({
        http: { route: '/async', status_code: 500, outcome: 'errored' },
        error: { type: 'RangeError', message: 'async kaput' },
      })
    })

    it('next(err) from a nested router keeps the full route template', async () => {
      const { status, event } = await errorCase((app) => {
        const router = express.Router()
        router.get('/items/:id', (_req, _res, next) => {
          setTimeout(() => next(new Error('next kaput')), 1)
        })
        app.use('/api/v1', router)
      }, '/api/v1/items/7')
      expect(status).toBe(500)
      expect(event).toMatchObject({
        http: { route: '/api/v1/items/:id', status_code: 500, outcome: 'errored' },
        error: { type: 'Error', message: 'next kaput' },
      })
    })

    it('a body parser error (invalid JSON) is a 400 with its error', async () => {
      const { status, event } = await errorCase(
        (app) => app.post('/json', (_req, res) => void res.send('never')),
        '/json',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' },
      )
      expect(status).toBe(400)
      expect(event).toMatchObject({
        level: 'warn',
        http: { status_code: 400, outcome: 'errored', route: 'unmatched' },
        error: { type: 'SyntaxError' },
      })
    })

    it('an error after headers were sent: errored, no fake 200', async () => {
      const { status, event } = await errorCase(
        (app) =>
          app.get('/stream', (_req, res, next) => {
            res.write('partial')
            setTimeout(() => next(new Error('mid-stream kaput')), 5)
          }),
        '/stream',
      )
      // the client saw a 200 status line, then a cut body; the event does not claim a 200
      expect(status).toBe('truncated')
      expect(event).toMatchObject({
        level: 'error',
        http: { route: '/stream', outcome: 'errored' },
        error: { message: 'mid-stream kaput' },
      })
      expect(event.http?.status_code).toBeUndefined()
    })
  })

  it('an aborted request gives one aborted event and no 200', async () => {
    const metrics = prometheusHttpMetrics()
    const { t, app, log } = setup({ metrics })
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    app.get('/slow', async (_req, res) => {
      log.info('started slow work')
      await released
      res.send('too late')
    })
    app.get('/metrics', metricsHandler(metrics))
    const url = await listen(app)
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${url}/slow`)
      req.on('error', () => resolve())
      req.end()
      void t.logger.flush().then(async () => {
        while (t.exporter.logs().length === 0) await sleep(2)
        req.destroy()
      })
    })
    while (serverSpans(t.exporter.events).length === 0) {
      await t.logger.flush()
      await sleep(2)
    }
    release()
    await sleep(10)
    const spans = serverSpans(await t.events())
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({
      level: 'warn',
      status: 'cancelled',
      http: { route: '/slow', outcome: 'aborted' },
    })
    expect(spans[0]!.http!.status_code).toBeUndefined()
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/slow",status_code="aborted"\} 1/,
    )
    expect(text).not.toContain('status_code="200"')
  })

  it('redaction: no secret substring in any event', async () => {
    const { t, app, log } = setup({
      logBody: true,
      headers: ['authorization', 'cookie', 'x-api-key', 'accept'],
    })
    app.post('/login', (req, res) => {
      log.info('login attempt', { user: (req.body as { user: string }).user })
      res.json({ ok: true })
    })
    const url = await listen(app)
    await fetch(`${url}/login?token=QUERYSECRET1&lang=en`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer HEADERSECRET2',
        cookie: 'session=COOKIESECRET3',
        'x-api-key': 'APIKEYSECRET4',
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ user: 'ada', password: 'BODYSECRET5', nested: { apiKey: 'SECRET6' } }),
    })
    const events = await t.events()
    const all = JSON.stringify(events)
    for (const secret of [
      'QUERYSECRET1',
      'HEADERSECRET2',
      'COOKIESECRET3',
      'APIKEYSECRET4',
      'BODYSECRET5',
      'SECRET6',
    ])
      expect(all).not.toContain(secret)
    const [span] = serverSpans(events)
    expect(span!.attributes).toMatchSnapshot()
  })

  it('/users/1 and /users/2 share one route label, in the event and in Prometheus', async () => {
    const metrics = prometheusHttpMetrics()
    const { t, app } = setup({ metrics })
    app.get('/users/:id', (req, res) => void res.json({ id: req.params['id'] }))
    const orgs = express.Router({ mergeParams: true })
    orgs.get('/projects/:project', (_req, res) => void res.send('p'))
    app.use('/orgs/:org', orgs)
    app.get('/metrics', metricsHandler(metrics))
    const url = await listen(app)
    for (const p of ['/users/1', '/users/2', '/orgs/acme/projects/p1', '/orgs/beta/projects/p2'])
      expect((await fetch(`${url}${p}`)).status).toBe(200)
    expect((await fetch(`${url}/nope/123`)).status).toBe(404)
    const spans = serverSpans(await t.events())
    expect(spans.map((s) => s.http?.route)).toEqual([
      '/users/:id',
      '/users/:id',
      '/orgs/:org/projects/:project',
      '/orgs/:org/projects/:project',
      'unmatched',
    ])
    expect(spans[4]).toMatchObject({ level: 'warn', http: { status_code: 404 } })
    const res = await fetch(`${url}/metrics`)
    expect(res.headers.get('content-type')).toContain('application/openmetrics-text')
    const text = await res.text()
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/users\/:id",status_code="200"\} 2/,
    )
    expect(text).toContain('route="/orgs/:org/projects/:project"')
    expect(text).toContain('route="unmatched",status_code="404"')
    expect(text).not.toMatch(/users\/1|users\/2|acme|nope/)
    expect(text).toMatch(
      new RegExp(`# \\{trace_id="(${spans.map((s) => s.trace_id).join('|')})"\\}`),
    )
    expect(text).not.toContain('route="/metrics"')
  })

  it('nested routers, prefixes, sub-apps and path syntaxes resolve to the full template', async () => {
    const { t, app } = setup()
    const posts = express.Router()
    posts.get('/posts/:pid', (_req, res) => void res.send('post'))
    const api = express.Router()
    api.use('/users/:uid', posts)
    app.use('/api', api)
    const shared = express.Router()
    shared.get('/item', (_req, res) => void res.send('item'))
    app.use('/one', shared)
    app.use('/two/:n', shared)
    const bare = express.Router()
    bare.get('/plain', (_req, res) => void res.send('plain'))
    app.use(bare)
    const tenant = express()
    tenant.get('/docs/:doc', (_req, res) => void res.send('doc'))
    app.use('/tenants/:tenant', tenant)
    app.get(['/a/:x', '/b/:x'], (_req, res) => void res.send('ab'))
    app.get(/^\/re\/\d+$/, (_req, res) => void res.send('re'))
    app.get(isExpress5 ? '/files/*path' : '/files/*', (_req, res) => void res.send('file'))
    const url = await listen(app)
    const paths = [
      '/api/users/7/posts/9',
      '/one/item',
      '/two/2/item',
      '/plain',
      '/tenants/acme/docs/readme',
      '/b/1',
      '/re/123',
      '/files/x/y.txt',
      '/api/users/7/nothing',
    ]
    for (const p of paths) await fetch(`${url}${p}`)
    const routes = serverSpans(await t.events()).map((s) => s.http?.route)
    expect(routes).toEqual([
      '/api/users/:uid/posts/:pid',
      '/one/item',
      '/two/:n/item',
      '/plain',
      '/tenants/:tenant/docs/:doc',
      '/a/:x|/b/:x',
      String(/^\/re\/\d+$/),
      isExpress5 ? '/files/*path' : '/files/*',
      'unmatched',
    ])
  })

  it('skip rules: /health has no event and no metric, but its logs keep the context', async () => {
    const metrics = prometheusHttpMetrics()
    const { t, app, log } = setup({ metrics, skip: ['/health', '/internal/*'] })
    app.get('/health', async (_req, res) => {
      await sleep(1)
      log.info('health probe')
      res.send('ok')
    })
    app.get('/internal/stats', (_req, res) => void res.send('s'))
    const url = await listen(app)
    const res = await fetch(`${url}/health`, {
      headers: { traceparent: traceparent(TRACE, PARENT), 'x-request-id': 'probe-1' },
    })
    await fetch(`${url}/internal/stats`)
    expect(res.headers.get('x-request-id')).toBe('probe-1')
    const events = await t.events()
    expect(serverSpans(events)).toHaveLength(0)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      message: 'health probe',
      trace_id: TRACE,
      request_id: 'probe-1',
    })
    expect(await metrics.registry.metrics()).not.toContain(
      'http_server_request_duration_seconds_count',
    )
  })

  it('user hooks that throw do not break the request', async () => {
    const { t, app } = setup({
      getUser: () => {
        throw new Error('getUser bug')
      },
      attributes: () => {
        throw new Error('attributes bug')
      },
      skip: () => {
        throw new Error('skip bug')
      },
      level: () => {
        throw new Error('level bug')
      },
    })
    app.get('/fine', (_req, res) => void res.send('fine'))
    const url = await listen(app)
    const res = await fetch(`${url}/fine`)
    expect(await res.text()).toBe('fine')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/)
    const spans = serverSpans(await t.events())
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({ level: 'info', http: { route: '/fine', status_code: 200 } })
    expect(spans[0]!.user_id).toBeUndefined()
  })

  it('getUser and attributes hooks enrich the completion event', async () => {
    const { t, app } = setup({
      getUser: (req) => ({ user_id: String(req.get('x-user')), org_id: 'acme' }),
      attributes: (req, res) => ({
        'app.tier': req.query['tier'],
        'app.cached': res.get('x-cache'),
      }),
    })
    app.get('/me', (_req, res) => void res.set('x-cache', 'hit').send('me'))
    const url = await listen(app)
    await fetch(`${url}/me?tier=gold`, { headers: { 'x-user': 'u-7' } })
    const [span] = serverSpans(await t.events())
    expect(span).toMatchObject({ user_id: 'u-7', org_id: 'acme' })
    expect(span!.attributes).toMatchObject({ 'app.tier': 'gold', 'app.cached': 'hit' })
  })

  it('installed twice (app and sub-app) logs once', async () => {
    const t = createTestLogger()
    const app = express()
    const sub = express()
    app.use(threadline({ logger: t.logger, metrics: false }))
    sub.use(threadline({ logger: t.logger, metrics: false }))
    sub.get('/thing/:id', (_req, res) => void res.send('thing'))
    app.use('/sub', sub)
    const url = await listen(app)
    expect(await (await fetch(`${url}/sub/thing/1`)).text()).toBe('thing')
    const spans = serverSpans(await t.events())
    expect(spans).toHaveLength(1)
    expect(spans[0]!.http?.route).toBe('/sub/thing/:id')
  })

  it('metrics are on by default and served by metricsHandler()', async () => {
    const t = createTestLogger()
    const app = express()
    app.use(threadline({ logger: t.logger }))
    app.get(`/default-metrics/:major`, (_req, res) => void res.send('x'))
    app.get('/metrics', metricsHandler())
    const url = await listen(app)
    await fetch(`${url}/default-metrics/${major.replace(' ', '')}`)
    const text = await (await fetch(`${url}/metrics`)).text()
    expect(text).toContain('route="/default-metrics/:major"')
    expect(text).toContain('http_server_active_requests')
    expect(await defaultHttpMetrics().registry.metrics()).toContain('/default-metrics/:major')
  })

  it('rejects bad options at setup', () => {
    expect(() => threadline({ requestIdHeader: 'not a header' })).toThrow(TypeError)
    expect(() => threadline({ skip: 42 as never })).toThrow(TypeError)
  })
})
