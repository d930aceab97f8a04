import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLogger,
  extractTraceContext,
  instrumentFetch,
  memoryExporter,
  pathOf,
  resolveHttpOptions,
  startHttpServerSpan,
  traceHeaders,
  validRequestId,
} from '../src/index.js'
import type { HttpServerOptions, Logger, MemoryExporter } from '../src/index.js'

// A minimal adapter over node:http, the way the framework adapters use core.
function serve(
  logger: Logger,
  handler: (
    req: IncomingMessage,
    res: ServerResponse,
    route: (r: string) => void,
  ) => void | Promise<void>,
  options: HttpServerOptions<IncomingMessage, ServerResponse> = {},
): Promise<{ url: string; server: Server }> {
  const opts = resolveHttpOptions<IncomingMessage, ServerResponse>({ logger, ...options })
  const server = createServer((req, res) => {
    const scope = startHttpServerSpan(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress,
        req,
      },
      opts,
    )
    for (const [k, v] of Object.entries(scope.responseHeaders)) res.setHeader(k, v)
    res.on('finish', () =>
      scope.finish({
        statusCode: res.statusCode,
        responseBytes: Number(res.getHeader('content-length')),
        res,
      }),
    )
    res.on('close', () => {
      if (!res.writableFinished)
        scope.finish({
          aborted: true,
          statusCode: res.headersSent ? res.statusCode : undefined,
          res,
        })
    })
    scope.run(async () => {
      try {
        await handler(req, res, (r) => scope.setRoute(r))
      } catch (err) {
        scope.recordError(err)
        res.statusCode = 500
        res.end('error')
      }
    })
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }),
    ),
  )
}

const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

function setup(): { mem: MemoryExporter; logger: Logger } {
  const mem = memoryExporter()
  return { mem, logger: createLogger({ service: 'svc', exporters: [mem], hookProcess: false }) }
}

describe('helpers', () => {
  it('validRequestId accepts a bounded safe charset only', () => {
    expect(validRequestId('req-123_abc.def:1')).toBe('req-123_abc.def:1')
    expect(validRequestId('a'.repeat(128))).toBe('a'.repeat(128))
    expect(validRequestId('a'.repeat(129))).toBeUndefined()
    expect(validRequestId('bad id')).toBeUndefined()
    expect(validRequestId('x\r\nSet-Cookie: a=b')).toBeUndefined()
    expect(validRequestId('')).toBeUndefined()
    expect(validRequestId(['one'])).toBe('one')
    expect(validRequestId(['one', 'two'])).toBeUndefined()
  })

  it('pathOf drops query and fragment', () => {
    expect(pathOf('/users/1?token=abc#x')).toBe('/users/1')
    expect(pathOf('')).toBe('/')
  })

  it('extractTraceContext continues only valid traceparents', () => {
    expect(
      extractTraceContext({
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tracestate: 'a=1,b=2',
      }),
    ).toEqual({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
      trace_state: 'a=1,b=2',
    })
    expect(
      extractTraceContext({
        traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      }),
    ).toBeUndefined()
    expect(extractTraceContext({})).toBeUndefined()
  })

  it('traceHeaders is empty outside a trace', () => {
    expect(traceHeaders(undefined)).toEqual({})
  })

  it('resolveHttpOptions rejects bad options', () => {
    expect(() => resolveHttpOptions({ requestIdHeader: 'bad header' })).toThrow(TypeError)
    expect(() => resolveHttpOptions({ skip: 'x' as never })).toThrow(TypeError)
    expect(() => resolveHttpOptions({ getUser: 1 as never })).toThrow(TypeError)
  })
})

describe('HTTP server scope over node:http', () => {
  it('emits one server span per request with route template, status, sizes and ids; logs inside carry them', async () => {
    const { mem, logger } = setup()
    const { url, server } = await serve(
      logger,
      (req, res, route) => {
        route('/users/:id')
        logger.info('handling', { path: req.url })
        res.setHeader('content-length', 5)
        res.end('hello')
      },
      { headers: ['authorization', 'accept'], getUser: () => ({ user_id: 'u-1', org_id: 'acme' }) },
    )
    servers.push(server)
    const res = await fetch(`${url}/users/42?token=s3cret&page=2`, {
      headers: { authorization: 'Bearer abc', accept: 'text/plain', 'x-request-id': 'req-1' },
    })
    expect(await res.text()).toBe('hello')
    expect(res.headers.get('x-request-id')).toBe('req-1')
    await logger.flush()
    const span = mem.spans()[0]!
    expect(res.headers.get('traceparent')).toBe(`00-${span.trace_id}-${span.span_id}-01`)
    expect(span).toMatchObject({
      name: 'GET /users/:id',
      span_kind: 'server',
      status: 'ok',
      level: 'info',
      category: 'http',
      event: 'request',
      request_id: 'req-1',
      user_id: 'u-1',
      org_id: 'acme',
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/42',
        status_code: 200,
        outcome: 'completed',
        response_bytes: 5,
      },
    })
    expect(span.attributes?.['http.request.header.authorization']).toBe('[REDACTED]')
    expect(span.attributes?.['http.request.header.accept']).toBe('text/plain')
    expect(span.attributes?.['url.query']).toEqual({ token: '[REDACTED]', page: '2' })
    const log = mem.logs()[0]!
    expect(log).toMatchObject({
      trace_id: span.trace_id,
      span_id: span.span_id,
      request_id: 'req-1',
    })
    expect(JSON.stringify(mem.lines)).not.toContain('s3cret')
  })

  it('continues an incoming trace; replaces an invalid request id', async () => {
    const { mem, logger } = setup()
    const { url, server } = await serve(logger, (_req, res) => void res.end())
    servers.push(server)
    await fetch(`${url}/x`, {
      headers: {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'x-request-id': 'no spaces allowed',
      },
    })
    await logger.flush()
    const span = mem.spans()[0]!
    expect(span.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(span.parent_span_id).toBe('00f067aa0ba902b7')
    expect(span.request_id).toMatch(/^[0-9a-f]{32}$/)
    expect(span.http?.route).toBe('unmatched')
  })

  it('a thrown error gives one errored event with the error, level error', async () => {
    const { mem, logger } = setup()
    const { url, server } = await serve(logger, async (_req, _res, route) => {
      route('/boom')
      throw new TypeError('kaput')
    })
    servers.push(server)
    expect((await fetch(`${url}/boom`)).status).toBe(500)
    await logger.flush()
    expect(mem.events).toHaveLength(1)
    expect(mem.events[0]).toMatchObject({
      level: 'error',
      status: 'error',
      http: { status_code: 500, outcome: 'errored' },
      error: { type: 'TypeError', message: 'kaput' },
    })
  })

  it('a client that goes away gives one aborted event and no fake 200', async () => {
    const { mem, logger } = setup()
    let release: () => void = () => {}
    const { url, server } = await serve(
      logger,
      (_req, res) => new Promise<void>((r) => (release = () => (res.end('late'), r()))),
    )
    servers.push(server)
    const ac = new AbortController()
    const p = fetch(`${url}/slow`, { signal: ac.signal }).catch(() => 'aborted')
    await new Promise((r) => setTimeout(r, 50))
    ac.abort()
    expect(await p).toBe('aborted')
    await new Promise((r) => setTimeout(r, 50))
    release()
    await logger.flush()
    expect(mem.events).toHaveLength(1)
    expect(mem.events[0]).toMatchObject({
      level: 'warn',
      status: 'cancelled',
      http: { outcome: 'aborted' },
    })
    expect(mem.events[0]?.http?.status_code).toBeUndefined()
  })

  it('skipped paths get no event but keep context for app logs', async () => {
    const { mem, logger } = setup()
    const { url, server } = await serve(logger, (_req, res) => {
      logger.info('health check')
      res.end('ok')
    })
    servers.push(server)
    await fetch(`${url}/health`)
    await logger.flush()
    expect(mem.spans()).toHaveLength(0)
    expect(mem.logs()[0]?.request_id).toBeDefined()
    expect(mem.logs()[0]?.trace_id).toMatch(/^[0-9a-f]{32}$/)
  })

  it('hooks that throw are reported, never thrown into the request', async () => {
    const { mem, logger } = setup()
    const { url, server } = await serve(logger, (_req, res) => void res.end('fine'), {
      getUser: () => {
        throw new Error('hook bug')
      },
      attributes: () => {
        throw new Error('hook bug 2')
      },
      level: () => {
        throw new Error('hook bug 3')
      },
    })
    servers.push(server)
    expect(await (await fetch(`${url}/a`)).text()).toBe('fine')
    await logger.flush()
    expect(mem.spans()).toHaveLength(1)
    expect(mem.spans()[0]?.level).toBe('info')
  })

  it('instrumentFetch: service A -> service B is one trace, B parented by the client span of A', async () => {
    const { mem, logger } = setup()
    const tracedFetch = instrumentFetch(fetch, { logger })
    const b = await serve(logger, (_req, res, route) => {
      route('/b')
      res.end('from b')
    })
    const a = await serve(logger, async (_req, res, route) => {
      route('/a')
      const r = await tracedFetch(`${b.url}/b`)
      res.end(`a+${await r.text()}`)
    })
    servers.push(a.server, b.server)
    expect(await (await fetch(`${a.url}/a`)).text()).toBe('a+from b')
    await logger.flush()
    const spans = mem.spans()
    const server = (route: string) => spans.find((s) => s.http?.route === route)!
    const client = spans.find((s) => s.span_kind === 'client')!
    expect(new Set(spans.map((s) => s.trace_id)).size).toBe(1)
    expect(client.parent_span_id).toBe(server('/a').span_id)
    expect(server('/b').parent_span_id).toBe(client.span_id)
    expect(client).toMatchObject({
      http: { method: 'GET', path: '/b', status_code: 200 },
      category: 'http',
      event: 'outgoing_request',
    })
  })
})
