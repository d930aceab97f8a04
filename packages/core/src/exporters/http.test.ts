import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { diag } from '../diag.js'
import type { DiagLevel } from '../diag.js'
import { ThreadlineConfigError } from '../errors.js'
import { uuidv7 } from '../ids.js'
import { createLogger } from '../logger.js'
import type { Logger } from '../logger.js'
import { serializeEvent } from '../pipeline.js'
import type { ExportRecord, ExportResult, PipelineStats, ThreadlineEvent } from '../types.js'
import { httpExporter, parseRetryAfter } from './http.js'
import { memoryExporter } from './memory.js'

// ---------------------------------------------------------------- helpers

interface Received {
  path: string | undefined
  headers: IncomingHttpHeaders
  raw: string
  ids: string[]
  at: number
}

type Handler = (req: IncomingMessage, res: ServerResponse, n: number, rec: Received) => void

interface TestServer {
  server: Server
  port: number
  url: string
  requests: Received[]
  close(): Promise<void>
}

const open: TestServer[] = []

async function startServer(handler: Handler, port = 0): Promise<TestServer> {
  const requests: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const buf = Buffer.concat(chunks)
      const raw = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(buf) : buf).toString()
      let ids: string[] = []
      try {
        ids = (JSON.parse(raw) as { events: ThreadlineEvent[] }).events.map((e) => e.id)
      } catch {
        ids = []
      }
      const rec: Received = { path: req.url, headers: req.headers, raw, ids, at: performance.now() }
      requests.push(rec)
      handler(req, res, requests.length, rec)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const actual = (server.address() as AddressInfo).port
  const ts: TestServer = {
    server,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  open.push(ts)
  return ts
}

function json(res: ServerResponse, status: number, body: unknown, headers = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

const ok: Handler = (_req, res, _n, rec) =>
  json(res, 200, { accepted: rec.ids.length, rejected: [], duplicates: 0 })

function records(n: number): ExportRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const event: ThreadlineEvent = {
      id: uuidv7(),
      kind: 'log',
      timestamp: new Date().toISOString(),
      level: 'info',
      message: `event ${i}`,
      service: 'svc',
    }
    return { event, json: serializeEvent(event) }
  })
}

function captureDiag(): { entries: { level: DiagLevel; message: string; detail: string }[] } {
  const entries: { level: DiagLevel; message: string; detail: string }[] = []
  const stop = diag.subscribe((level, message, detail) => {
    let d = ''
    try {
      d = detail instanceof Error ? `${detail.message}` : (JSON.stringify(detail) ?? '')
    } catch {
      d = String(detail)
    }
    entries.push({ level, message, detail: d })
  })
  cleanups.push(stop)
  return { entries }
}

/** emitted = delivered + dropped + queued, per exporter; the mismatches. */
function accountingErrors(stats: PipelineStats): string[] {
  const errors: string[] = []
  for (const ex of stats.exporters) {
    const dropped = Object.values(ex.dropped).reduce((a, b) => a + b, 0)
    const total = ex.delivered + dropped + ex.queued
    if (total !== stats.emitted)
      errors.push(`${ex.name}: ${ex.delivered} + ${dropped} + ${ex.queued} != ${stats.emitted}`)
  }
  return errors
}

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}

async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

const cleanups: (() => unknown)[] = []
const loggers: Logger[] = []

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const c of cleanups.splice(0)) c()
  for (const l of loggers.splice(0)) await l.shutdown(1000)
  for (const s of open.splice(0)) await s.close()
})

function failure(r: ExportResult): Extract<ExportResult, { ok: false }> {
  if (r.ok) throw new Error('expected a failed export')
  return r
}

// ---------------------------------------------------------------- tests

describe('httpExporter', () => {
  it('posts gzip JSON {"events":[...]} with the records ids and a bearer token', async () => {
    const srv = await startServer(ok)
    const ex = httpExporter({ url: srv.url, apiKey: 'k-123', headers: { 'x-extra': 'yes' } })
    const batch = records(3)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(1)
    const req = srv.requests[0]!
    expect(req.path).toBe('/v1/events')
    expect(req.headers['content-encoding']).toBe('gzip')
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers['authorization']).toBe('Bearer k-123')
    expect(req.headers['x-extra']).toBe('yes')
    expect(req.ids).toEqual(batch.map((r) => r.event.id))
    expect(JSON.parse(req.raw)).toEqual({ events: batch.map((r) => r.event) })
  })

  it('sends the serialized lines verbatim without gzip, to a URL already ending in /v1/events', async () => {
    const srv = await startServer(ok)
    const ex = httpExporter({ url: `${srv.url}/v1/events/`, gzip: false, apiKey: '' })
    const batch = records(2)
    expect(await ex.export(batch)).toEqual({ ok: true })
    const req = srv.requests[0]!
    expect(req.path).toBe('/v1/events')
    expect(req.headers['content-encoding']).toBeUndefined()
    expect(req.headers['authorization']).toBeUndefined()
    expect(req.raw).toBe(`{"events":[${batch.map((r) => r.json).join(',')}]}`)
  })

  it('appends /v1/events to a base URL with a path prefix', async () => {
    const srv = await startServer(ok)
    const ex = httpExporter({ url: `${srv.url}/ingest/` })
    expect(await ex.export(records(1))).toEqual({ ok: true })
    expect(srv.requests[0]!.path).toBe('/ingest/v1/events')
  })

  it('reads the API key from THREADLINE_API_KEY by default', async () => {
    vi.stubEnv('THREADLINE_API_KEY', 'from-env')
    const srv = await startServer(ok)
    expect(await httpExporter({ url: srv.url }).export(records(1))).toEqual({ ok: true })
    expect(srv.requests[0]!.headers['authorization']).toBe('Bearer from-env')
  })

  it('does not send a request for an empty batch', async () => {
    const srv = await startServer(ok)
    expect(await httpExporter({ url: srv.url }).export([])).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(0)
  })

  it('retries 503 and 502 with backoff, then succeeds with the same batch', async () => {
    const srv = await startServer((req, res, n, rec) => {
      if (n === 1) json(res, 503, { error: 'busy' })
      else if (n === 2) json(res, 502, { error: 'bad gateway' })
      else ok(req, res, n, rec)
    })
    const ex = httpExporter({ url: srv.url, initialBackoffMs: 10, maxBackoffMs: 50 })
    const batch = records(5)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(3)
    for (const r of srv.requests) expect(r.ids).toEqual(batch.map((b) => b.event.id))
  })

  it.each([408, 429, 500, 504])('retries %i', async (status) => {
    const srv = await startServer((req, res, n, rec) =>
      n === 1 ? json(res, status, { error: 'later' }) : ok(req, res, n, rec),
    )
    const ex = httpExporter({ url: srv.url, initialBackoffMs: 5, maxBackoffMs: 10 })
    expect(await ex.export(records(1))).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(2)
  })

  it('honours Retry-After in seconds on 429', async () => {
    const srv = await startServer((req, res, n, rec) =>
      n === 1
        ? json(res, 429, { error: 'slow down' }, { 'retry-after': '1' })
        : ok(req, res, n, rec),
    )
    const ex = httpExporter({ url: srv.url, initialBackoffMs: 1, maxBackoffMs: 1 })
    expect(await ex.export(records(1))).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(2)
    const gap = srv.requests[1]!.at - srv.requests[0]!.at
    expect(gap).toBeGreaterThanOrEqual(1000 - 50)
  })

  it('honours Retry-After as an HTTP-date on 503', async () => {
    let asked = 0
    const srv = await startServer((req, res, n, rec) => {
      if (n === 1) {
        const now = Date.now()
        const date = new Date(now + 2000).toUTCString() // whole seconds: 1 to 2 s from now
        asked = Date.parse(date) - now
        json(res, 503, { error: 'maintenance' }, { 'retry-after': date })
      } else ok(req, res, n, rec)
    })
    const ex = httpExporter({ url: srv.url, initialBackoffMs: 1, maxBackoffMs: 1 })
    expect(await ex.export(records(1))).toEqual({ ok: true })
    expect(srv.requests).toHaveLength(2)
    expect(asked).toBeGreaterThan(900)
    const gap = srv.requests[1]!.at - srv.requests[0]!.at
    expect(gap).toBeGreaterThanOrEqual(asked - 50)
  })

  it('gives up at once when Retry-After is past the retry budget', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 503, { error: 'down' }, { 'retry-after': '120' }),
    )
    const ex = httpExporter({ url: srv.url, maxRetryMs: 2000 })
    const r = failure(await ex.export(records(2)))
    expect(r.reason).toBe('retry_exhausted')
    expect(r.retryable).toBe(true)
    expect(String(r.error)).toMatch(/Retry-After/)
    expect(srv.requests).toHaveLength(1)
  })

  it.each([
    [400, 'events must be an array'],
    [401, 'invalid API key'],
    [403, 'key cannot write to this org'],
    [413, 'body too large'],
    [422, 'unprocessable'],
  ])(
    'does not retry %i: one request, reason "rejected", status and message reported',
    async (status, message) => {
      const { entries } = captureDiag()
      const srv = await startServer((_req, res) => json(res, status, { error: message }))
      const ex = httpExporter({ url: srv.url, initialBackoffMs: 1 })
      // a 413 for several events is split instead (tested below)
      const r = failure(await ex.export(records(status === 413 ? 1 : 4)))
      expect(r.reason).toBe('rejected')
      expect(r.retryable).toBeUndefined()
      expect(String(r.error)).toContain(String(status))
      expect(String(r.error)).toContain(message)
      expect((r.error as { status?: number }).status).toBe(status)
      await sleep(50)
      expect(srv.requests).toHaveLength(1)
      const warn = entries.find((e) => e.level === 'warn' && e.message.startsWith('http exporter'))
      expect(warn?.detail).toContain(String(status))
      expect(warn?.detail).toContain(message)
    },
  )

  it('sends a batch over maxRequestBytes as several requests, in order', async () => {
    const srv = await startServer(ok)
    const batch = records(10)
    const one = Buffer.byteLength(batch[0]!.json) + 1
    const ex = httpExporter({ url: srv.url, maxRequestBytes: one * 3 + 20 })
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(srv.requests.map((r) => r.ids.length)).toEqual([3, 3, 3, 1])
    expect(srv.requests.flatMap((r) => r.ids)).toEqual(batch.map((r) => r.event.id))
    for (const r of srv.requests) expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(one * 3 + 20)
  })

  it('halves a request answered 413 until it fits; a single event answered 413 is rejected', async () => {
    const srv = await startServer((req, res, n, rec) =>
      rec.ids.length > 3 || rec.raw.includes('"event 7"')
        ? json(res, 413, { error: 'too_many_events', message: 'the limit is 3' })
        : ok(req, res, n, rec),
    )
    const batch = records(10)
    const r = failure(await httpExporter({ url: srv.url }).export(batch))
    expect(r.reason).toBe('rejected')
    // the seven events sent before the refused one count as delivered, not dropped
    expect(r.delivered).toBe(7)
    expect(String(r.error)).toContain('413')
    expect(String(r.error)).toContain('too_many_events: the limit is 3')
    const delivered = srv.requests.filter((q) => q.ids.length <= 3 && !q.raw.includes('"event 7"'))
    // 10 -> 5 + 5 -> (3 + 2) + (3: events 5-7 -> 2 + 1 (event 7, rejected))
    expect(delivered.flatMap((q) => q.ids)).toEqual(batch.slice(0, 7).map((b) => b.event.id))

    srv.requests.length = 0
    const fine = records(7)
    expect(await httpExporter({ url: srv.url }).export(fine)).toEqual({ ok: true })
    const got = srv.requests.filter((q) => q.ids.length <= 3).flatMap((q) => q.ids)
    expect(got).toEqual(fine.map((b) => b.event.id))
  })

  it('never puts the API key in errors or diagnostics, even when the server echoes it', async () => {
    const { entries } = captureDiag()
    const key = 'tl_live_supersecret_0123456789'
    const srv = await startServer((req, res) =>
      json(res, 401, { error: `bad credentials: ${String(req.headers['authorization'])}` }),
    )
    const ex = httpExporter({ url: srv.url, apiKey: key })
    const r = failure(await ex.export(records(1)))
    expect(srv.requests[0]!.headers['authorization']).toBe(`Bearer ${key}`)
    expect(String(r.error)).toContain('401')
    expect(String(r.error)).not.toContain(key)
    expect(entries.length).toBeGreaterThan(0)
    for (const e of entries) expect(e.message + e.detail).not.toContain(key)
  })

  it('counts a rejected batch under "rejected" in the logger stats', async () => {
    const srv = await startServer((_req, res) => json(res, 400, { error: 'bad batch' }))
    const logger = createLogger({
      service: 'svc',
      exporters: [httpExporter({ url: srv.url })],
      hookProcess: false,
    })
    loggers.push(logger)
    for (let i = 0; i < 10; i++) logger.info('x', { i })
    await logger.flush()
    const s = logger.stats()
    expect(s.exporters[0]!.dropped).toEqual({ rejected: 10 })
    expect(s.exporters[0]!.delivered).toBe(0)
    expect(accountingErrors(s)).toEqual([])
    expect(srv.requests).toHaveLength(1)
  })

  it('counts events refused inside a 2xx as dropped ("rejected") in the logger stats', async () => {
    // the server refuses every event whose i is odd, and stores the rest
    const srv = await startServer((_req, res, _n, rec) => {
      const { events } = JSON.parse(rec.raw) as { events: ThreadlineEvent[] }
      const rejected = events
        .map((e, index) => ({ index, i: e.attributes?.['i'] as number | undefined }))
        .filter((x) => (x.i ?? 0) % 2 === 1)
        .map(({ index }) => ({ index, reason: 'odd' }))
      json(res, 200, { accepted: rec.ids.length - rejected.length, rejected, duplicates: 0 })
    })
    const logger = createLogger({
      service: 'svc',
      exporters: [httpExporter({ url: srv.url, maxRequestBytes: 2048 })],
      hookProcess: false,
    })
    loggers.push(logger)
    for (let i = 0; i < 20; i++) logger.info('x', { i })
    await logger.flush()
    const s = logger.stats()
    expect(srv.requests.length).toBeGreaterThan(1) // split by size: partial counts add up
    expect(s.exporters[0]!.dropped).toEqual({ rejected: 10 })
    expect(s.exporters[0]!.delivered).toBe(10)
    expect(accountingErrors(s)).toEqual([])
  })

  it('retries network errors until the budget is spent, then returns retry_exhausted', async () => {
    const { entries } = captureDiag()
    const port = await closedPort()
    const ex = httpExporter({
      url: `http://127.0.0.1:${port}`,
      maxRetryMs: 300,
      initialBackoffMs: 10,
      maxBackoffMs: 40,
    })
    const r = failure(await ex.export(records(3)))
    expect(r.reason).toBe('retry_exhausted')
    expect(r.retryable).toBe(true)
    expect(String(r.error)).toMatch(/ECONNREFUSED/)
    const retries = entries.filter((e) => e.message.includes('retrying'))
    expect(retries.length).toBeGreaterThan(1)
  })

  it('stops after maxAttempts', async () => {
    const srv = await startServer((_req, res) => json(res, 503, { error: 'down' }))
    const ex = httpExporter({ url: srv.url, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 })
    const r = failure(await ex.export(records(1)))
    expect(r.reason).toBe('retry_exhausted')
    expect(srv.requests).toHaveLength(3)
  })

  it('times out a request that gets no answer and retries it', async () => {
    const srv = await startServer(() => {
      // never answers
    })
    const ex = httpExporter({
      url: srv.url,
      timeoutMs: 100,
      maxRetryMs: 400,
      initialBackoffMs: 10,
      maxBackoffMs: 20,
    })
    const r = failure(await ex.export(records(1)))
    expect(r.reason).toBe('retry_exhausted')
    expect(String(r.error)).toMatch(/timed out/)
    expect(srv.requests.length).toBeGreaterThan(1)
  })

  it('a 2xx with rejected events: the rest delivered, the refused counted and reported', async () => {
    const { entries } = captureDiag()
    const srv = await startServer((_req, res, _n, rec) =>
      json(res, 200, {
        accepted: rec.ids.length - 2,
        rejected: [
          { index: 1, reason: 'timestamp out of range' },
          { index: 3, reason: 'bad trace_id' },
        ],
        duplicates: 0,
      }),
    )
    const batch = records(5)
    expect(await httpExporter({ url: srv.url }).export(batch)).toEqual({ ok: true, rejected: 2 })
    expect(srv.requests).toHaveLength(1)
    const warn = entries.find((e) => e.message.includes('rejected some events'))
    expect(warn?.level).toBe('warn')
    expect(warn?.detail).toContain('"rejected":2')
    expect(warn?.detail).toContain(batch[1]!.event.id)
    expect(warn?.detail).toContain('bad trace_id')
  })

  it('accepts a 2xx without a JSON body', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(204)
      res.end()
    })
    expect(await httpExporter({ url: srv.url }).export(records(2))).toEqual({ ok: true })
  })

  it('shutdown() during a backoff wait returns promptly and ends the export as "shutdown"', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 503, { error: 'down' }, { 'retry-after': '10' }),
    )
    const ex = httpExporter({ url: srv.url, maxRetryMs: 20_000 })
    const pending = Promise.resolve(ex.export(records(2)))
    await waitFor(() => srv.requests.length === 1)
    await sleep(20)
    const t0 = performance.now()
    await ex.shutdown?.()
    const r = failure(await pending)
    expect(performance.now() - t0).toBeLessThan(2000)
    expect(r.reason).toBe('shutdown')
    expect(srv.requests).toHaveLength(1)
    expect(failure(await ex.export(records(1))).reason).toBe('shutdown')
  })

  it('logger.shutdown() does not wait out the retry budget while the server is down', async () => {
    const port = await closedPort()
    const logger = createLogger({
      service: 'svc',
      exporters: [httpExporter({ url: `http://127.0.0.1:${port}`, initialBackoffMs: 200 })],
      hookProcess: false,
      batch: { flushIntervalMs: 5 },
    })
    for (let i = 0; i < 20; i++) logger.info('x', { i })
    await sleep(50)
    const t0 = performance.now()
    await logger.shutdown(300)
    expect(performance.now() - t0).toBeLessThan(3000)
    await waitFor(() => logger.stats().exporters[0]!.queued === 0, 2000)
    const s = logger.stats()
    expect(accountingErrors(s)).toEqual([])
    expect(s.exporters[0]!.queued).toBe(0)
    expect(s.exporters[0]!.delivered).toBe(0)
  })

  it('loses nothing when the server restarts mid-stream', { timeout: 30_000 }, async () => {
    const { entries } = captureDiag()
    const first = await startServer(ok)
    const port = first.port
    const mem = memoryExporter()
    const logger = createLogger({
      service: 'svc',
      level: 'trace',
      exporters: [
        httpExporter({
          url: first.url,
          initialBackoffMs: 20,
          maxBackoffMs: 200,
          timeoutMs: 2000,
        }),
        mem,
      ],
      hookProcess: false,
      batch: { maxBatchSize: 100, flushIntervalMs: 5 },
    })
    loggers.push(logger)
    let n = 0
    const emit = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        logger.info('tick', { n: n++ })
        if (i % 50 === 49) await sleep(1)
      }
    }

    await emit(700)
    await waitFor(() => first.requests.reduce((a, r) => a + r.ids.length, 0) >= 300)
    await emit(100) // some of these are in flight while the server goes away
    await first.close()
    await emit(600) // server down: refused, retried
    await sleep(300)
    const second = await startServer(ok, port)
    await emit(600)

    expect(await logger.flush(20_000)).toBe(true)
    const emitted = mem.events.map((e) => e.id)
    expect(emitted).toHaveLength(2000)
    const seen = new Map<string, number>()
    for (const srv of [first, second])
      for (const r of srv.requests) for (const id of r.ids) seen.set(id, (seen.get(id) ?? 0) + 1)
    const missing = emitted.filter((id) => !seen.has(id))
    expect(missing).toEqual([])
    expect(seen.size).toBe(2000)
    expect(second.requests.length).toBeGreaterThan(0)
    expect(entries.some((e) => e.message.includes('retrying'))).toBe(true)

    const s = logger.stats()
    expect(accountingErrors(s)).toEqual([])
    const http = s.exporters.find((e) => e.name === 'http')!
    expect(http.delivered).toBe(2000)
    expect(http.dropped).toEqual({})
    expect(http.queued).toBe(0)
  })

  it('throws ThreadlineConfigError for options that cannot work', () => {
    const bad: unknown[] = [
      {},
      { url: 'not a url' },
      { url: 'ftp://example.com' },
      { url: 'http://user:pass@example.com' },
      { url: 'http://x', timeoutMs: 0 },
      { url: 'http://x', maxRetryMs: -1 },
      { url: 'http://x', initialBackoffMs: 0 },
      { url: 'http://x', maxRequestBytes: 0 },
      { url: 'http://x', maxAttempts: 0 },
      { url: 'http://x', maxAttempts: 1.5 },
      { url: 'http://x', apiKey: 'a\nb' },
      { url: 'http://x', headers: { 'bad header': 'x' } },
    ]
    for (const o of bad)
      expect(
        () => httpExporter(o as Parameters<typeof httpExporter>[0]),
        JSON.stringify(o),
      ).toThrow(ThreadlineConfigError)
  })

  it('has batching hints and a no-op forceFlush', async () => {
    const ex = httpExporter({ url: 'http://127.0.0.1:1', batching: { maxBatchSize: 50 } })
    expect(ex.name).toBe('http')
    expect(ex.batching).toEqual({ maxBatchSize: 50, flushIntervalMs: 1000, maxQueueSize: 20_000 })
    expect(httpExporter({ url: 'http://127.0.0.1:1' }).batching?.maxBatchSize).toBe(1000)
    await expect(ex.forceFlush?.()).resolves.toBeUndefined()
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})

describe('httpExporter() configured from the environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it('reads THREADLINE_URL when no url is given', async () => {
    vi.stubEnv('THREADLINE_URL', 'http://127.0.0.1:9')
    const ex = httpExporter()
    await ex.shutdown?.()
  })

  it('names THREADLINE_URL in the error when neither is set', () => {
    vi.stubEnv('THREADLINE_URL', '')
    expect(() => httpExporter()).toThrow(/THREADLINE_URL/)
  })
})
