// Hostile input against the real server, on PGlite and PostgreSQL: bad events cost only
// themselves, no query input gets a 500, exports validate before streaming and are private,
// limits answer 429. Properties (fast-check) run within a bounded budget.
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diag } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { FILTERS, OPTION_TYPES } from '@threadline/store/vocabulary'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { event, hex } from './helpers.js'

const PG_URL = process.env.THREADLINE_TEST_PG_URL
const engines: { name: string; open: () => Promise<Store>; drop?: () => Promise<void> }[] = [
  { name: 'pglite', open: () => createStore({ dataDir: 'memory' }) },
]
if (PG_URL) {
  const schema = `srv_hard_${process.pid}_${randomBytes(3).toString('hex')}`
  engines.push({
    name: 'postgres',
    open: () => createStore({ databaseUrl: PG_URL, schema, poolSize: 4 }),
    async drop() {
      const pg = (await import('pg')).default
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await client.end()
    },
  })
}

/** Strings PostgreSQL cannot take, escape sequences, and ordinary text. */
const nasty = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\u0000b', '\x1b[2J', '\u2028', '%00', ''),
  fc.string({ maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
)

/** Events that must be stored (possibly normalised), and the reason class of those refused. */
const goodEvent = (trace_id: string) =>
  fc.oneof(
    fc.constant(() => event({ trace_id })),
    fc.constant(() => ({ ...event({ trace_id }), level: 30 })),
    fc.constant(() => event({ trace_id, http: { status_code: '404' as unknown as number } })),
    fc.constant(() => event({ trace_id, user_id: 7 as unknown as string })),
    nasty.map((k) => () => event({ trace_id, attributes: { [k || 'k']: k, n: { [k]: [k] } } })),
    nasty.map((m) => () => event({ trace_id, message: m })),
  )
const RAW_PROTO = '"__proto__":{"polluted":true},'
const badEvent = (trace_id: string) =>
  fc.oneof(
    fc.constant(() => event({ trace_id, duration_ms: -100 })),
    fc.constant(() => event({ trace_id, cost_usd: -1 })),
    fc.constant(() => event({ trace_id, llm: { input_tokens: -5 } })),
    fc.constant(() => ({ ...event({ trace_id }), message: undefined })),
    fc.constant(() => ({ ...event({ trace_id }), level: { x: 1 } })),
    fc.constant(() => event({ trace_id, surprise: true })),
    fc.constant(() => event({ trace_id, http: { status_code: 'teapot' as unknown as number } })),
    fc.constant(() => {
      let deep: unknown = 1
      for (let i = 0; i < 200; i++) deep = { d: deep }
      return event({ trace_id, attributes: { deep } })
    }),
    fc.constant(() => 'not an event'),
    fc.constant(() => null),
  )

for (const engine of engines) {
  describe(`hardening [${engine.name}]`, () => {
    let store: Store
    let server: ThreadlineServer
    const inject = (opts: InjectOptions) => server.app.inject(opts)

    beforeAll(async () => {
      store = await engine.open()
      server = await createServer({ store, port: 0 })
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      await store?.close()
      await engine.drop?.()
    })

    it('property: any batch stores its good events, refuses its bad ones by index with a reason, and the server stays healthy', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.oneof(
              { weight: 3, arbitrary: goodEvent('x').map((f) => ({ good: true, f })) },
              { weight: 2, arbitrary: badEvent('x').map((f) => ({ good: false, f })) },
            ),
            { minLength: 1, maxLength: 12 },
          ),
          fc.boolean(),
          async (entries, poison) => {
            const trace_id = hex(16)
            const events = entries.map(({ f }) => {
              const e = f()
              return e && typeof e === 'object' ? { ...e, trace_id } : e
            })
            let body = JSON.stringify({ events })
            // `__proto__` in the JSON text itself, as a client could send it
            if (poison) body = body.replace('{"events":[{', `{"events":[{${RAW_PROTO}`)
            const r = await inject({
              method: 'POST',
              url: '/v1/events',
              payload: body,
              headers: { 'content-type': 'application/json' },
            })
            expect(r.statusCode).toBe(200)
            const answer: { accepted: number; rejected: { index: number; reason: string }[] } =
              r.json()
            const bad = entries.flatMap((e, i) => (e.good ? [] : [i]))
            expect(answer.rejected.map((x) => x.index)).toEqual(bad)
            for (const x of answer.rejected) expect(x.reason).toMatch(/\S/)
            expect(answer.accepted).toBe(entries.length - bad.length)
            const stored = await store.query({ trace_id, limit: 100 })
            const goodIds = entries.flatMap((e, i) =>
              e.good ? [(events[i] as { id: string }).id] : [],
            )
            expect(stored.events.map((e) => e.id).sort()).toEqual(goodIds.sort())
            for (const e of stored.events) {
              expect(typeof e.level).toBe('string')
              expect(typeof e.message).toBe('string')
            }
            expect(({} as Record<string, unknown>).polluted).toBeUndefined()
          },
        ),
        { numRuns: 40, interruptAfterTimeLimit: 20_000 },
      )
      expect((await inject({ url: '/healthz' })).statusCode).toBe(200)
    }, 60_000)

    it('property: any JSON body on any ingest route is answered 2xx or 4xx', async () => {
      const body = fc.oneof(
        fc.json({ maxDepth: 4 }),
        fc.array(fc.json({ maxDepth: 3 }), { maxLength: 5 }).map((xs) => `{"events":[${xs}]}`),
        fc
          .array(fc.json({ maxDepth: 3 }), { maxLength: 3 })
          .map((xs) => `{"resourceSpans":[{"scopeSpans":[{"spans":[${xs}]}]}]}`),
        fc
          .array(fc.json({ maxDepth: 3 }), { maxLength: 3 })
          .map((xs) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${xs}]}]}]}`),
      )
      await fc.assert(
        fc.asyncProperty(
          body,
          fc.constantFrom('/v1/events', '/v1/traces', '/v1/logs'),
          async (payload, url) => {
            const r = await inject({
              method: 'POST',
              url,
              payload,
              headers: { 'content-type': 'application/json' },
            })
            expect(
              r.statusCode,
              `${url} ${payload.slice(0, 200)} -> ${r.body.slice(0, 200)}`,
            ).toBeLessThan(500)
          },
        ),
        { numRuns: 60, interruptAfterTimeLimit: 15_000 },
      )
      expect((await inject({ url: '/healthz' })).statusCode).toBe(200)
    }, 60_000)

    it('property: any query input is answered 2xx or 4xx, never 500', async () => {
      const names = [
        ...FILTERS.flatMap((f) => [f.name, ...f.aliases]),
        ...Object.keys(OPTION_TYPES),
        'attributes.plan',
        'mode',
      ]
      const value = fc.oneof(
        nasty,
        fc.integer(),
        fc.constantFrom(true, null, -1, 1e308, [], {}),
        fc.array(nasty, { maxLength: 3 }),
        fc.dictionary(nasty, nasty, { maxKeys: 2, noNullPrototype: true }),
      )
      const query = fc.dictionary(fc.oneof(fc.constantFrom(...names), nasty), value, {
        maxKeys: 4,
        noNullPrototype: true,
      })
      // A lone surrogate cannot be percent-encoded as UTF-8: send its CESU-8 bytes instead.
      const enc = (x: string) =>
        [...x]
          .map((ch) => (/[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch)))
          .join('')
      const qs = (q: Record<string, unknown>) =>
        Object.entries(q)
          .map(
            ([k, v]) => `${enc(k)}=${enc(typeof v === 'object' ? JSON.stringify(v) : String(v))}`,
          )
          .join('&')
      await fc.assert(
        fc.asyncProperty(query, fc.boolean(), nasty, async (q, nest, id) => {
          const body = nest ? { filters: q } : q
          const answers = [
            await inject({ method: 'POST', url: '/api/logs/query', payload: body }),
            await inject({ method: 'POST', url: '/api/logs/export', payload: body }),
            await inject({
              method: 'POST',
              url: '/api/logs/export',
              payload: { ...q, mode: 'job' },
            }),
            await inject({ url: `/api/errors?buckets=5&${qs(q)}` }),
            await inject({ url: `/api/stats?${qs(q)}` }),
            await inject({ url: `/api/facets?field=service&${qs(q)}` }),
            await inject({ url: `/api/sessions?${qs(q)}` }),
            await inject({ url: `/api/users?${qs(q)}` }),
            await inject({ url: `/api/logs/trace/${enc(id) || 'x'}` }),
            await inject({ url: `/api/sessions/${enc(id) || 'x'}` }),
          ]
          for (const a of answers) {
            expect(a.statusCode, `${a.raw.req.url} ${a.body.slice(0, 200)}`).toBeLessThan(500)
            if (a.statusCode >= 400) expect(a.json()).toHaveProperty('error')
          }
        }),
        { numRuns: 40, interruptAfterTimeLimit: 20_000 },
      )
      expect((await inject({ url: '/healthz' })).statusCode).toBe(200)
    }, 60_000)

    it('refuses NUL and lone surrogates in every query field with a 400 naming it', async () => {
      for (const [url, field] of [
        ['/api/errors?search=a%00b', 'search'],
        ['/api/stats?user_id=%00', 'user_id'],
        ['/api/users?attributes.plan=%00', 'attributes.plan'],
        ['/api/logs/trace/ab%00cd', 'trace_id'],
        ['/api/sessions/s%00', 'id'],
      ] as const) {
        const r = await inject({ url })
        expect(r.statusCode, url).toBe(400)
        expect(r.json(), url).toMatchObject({ error: 'invalid_filter', field })
      }
      for (const payload of [
        { search: 'x\u0000' },
        { user_id: '\ud800' },
        { filters: { attributes: { 'k\u0000': 'v' } } },
        { filters: { attributes: { k: 'v\udc00' } } },
      ]) {
        const r = await inject({ method: 'POST', url: '/api/logs/query', payload })
        expect(r.statusCode, JSON.stringify(payload)).toBe(400)
        expect(r.json()).toMatchObject({ error: 'invalid_filter' })
      }
      // And at the store, for every other caller (the CLI, scripts).
      await expect(store.query({ search: 'a\u0000' })).rejects.toThrow(/NUL/)
      await expect(store.trace('\ud800')).rejects.toThrow(/surrogate/)
    })

    it('refuses a forged cursor with a 400', async () => {
      await store.insert([event(), event(), event()])
      const first = await inject({ method: 'POST', url: '/api/logs/query', payload: { limit: 1 } })
      const cursor = first.json<{ next_cursor: string }>().next_cursor
      const real = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, string>
      const forgeries: Record<string, string>[] = [
        { ...real, t: 'not a time' },
        { ...real, t: '2026-13-45 99:00:00+00' },
        { ...real, i: 'x\u0000' },
        { ...real, v: 'yesterday' },
        { ...real, s: 'duration_ms', v: 'NaN-ish' },
      ]
      for (const forged of forgeries) {
        const r = await inject({
          method: 'POST',
          url: '/api/logs/query',
          payload: {
            limit: 1,
            cursor: Buffer.from(JSON.stringify(forged)).toString('base64url'),
            ...(forged.s === 'duration_ms' ? { sort_by: 'duration_ms' } : {}),
          },
        })
        expect(r.statusCode, JSON.stringify(forged)).toBe(400)
        expect(r.json()).toMatchObject({ error: 'invalid_filter', field: 'cursor' })
      }
    })

    it('validates an export before streaming it, and keeps job files private', async () => {
      for (const payload of [
        { limit: -1 },
        { limit: 'lots' },
        { sort_by: 'nope' },
        { sort_by: 'duration_ms' },
      ]) {
        const r = await inject({ method: 'POST', url: '/api/logs/export', payload })
        expect(r.statusCode, JSON.stringify(payload)).toBe(400)
        expect(r.json()).toMatchObject({ error: 'invalid_filter' })
        const job = await inject({
          method: 'POST',
          url: '/api/logs/export',
          payload: { ...payload, mode: 'job' },
        })
        expect(job.statusCode, JSON.stringify(payload)).toBe(400)
      }
      const ok = await inject({
        method: 'POST',
        url: '/api/logs/export',
        payload: { format: 'jsonl', sort_by: 'timestamp', limit: 2 },
      })
      expect(ok.statusCode).toBe(200)
      // A given directory, even one made world-readable, is narrowed to 0700.
      const dir = join(tmpdir(), `tl-exports-${hex(4)}`)
      mkdirSync(dir, { mode: 0o755 })
      const withDir = await createServer({ store, port: 0, exportDir: dir })
      try {
        const started = await withDir.app.inject({
          method: 'POST',
          url: '/api/logs/export',
          payload: { format: 'csv', mode: 'job' },
        })
        expect(started.statusCode).toBe(202)
        const { id } = started.json<{ id: string }>()
        let status = 'running'
        for (let i = 0; i < 200 && status === 'running'; i++) {
          await new Promise((r) => setTimeout(r, 25))
          const poll = await withDir.app.inject({ url: `/api/logs/export/${id}` })
          status = poll.json<{ status: string }>().status
        }
        expect(status).toBe('done')
        expect(statSync(join(dir, `${id}.csv`)).mode & 0o777).toBe(0o600)
        expect(statSync(dir).mode & 0o777).toBe(0o700)
      } finally {
        await withDir.close()
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it('parses a body with __proto__ and constructor.prototype keys, drops them per event and counts them', async () => {
      const trace_id = hex(16)
      const good = JSON.stringify(event({ trace_id }))
      const body = `{"events":[${good.replace('{', '{"__proto__":{"isAdmin":true},')},${JSON.stringify(
        event({ trace_id }),
      ).replace('{', '{"attributes":{"constructor":{"prototype":{"x":1}}},')}]}`
      const r = await inject({
        method: 'POST',
        url: '/v1/events',
        payload: body,
        headers: { 'content-type': 'application/json' },
      })
      expect(r.statusCode).toBe(200)
      expect(r.json()).toMatchObject({ accepted: 2, rejected: [] })
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
      const metrics = await inject({ url: '/metrics' })
      expect(metrics.body).toMatch(/threadline_ingest_dropped_keys_total [1-9]/)
    })

    it('on OTLP too: stores attribute keys PostgreSQL cannot take, refuses a negative duration', async () => {
      const now = BigInt(Date.now()) * 1_000_000n
      const traceId = hex(16)
      const span = (start: bigint, end: bigint, name: string, key = 'plain') => ({
        traceId,
        spanId: hex(8),
        name,
        kind: 2,
        startTimeUnixNano: String(start),
        endTimeUnixNano: String(end),
        attributes: [{ key, value: { stringValue: 'v' } }],
      })
      const r = await inject({
        method: 'POST',
        url: '/v1/traces',
        payload: {
          resourceSpans: [
            {
              resource: { attributes: [] },
              scopeSpans: [
                {
                  spans: [
                    span(now, now + 5_000_000n, 'nul key', 'a\u0000b'),
                    span(now, now + 5_000_000n, 'lone key', 'c\ud800'),
                    span(now, now - 5_000_000n, 'ends before it starts'),
                  ],
                },
              ],
            },
          ],
        },
      })
      expect(r.statusCode).toBe(200)
      expect(r.json()).toMatchObject({ partialSuccess: { rejectedSpans: 1 } })
      const stored = await store.query({ trace_id: traceId, sort_by: 'service' })
      expect(stored.events.map((e) => Object.keys(e.attributes ?? {})).flat()).toEqual(
        expect.arrayContaining(['a\uFFFDb', 'c\uFFFD']),
      )
    })

    it('answers 429 with Retry-After past a key’s rate, per key', async () => {
      const limited = await createServer({
        store,
        port: 0,
        rateLimit: {
          query: { max: 2, timeWindowMs: 60_000 },
          ingest: { max: 1, timeWindowMs: 60_000 },
        },
      })
      try {
        const get = (key: string) =>
          limited.app.inject({ url: '/api/users', headers: { authorization: `Bearer ${key}` } })
        expect((await get('a')).statusCode).toBe(200)
        expect((await get('a')).statusCode).toBe(200)
        const third = await get('a')
        expect(third.statusCode).toBe(429)
        expect(Number(third.headers['retry-after'])).toBeGreaterThan(0)
        expect(third.json()).toMatchObject({ error: 'rate_limited' })
        expect((await get('b')).statusCode).toBe(200) // another key, another bucket
        const ingest = () =>
          limited.app.inject({ method: 'POST', url: '/v1/events', payload: [event()] })
        expect((await ingest()).statusCode).toBe(200)
        expect((await ingest()).statusCode).toBe(429)
      } finally {
        await limited.close()
      }
    })

    it('documents every route in an OpenAPI document derived from the vocabulary', async () => {
      const r = await inject({ url: '/api/openapi.json' })
      expect(r.statusCode).toBe(200)
      const doc = r.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>()
      expect(doc.openapi).toMatch(/^3\./)
      for (const path of [
        '/v1/events',
        '/api/logs/query',
        '/api/logs/trace/{trace_id}',
        '/api/errors',
        '/api/stats',
        '/api/facets',
        '/api/sessions',
        '/api/sessions/{id}',
        '/api/users',
        '/api/logs/export',
        '/api/logs/export/{id}',
      ])
        expect(doc.paths, path).toHaveProperty([path])
      const params = (doc.paths['/api/errors']!.get as { parameters: { name: string }[] })
        .parameters
      for (const f of FILTERS.filter((f) => f.type !== 'attributes'))
        expect(params.map((p) => p.name)).toContain(f.name)
    })
  })
}

describe('the server log', () => {
  it('escapes control characters in its 500 lines, and tells the client nothing', async () => {
    const store = await createStore({ dataDir: 'memory' })
    const server = await createServer({ store, port: 0 })
    server.app.get('/api/boom', async () => {
      throw new Error('upstream said \x1b]0;pwned\x07\x1b[2J\r\nFAKE LINE\u2028\u0085 done')
    })
    const lines: string[] = []
    const stop = diag.subscribe((_level, message, detail) => {
      const d = detail as Error
      lines.push(`${message}: ${d.name}: ${d.message}\n${d.stack ?? ''}`)
    })
    try {
      const r = await server.app.inject({ url: '/api/boom?q=%1b%5b2J' })
      expect(r.statusCode).toBe(500)
      expect(r.json()).toEqual({
        error: 'internal',
        message: 'the request failed; see the server log',
      })
    } finally {
      stop()
      await server.close()
      await store.close()
    }
    const line = lines.find((w) => w.includes('/api/boom'))
    expect(line).toBeDefined()
    // one line (the stack's own line breaks are escaped too), nothing a terminal acts on
    expect(line!.split('\n')[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
    expect(line!.split('\n')[1]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
    expect(line).toContain('\\u001b]0;pwned\\u0007')
  })
})
