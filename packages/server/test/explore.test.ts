// The console's read endpoints (facets, error sparklines, sessions, users, time-ordered
// stats) over a real server in keys mode, scoped by org, on PGlite and PostgreSQL; and
// the CLI's remote reader over the same API.
import { randomBytes } from 'node:crypto'
import type { ThreadlineEvent } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { remoteStore } from '../src/remote.js'
import { event, traceEvents } from './helpers.js'

const PG_URL = process.env.THREADLINE_TEST_PG_URL
const MIN = 60_000

/** A chat session: two traces, the LLM spans carrying the session id, and a score. */
function session(id: string, user: string): ThreadlineEvent[] {
  const out: ThreadlineEvent[] = []
  for (const [i, minutesAgo] of [20, 10].entries()) {
    const t = traceEvents({ user, error: i === 1 })
    const start = Date.now() - minutesAgo * MIN
    for (const [k, e] of t.events.entries()) {
      e.timestamp = new Date(start + k).toISOString()
      if (e.category === 'llm') {
        e.session_id = id
        e.attributes = { prompt: `question ${i}`, completion: `answer ${i}` }
      }
    }
    out.push(...t.events)
    if (i === 0)
      out.push(
        event({
          trace_id: t.trace_id,
          session_id: id,
          timestamp: new Date(start + 100).toISOString(),
          event: 'score',
          category: 'eval',
          attributes: { 'score.name': 'correct', 'score.value': 1 },
        }),
      )
  }
  return out
}

const engines: { name: string; open: () => Promise<Store>; drop?: () => Promise<void> }[] = [
  { name: 'pglite', open: () => createStore({ dataDir: 'memory' }) },
]
if (PG_URL) {
  const schema = `srv_explore_${process.pid}_${randomBytes(3).toString('hex')}`
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

for (const engine of engines) {
  describe(`console endpoints [${engine.name}]`, () => {
    let store: Store
    let server: ThreadlineServer
    let base: string
    let acme: string
    let globex: string
    beforeAll(async () => {
      store = await engine.open()
      acme = (await store.keys.create({ org_id: 'acme' })).key
      globex = (await store.keys.create({ org_id: 'globex' })).key
      server = await createServer({ store, port: 0 })
      base = await server.listen()
      for (const [key, events] of [
        [acme, session('s-acme', 'u-a')],
        [globex, session('s-globex', 'u-g')],
      ] as const) {
        const r = await fetch(`${base}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ events }),
        })
        expect(await r.json()).toMatchObject({ rejected: [] })
      }
    }, 60_000)
    afterAll(async () => {
      await server.close()
      await store.close()
      await engine.drop?.()
    })

    const get = async (path: string, key: string | null = acme) => {
      const r = await fetch(base + path, {
        headers: key ? { authorization: `Bearer ${key}` } : {},
      })
      return { status: r.status, body: (await r.json()) as Record<string, unknown> & any }
    }

    it('needs a read key for every new endpoint', async () => {
      for (const path of [
        '/api/facets?field=service',
        '/api/sessions',
        '/api/sessions/s-acme',
        '/api/users',
      ])
        expect((await get(path, null)).status, path).toBe(401)
    })

    it('counts facet values in the caller org only', async () => {
      const users = await get('/api/facets?field=user&since=1h')
      expect(users.status).toBe(200)
      expect(users.body).toEqual({ field: 'user', values: [{ value: 'u-a', count: 6 }] })
      const sessions = await get('/api/facets?field=session')
      expect(sessions.body.values).toEqual([{ value: 's-acme', count: 3 }])
      const status = await get('/api/facets?field=status_code&categories=http')
      expect(status.body.values).toEqual([
        { value: 200, count: 1 },
        { value: 500, count: 1 },
      ])
      expect((await get('/api/facets?field=service&org_id=globex')).status).toBe(403)
      for (const [path, field] of [
        ['/api/facets?field=password', 'field'],
        ['/api/facets', 'field'],
        ['/api/facets?field=service&limit=100000', 'limit'],
        ['/api/facets?field=service&limit=many', 'limit'],
        ['/api/facets?field=service&nope=1', 'nope'],
      ] as const) {
        const r = await get(path)
        expect(r.status, path).toBe(400)
        expect(r.body, path).toMatchObject({ error: 'invalid_filter', field })
      }
    })

    it('adds sparklines to error groups', async () => {
      const r = await get('/api/errors?since=1h&buckets=6')
      expect(r.status).toBe(200)
      // The LLM call's fingerprinted error, and the failed request's error span (no fingerprint).
      expect(r.body.errors).toHaveLength(2)
      const api = r.body.errors.find((g: { fingerprint: string }) => g.fingerprint === 'fp-api')
      expect(api).toMatchObject({
        fingerprint: 'fp-api',
        count: 1,
        services: ['api'],
        levels: ['error'],
        buckets: [0, 0, 0, 0, 1, 0],
      })
      expect((await get('/api/errors?since=1h')).body.errors[0].buckets).toBeUndefined()
      for (const b of ['0', '201', 'x', '2.5']) {
        const bad = await get(`/api/errors?buckets=${b}`)
        expect(bad.status, b).toBe(400)
        expect(bad.body.field).toBe('buckets')
      }
    })

    it('lists and opens sessions; another org’s session is a 404', async () => {
      const list = await get('/api/sessions?since=1h')
      expect(list.status).toBe(200)
      expect(list.body.sessions).toEqual([
        expect.objectContaining({
          session_id: 's-acme',
          user_id: 'u-a',
          org_id: 'acme',
          turns: 2,
          events: 3,
          errors: 1,
          input_tokens: 200,
          output_tokens: 40,
          cost_usd: 0.002,
          models: ['gpt-4o-mini'],
        }),
      ])
      const one = await get('/api/sessions/s-acme')
      expect(one.status).toBe(200)
      expect(one.body).toMatchObject({
        session_id: 's-acme',
        user_ids: ['u-a'],
        totals: { turns: 2, events: 7, errors: 2, input_tokens: 200, output_tokens: 40 },
      })
      expect(one.body.turns.map((t: { name: string }) => t.name)).toEqual([
        'GET /orders/:id',
        'GET /orders/:id',
      ])
      expect(one.body.turns[0]).toMatchObject({
        input: 'question 0',
        output: 'answer 0',
        scores: [{ name: 'correct', value: 1, comment: null }],
        errors: 0,
      })
      expect(one.body.turns[1]).toMatchObject({ errors: 2, scores: [] })
      expect((await get('/api/sessions/s-globex')).status).toBe(404)
      expect((await get('/api/sessions/s-globex', globex)).status).toBe(200)
      expect((await get('/api/sessions/nope')).status).toBe(404)
      expect((await get('/api/sessions?org_id=globex')).status).toBe(403)
      expect((await get('/api/sessions?limit=0')).body.field).toBe('limit')
    })

    it('lists users of the caller org', async () => {
      const r = await get('/api/users?since=1h')
      expect(r.status).toBe(200)
      expect(r.body.users).toEqual([
        {
          user_id: 'u-a',
          requests: 2,
          events: 6,
          errors: 2,
          sessions: 1,
          input_tokens: 200,
          output_tokens: 40,
          cost_usd: 0.002,
          first_seen: expect.any(String),
          last_seen: expect.any(String),
        },
      ])
      expect((await get('/api/users', globex)).body.users).toMatchObject([{ user_id: 'u-g' }])
    })

    it('answers stats buckets in time order, as ISO times', async () => {
      const r = await get('/api/stats?interval=5m&group_by=service&since=1h')
      expect(r.status).toBe(200)
      const buckets = (r.body.stats as { bucket: string }[]).map((s) => s.bucket)
      expect(buckets.length).toBe(2)
      for (const b of buckets) expect(new Date(b).toISOString()).toBe(b)
      expect([...buckets].sort()).toEqual(buckets)
    })

    it('serves the CLI’s remote reader: every read, no stubs', async () => {
      const remote = await remoteStore(base, acme)
      expect(remote.engine).toBe(store.engine)
      expect((await remote.facets('service')).values).toEqual([{ value: 'api', count: 7 }])
      expect(await remote.sessions()).toMatchObject([{ session_id: 's-acme' }])
      expect((await remote.session('s-acme'))!.turns).toHaveLength(2)
      expect(await remote.session('s-globex')).toBeUndefined()
      expect(await remote.users()).toMatchObject([{ user_id: 'u-a' }])
      expect((await remote.errors({ buckets: 3, since: '1h' }))[0]!.buckets).toHaveLength(3)
      let csv = ''
      for await (const chunk of remote.export({ format: 'csv' })) csv += chunk
      expect(csv.trim().split('\r\n')).toHaveLength(1 + 7)
      expect(await remote.count()).toBe(7)
      await expect(remote.facets('nope' as never)).rejects.toMatchObject({ field: 'field' })
      await expect(remoteStore('http://127.0.0.1:9', acme)).rejects.toThrow(/cannot reach/)
    })

    it('refuses commands that need the store itself with --server', async () => {
      let err = ''
      const io = {
        stdout: { write: () => true },
        stderr: { write: (s: string) => ((err += s), true) },
        env: { THREADLINE_API_KEY: acme },
        color: false,
      }
      expect(await main(['retention', '--default', '30d', '--server', base], io)).toBe(1)
      expect(err).toContain('without --server')
      err = ''
      expect(await main(['export', '--format', 'jsonl', '--server', base], io)).toBe(0)
      expect(err).toBe('')
    })
  })
}
