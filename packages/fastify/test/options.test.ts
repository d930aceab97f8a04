import type { ThreadlineEvent } from '@threadline/core'
import { createTestLogger } from '@threadline/test-utils'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import {
  metricsHandler,
  prometheusHttpMetrics,
  threadlineLoggerOptions,
  threadlinePlugin,
} from '../src/index.js'
import { start } from './helpers.js'

const servers = (events: ThreadlineEvent[]) =>
  events.filter((e) => e.kind === 'span' && e.span_kind === 'server')

describe('redaction', () => {
  it('no secret substring reaches an event: headers, cookie, ?token=, body password', async () => {
    const secrets = [
      'sk-live-abcdef123456',
      'c00kie-secret',
      'api-key-secret',
      's3cr3t-token',
      'hunter2-pass',
      'nested-secret',
    ]
    const { url, tl } = await start(
      (app, { logger }) => {
        app.post('/login', async (request) => {
          logger.info('login attempt', { headers: request.headers, body: request.body })
          return { ok: true }
        })
      },
      { headers: ['authorization', 'cookie', 'x-api-key', 'accept'], logBody: true },
    )
    await fetch(`${url}/login?token=s3cr3t-token&page=1`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk-live-abcdef123456',
        cookie: 'session=c00kie-secret',
        'x-api-key': 'api-key-secret',
        accept: 'application/json',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        user: 'ann',
        password: 'hunter2-pass',
        nested: { api_key: 'nested-secret' },
      }),
    })
    const events = await tl.events()
    const text = JSON.stringify(events)
    for (const s of secrets) expect(text).not.toContain(s)
    expect(servers(events)[0]?.attributes).toEqual({
      'http.request.header.authorization': '[REDACTED]',
      'http.request.header.cookie': '[REDACTED]',
      'http.request.header.x-api-key': '[REDACTED]',
      'http.request.header.accept': 'application/json',
      'url.query': { token: '[REDACTED]', page: '1' },
      'http.request.body': {
        user: 'ann',
        password: '[REDACTED]',
        nested: { api_key: '[REDACTED]' },
      },
    })
    expect(servers(events)[0]?.http?.path).toBe('/login')
  })
})

describe('skip rules', () => {
  it('/health: no access event, no metric, but app logs inside keep the context', async () => {
    const metrics = prometheusHttpMetrics()
    const { url, tl } = await start(
      (app, { logger }) => {
        app.get('/health', async (request) => {
          logger.info('checking the database')
          request.log.info('fastify log inside health')
          return 'ok'
        })
        app.get('/metrics', metricsHandler(metrics))
        app.get('/ping', async () => 'pong')
      },
      { metrics },
    )
    const res = await fetch(`${url}/health`, { headers: { 'x-request-id': 'health-1' } })
    expect(res.headers.get('x-request-id')).toBe('health-1')
    await fetch(`${url}/ping`)
    const text = await (await fetch(`${url}/metrics`)).text()
    const events = await tl.events()
    expect(servers(events).map((s) => s.http?.route)).toEqual(['/ping'])
    expect(events.find((e) => e.message === 'checking the database')).toMatchObject({
      request_id: 'health-1',
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(text).toContain('route="/ping"')
    expect(text).not.toContain('/health')
  })

  it('a skip function gets the raw request and its path', async () => {
    const { url, tl } = await start((app) => app.get('/x', async () => 'x'), {
      skip: (req, path) => req.headers['x-synthetic'] === '1' || path === '/x/ignored',
    })
    await fetch(`${url}/x`, { headers: { 'x-synthetic': '1' } })
    await fetch(`${url}/x`)
    const spans = servers(await tl.events())
    expect(spans).toHaveLength(1)
  })
})

describe('user hooks', () => {
  it('getUser and attributes see Fastify’s request and reply', async () => {
    const { url, tl } = await start(
      (app) => {
        app.decorateRequest('user', null)
        app.addHook('preHandler', async (request) => {
          ;(request as unknown as { user: unknown }).user = { id: 'u-1', org: 'acme' }
        })
        app.get('/me', { config: { team: 'identity' } }, async () => 'me')
      },
      {
        getUser: (request) => {
          const user = (request as unknown as { user: { id: string; org: string } | null }).user
          return user ? { user_id: user.id, org_id: user.org } : undefined
        },
        attributes: (request, reply) => ({
          team: (request.routeOptions.config as { team?: string }).team,
          'reply.sent': reply.sent,
        }),
      },
    )
    await fetch(`${url}/me`)
    const [span] = servers(await tl.events())
    expect(span).toMatchObject({
      user_id: 'u-1',
      org_id: 'acme',
      attributes: { team: 'identity', 'reply.sent': true },
    })
  })

  it('hooks that throw are reported, never thrown into the request', async () => {
    const boom = () => {
      throw new Error('hook bug')
    }
    const { url, tl } = await start((app) => app.get('/a', async () => 'fine'), {
      getUser: boom,
      attributes: boom,
      skip: boom,
      level: boom,
    })
    const res = await fetch(`${url}/a`)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('fine')
    const spans = servers(await tl.events())
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({ level: 'info', http: { status_code: 200 } })
  })
})

describe('request.log (pino) integration', () => {
  const pinoLines = () => {
    const lines: Record<string, unknown>[] = []
    const stream = {
      write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>),
    }
    return { lines, stream }
  }

  it('plugin only: Fastify’s request log lines after onRequest carry trace_id, span_id, request_id', async () => {
    const { lines, stream } = pinoLines()
    const { url, tl } = await start(
      (app) => {
        app.get('/p', async (request) => {
          request.log.info('handler says hi')
          return 'p'
        })
      },
      {},
      { logger: { stream } },
    )
    await fetch(`${url}/p`, { headers: { 'x-request-id': 'rid-1' } })
    await fetch(`${url}/missing`)
    const spans = servers(await tl.events())
    const ids = (s: ThreadlineEvent | undefined) => ({
      trace_id: s?.trace_id,
      span_id: s?.span_id,
      request_id: s?.request_id,
    })
    for (const msg of ['handler says hi', 'request completed'])
      expect(lines.find((l) => l['msg'] === msg)).toMatchObject(ids(spans[0]))
    expect(lines.find((l) => String(l['msg']).startsWith('Route GET:/missing'))).toMatchObject(
      ids(spans[1]),
    )
    expect(spans[0]?.request_id).toBe('rid-1')
  })

  it('with threadlineLoggerOptions(): every line, `incoming request` included, carries the ids; request.id is the request id', async () => {
    const { lines, stream } = pinoLines()
    const { url, tl } = await start(
      (app) => {
        app.get('/p', async (request) => ({ id: request.id }))
      },
      {},
      { logger: { stream }, ...threadlineLoggerOptions() },
    )
    const good = await fetch(`${url}/p`, { headers: { 'x-request-id': 'rid-2' } })
    expect(await good.json()).toEqual({ id: 'rid-2' })
    const bad = await fetch(`${url}/p`, { headers: { 'x-request-id': 'bad id <script>' } })
    const badId = ((await bad.json()) as { id: string }).id
    expect(badId).toMatch(/^[0-9a-f]{32}$/)
    expect(bad.headers.get('x-request-id')).toBe(badId)
    const spans = servers(await tl.events())
    expect(spans.map((s) => s.request_id)).toEqual(['rid-2', badId])
    const forFirst = lines.filter((l) => l['reqId'] === 'rid-2')
    expect(forFirst.map((l) => l['msg'])).toEqual(['incoming request', 'request completed'])
    for (const l of forFirst)
      expect(l).toMatchObject({
        trace_id: spans[0]?.trace_id,
        span_id: spans[0]?.span_id,
        request_id: 'rid-2',
      })
  })

  it('threadlineLoggerOptions() without the plugin falls back to plain ids and loggers', async () => {
    const app = Fastify(threadlineLoggerOptions())
    app.get('/p', async (request) => ({ id: request.id }))
    try {
      const res = await app.inject({ url: '/p', headers: { 'x-request-id': 'kept-1' } })
      expect(res.json()).toEqual({ id: 'kept-1' })
      const res2 = await app.inject({ url: '/p' })
      expect((res2.json() as { id: string }).id).toMatch(/^[0-9a-f]{32}$/)
    } finally {
      await app.close()
    }
  })
})

describe('registration', () => {
  it('registering twice (also in a child) still gives one event per request', async () => {
    const tl = createTestLogger()
    const { url } = await start(
      async (app) => {
        await app.register(threadlinePlugin, { logger: tl.logger })
        await app.register(async (child) => {
          await child.register(threadlinePlugin, { logger: tl.logger })
          child.get('/c', async () => 'c')
        })
      },
      {},
      {},
      tl,
    )
    await fetch(`${url}/c`)
    expect(servers(await tl.events())).toHaveLength(1)
  })

  it('bad options fail registration with a TypeError', async () => {
    const app = Fastify()
    try {
      await expect(
        app.register(threadlinePlugin, { requestIdHeader: 'not a header' }).ready(),
      ).rejects.toThrow(TypeError)
    } finally {
      await app.close().catch(() => {})
    }
  })
})
