import { gzipSync } from 'node:zlib'
import type { ThreadlineEvent } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { event, hex, traceEvents } from './helpers.js'

const post = (
  server: ThreadlineServer,
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
) => server.app.inject({ method: 'POST', url, payload: payload as object, headers })

describe('server in local mode', () => {
  let store: Store
  let server: ThreadlineServer
  beforeAll(async () => {
    store = await createStore({ dataDir: 'memory' })
    server = await createServer({ store, port: 0 })
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await store.close()
  })

  it('says it is local and needs no key', async () => {
    expect(server.mode).toBe('local')
    const health = await server.app.inject({ url: '/healthz' })
    expect(health.json()).toMatchObject({ status: 'ok', engine: 'pglite', mode: 'local' })
  })

  it('ingests a native batch, gzip or not, and reports rejects by index', async () => {
    const t = traceEvents()
    const r = await post(server, '/v1/events', { events: t.events })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] })
    // The same batch again (a client retry) stores nothing twice.
    const again = await server.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: gzipSync(JSON.stringify({ events: t.events })),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    })
    expect(again.json()).toEqual({ accepted: 0, duplicates: 3, rejected: [] })
    const mixed = [event(), { ...event(), timestamp: 'soon' }, event()]
    const m = await post(server, '/v1/events', mixed)
    expect(m.json()).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [{ index: 1, id: mixed[1]!.id, reason: 'timestamp is not a valid ISO date' }],
    })
  })

  it('answers bad requests with a 4xx that names the problem', async () => {
    const notEvents = await post(server, '/v1/events', { items: [] })
    expect(notEvents.statusCode).toBe(400)
    expect(notEvents.json()).toMatchObject({ error: 'invalid_body', field: 'events' })
    const badJson = await server.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: '{"events": [',
      headers: { 'content-type': 'application/json' },
    })
    expect(badJson.statusCode).toBe(400)
    const badGzip = await server.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: 'not gzip',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    })
    expect(badGzip.statusCode).toBe(400)
    const br = await server.app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: '{}',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    })
    expect(br.statusCode).toBe(415)
    const proto = await server.app.inject({
      method: 'POST',
      url: '/v1/traces',
      payload: Buffer.from([1, 2, 3]),
      headers: { 'content-type': 'application/x-protobuf' },
    })
    expect(proto.statusCode).toBe(415)
    expect(proto.json().message).toMatch(/http\/json/)
    const filter = await post(server, '/api/logs/query', { filters: { level: 'loud' } })
    expect(filter.statusCode).toBe(400)
    expect(filter.json()).toMatchObject({ error: 'invalid_filter', field: 'level' })
    const sort = await post(server, '/api/logs/query', { sort_by: 'body; drop table events' })
    expect(sort.json()).toMatchObject({ field: 'sort_by' })
  })

  it('stops a gzip bomb at the body limit', async () => {
    const small = await createServer({ store, port: 0, bodyLimit: 100_000 })
    try {
      const bomb = gzipSync(JSON.stringify({ events: [event({ message: 'x'.repeat(1_000_000) })] }))
      expect(bomb.length).toBeLessThan(100_000)
      const r = await small.app.inject({
        method: 'POST',
        url: '/v1/events',
        payload: bomb,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      })
      expect(r.statusCode).toBe(413)
    } finally {
      await small.close()
    }
  })

  it('refuses more events per request than allowed, with 413', async () => {
    const tight = await createServer({ store, port: 0, maxBatchEvents: 2 })
    try {
      const r = await post(tight, '/v1/events', [event(), event(), event()])
      expect(r.statusCode).toBe(413)
      expect(r.json().error).toBe('too_many_events')
    } finally {
      await tight.close()
    }
  })

  it('serves the query API in the seeds shape', async () => {
    const t = traceEvents({ error: true, user: 'user-123' })
    await post(server, '/v1/events', t.events)
    const q = await post(server, '/api/logs/query', {
      filters: {
        log_types: ['llm'],
        severities: ['error', 'critical'],
        start_date: new Date(Date.now() - 3_600_000).toISOString(),
        search: 'generation',
      },
      limit: 100,
      offset: 0,
      sort_by: 'created_at',
      sort_order: 'desc',
      with_total: true,
    })
    expect(q.statusCode).toBe(200)
    const body = q.json()
    expect(body.total).toBe(1)
    expect(body.events[0].trace_id).toBe(t.trace_id)

    const trace = await server.app.inject({ url: `/api/logs/trace/${t.trace_id}` })
    expect(trace.statusCode).toBe(200)
    expect(trace.json()).toMatchObject({
      trace_id: t.trace_id,
      span_count: 2,
      error_count: 2,
      total_tokens: 120,
    })
    expect((await server.app.inject({ url: `/api/logs/trace/${hex(16)}` })).statusCode).toBe(404)

    const errors = await server.app.inject({ url: '/api/errors?since=1h&user_id=user-123' })
    expect(
      errors.json().errors.find((g: { fingerprint: string }) => g.fingerprint === 'fp-api'),
    ).toMatchObject({ count: 1 })
    const stats = await server.app.inject({ url: '/api/stats?group_by=model&kinds=span&since=1h' })
    const model = stats
      .json()
      .stats.find((s: { group: { model: string } }) => s.group.model === 'gpt-4o-mini')
    expect(model.input_tokens).toBeGreaterThanOrEqual(100)
    const bad = await server.app.inject({ url: '/api/stats?group_by=password' })
    expect(bad.json()).toMatchObject({ error: 'invalid_filter', field: 'group_by' })
    const badNumber = await server.app.inject({ url: '/api/errors?limit=lots' })
    expect(badNumber.json()).toMatchObject({ field: 'limit' })
  })

  it('streams exports as CSV, JSON lines or a JSON array', async () => {
    const t = traceEvents()
    await post(server, '/v1/events', t.events)
    const csv = await post(server, '/api/logs/export', {
      filters: { trace_id: t.trace_id },
      format: 'csv',
    })
    expect(csv.headers['content-type']).toMatch(/text\/csv/)
    expect(csv.body.split('\r\n').filter(Boolean)).toHaveLength(4)
    const jsonl = await post(server, '/api/logs/export', { trace_id: t.trace_id, format: 'jsonl' })
    expect(
      jsonl.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([...t.events].sort((a, b) => a.timestamp.localeCompare(b.timestamp)).map((e) => e.id))
    const json = await post(server, '/api/logs/export', { trace_id: t.trace_id, format: 'json' })
    expect((JSON.parse(json.body) as ThreadlineEvent[]).map((e) => e.trace_id)).toEqual([
      t.trace_id,
      t.trace_id,
      t.trace_id,
    ])
    const empty = await post(server, '/api/logs/export', { trace_id: hex(16), format: 'json' })
    expect(JSON.parse(empty.body)).toEqual([])
    const bad = await post(server, '/api/logs/export', { format: 'xlsx' })
    expect(bad.statusCode).toBe(400)
  })

  it('runs big exports as jobs: progress, then download', async () => {
    const t = traceEvents()
    await post(server, '/v1/events', t.events)
    const start = await post(server, '/api/logs/export', {
      trace_id: t.trace_id,
      format: 'jsonl',
      mode: 'job',
    })
    expect(start.statusCode).toBe(202)
    const { id, status_url } = start.json()
    let status
    for (let i = 0; i < 100; i++) {
      status = (await server.app.inject({ url: status_url })).json()
      if (status.status !== 'running') break
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(status).toMatchObject({ id, status: 'done', rows: 3 })
    const file = await server.app.inject({ url: status.download_url })
    expect(file.body.trim().split('\n')).toHaveLength(3)
    expect((await server.app.inject({ url: '/api/logs/export/nope' })).statusCode).toBe(404)
  })

  it('exposes Prometheus metrics for ingest and queries', async () => {
    const m = await server.app.inject({ url: '/metrics' })
    expect(m.statusCode).toBe(200)
    expect(m.body).toMatch(
      /threadline_ingest_events_total\{source="native",outcome="accepted"\} \d+/,
    )
    expect(m.body).toContain('threadline_ingest_batch_events_bucket')
    expect(m.body).toContain('threadline_query_duration_seconds_bucket{le="0.001",route="query"}')
    expect(m.body).toContain('threadline_ingest_pending_events 0')
  })
})

describe('server with API keys', () => {
  let store: Store
  let server: ThreadlineServer
  let acme: string
  let acmeIngestOnly: string
  let globex: string
  beforeAll(async () => {
    store = await createStore({ dataDir: 'memory' })
    acme = (await store.keys.create({ org_id: 'acme' })).key
    acmeIngestOnly = (await store.keys.create({ org_id: 'acme', scopes: ['ingest'] })).key
    globex = (await store.keys.create({ org_id: 'globex' })).key
    server = await createServer({ store, port: 0, host: '0.0.0.0' })
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await store.close()
  })
  const auth = (key: string) => ({ authorization: `Bearer ${key}` })

  it('requires a valid key with the right scope', async () => {
    expect(server.mode).toBe('keys')
    expect((await post(server, '/v1/events', [event()])).statusCode).toBe(401)
    expect((await post(server, '/v1/events', [event()], auth('tl_nope'))).statusCode).toBe(401)
    expect(
      (await post(server, '/v1/events', [event()], { 'x-api-key': acmeIngestOnly })).statusCode,
    ).toBe(200)
    const read = await post(server, '/api/logs/query', {}, auth(acmeIngestOnly))
    expect(read.statusCode).toBe(403)
  })

  it('stamps the key’s org on ingested events and scopes every read to it', async () => {
    const a = traceEvents({ org: 'globex' }) // claims another org: the key decides
    await post(server, '/v1/events', a.events, auth(acme))
    const b = traceEvents({ org: 'globex' })
    await post(server, '/v1/events', b.events, auth(globex))

    const mine = await post(server, '/api/logs/query', { with_total: true }, auth(acme))
    expect(mine.json().events.every((e: ThreadlineEvent) => e.org_id === 'acme')).toBe(true)
    expect(mine.json().events.map((e: ThreadlineEvent) => e.trace_id)).toContain(a.trace_id)
    expect(mine.json().events.map((e: ThreadlineEvent) => e.trace_id)).not.toContain(b.trace_id)

    const widen = await post(
      server,
      '/api/logs/query',
      { filters: { org_id: 'globex' } },
      auth(acme),
    )
    expect(widen.statusCode).toBe(403)
    expect(
      (await server.app.inject({ url: `/api/logs/trace/${b.trace_id}`, headers: auth(acme) }))
        .statusCode,
    ).toBe(404)
    expect(
      (await server.app.inject({ url: `/api/logs/trace/${b.trace_id}`, headers: auth(globex) }))
        .statusCode,
    ).toBe(200)
    const stats = await server.app.inject({ url: '/api/stats?group_by=org', headers: auth(globex) })
    expect(stats.json().stats.map((s: { group: { org: string } }) => s.group.org)).toEqual([
      'globex',
    ])
    const exp = await post(server, '/api/logs/export', { format: 'jsonl' }, auth(globex))
    expect(
      exp.body
        .trim()
        .split('\n')
        .every((l) => JSON.parse(l).org_id === 'globex'),
    ).toBe(true)
  })

  it('keeps export jobs private to their org', async () => {
    const start = await post(server, '/api/logs/export', { format: 'csv', mode: 'job' }, auth(acme))
    const { status_url } = start.json()
    expect((await server.app.inject({ url: status_url, headers: auth(globex) })).statusCode).toBe(
      404,
    )
    expect((await server.app.inject({ url: status_url, headers: auth(acme) })).statusCode).toBe(200)
  })

  it('refuses to start local mode on a public interface', async () => {
    const empty = await createStore({ dataDir: 'memory' })
    try {
      await expect(createServer({ store: empty, host: '0.0.0.0' })).rejects.toThrow(/local mode/)
    } finally {
      await empty.close()
    }
  })
})

const PG_URL = process.env.THREADLINE_TEST_PG_URL
describe.skipIf(!PG_URL)('server on PostgreSQL', () => {
  const schema = `srv_${process.pid}_${hex(3)}`
  let store: Store
  let server: ThreadlineServer
  beforeAll(async () => {
    store = await createStore({ databaseUrl: PG_URL!, schema, poolSize: 4 })
    server = await createServer({ store, port: 0 })
  }, 60_000)
  afterAll(async () => {
    await server.close()
    const pg = (await import('pg')).default
    const client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
    await store.close()
  })

  it('groups concurrent requests into writes and answers each with its own result', async () => {
    const batches = Array.from({ length: 10 }, (_, i) => [
      ...traceEvents({ user: `u-${i}` }).events,
      { ...event(), level: 'nope' } as unknown as ThreadlineEvent,
    ])
    const results = await Promise.all(batches.map((b) => post(server, '/v1/events', b)))
    for (const r of results) {
      expect(r.json()).toMatchObject({ accepted: 3, duplicates: 0 })
      expect(r.json().rejected).toEqual([expect.objectContaining({ index: 3 })])
    }
    expect(await store.count()).toBe(30)
    const trace = await server.app.inject({ url: `/api/logs/trace/${batches[3]![0]!.trace_id}` })
    expect(trace.json().span_count).toBe(2)
  })
})
