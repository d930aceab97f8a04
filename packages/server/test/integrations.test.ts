// The integrations API and forwarding, on both engines, against a webhook receiver on
// loopback (port 0) standing in for a destination.
import { randomBytes } from 'node:crypto'
import { createServer as httpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { diag } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { event } from './helpers.js'

const PG_URL = process.env.THREADLINE_TEST_PG_URL
const engines: { name: string; open: () => Promise<Store>; drop?: () => Promise<void> }[] = [
  { name: 'pglite', open: () => createStore({ dataDir: 'memory' }) },
]
if (PG_URL) {
  const schema = `srv_integ_${process.pid}_${randomBytes(3).toString('hex')}`
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
} else
  console.warn('\n*** THREADLINE_TEST_PG_URL is not set: integrations on PostgreSQL SKIPPED ***\n')

const SERVER_SECRET = randomBytes(32).toString('base64')
const HOOK_SECRET = 'whsec_' + randomBytes(16).toString('hex')

/** A webhook receiver: keeps every event posted; `mode` decides the answer. */
interface Receiver {
  url: string
  events: Record<string, unknown>[]
  mode: 'ok' | 'unauthorized' | 'hang'
  close(): Promise<void>
}
async function receiver(): Promise<Receiver> {
  const hanging: import('node:http').ServerResponse[] = []
  const r: Receiver = {
    url: '',
    events: [],
    mode: 'ok',
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = httpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (r.mode === 'hang') return void hanging.push(res)
      if (r.mode === 'unauthorized') {
        res.writeHead(401, { 'content-type': 'application/json' })
        return void res.end('{"error":"bad signature"}')
      }
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown
        if (Array.isArray(body)) r.events.push(...(body as Record<string, unknown>[]))
      } catch {
        // not JSON: ignored
      }
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  return r
}

const until = async (check: () => boolean | Promise<boolean>, what: string): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`never happened: ${what}`)
}

for (const engine of engines)
  describe(`integrations (${engine.name})`, () => {
    let store: Store
    let hook: Receiver
    let server: ThreadlineServer
    const logs: string[] = []
    let unsubscribe: () => void
    const bodies: string[] = []

    const call = async (method: string, url: string, payload?: unknown, key?: string) => {
      const r = await server.app.inject({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload: payload as object }),
        headers: key ? { authorization: `Bearer ${key}` } : {},
      })
      bodies.push(r.body)
      return r
    }
    const ingest = (events: unknown[], key?: string) => call('POST', '/v1/events', { events }, key)

    beforeAll(async () => {
      store = await engine.open()
      hook = await receiver()
      unsubscribe = diag.subscribe((level, message, detail) => {
        logs.push(`${level} ${message} ${JSON.stringify(detail ?? null)}`)
      })
      server = await createServer({ store, port: 0, auth: 'local', secret: SERVER_SECRET })
    }, 60_000)
    afterAll(async () => {
      await server.close()
      await hook.close()
      unsubscribe()
      await store.close()
      await engine.drop?.()
    })

    it('creates, lists, gets, patches and deletes; credentials only as a hint', async () => {
      const created = await call('POST', '/api/logs/integrations', {
        name: 'errors to the hook',
        integration_type: 'webhook',
        config: { url: hook.url },
        credentials: { secret: HOOK_SECRET },
        filters: { levels: ['error'] },
      })
      expect(created.statusCode).toBe(201)
      const integ = created.json()
      expect(integ).toMatchObject({
        name: 'errors to the hook',
        integration_type: 'webhook',
        config: { url: hook.url },
        credentials_hint: `secret: ****${HOOK_SECRET.slice(-4)}`,
        enabled: true,
        filters: { categories: [], levels: ['error'], services: [] },
        stats: { delivered: 0, dropped: {}, queued: 0, breaker: 'closed', last_error: null },
      })
      const second = (
        await call('POST', '/api/logs/integrations', {
          name: 'second',
          integration_type: 'webhook',
          config: { url: hook.url },
          enabled: false,
        })
      ).json()
      const list = (await call('GET', '/api/logs/integrations')).json()
      expect(list.integrations.map((i: { id: string }) => i.id)).toEqual([second.id, integ.id])
      expect((await call('GET', `/api/logs/integrations/${integ.id}`)).json().id).toBe(integ.id)
      const patched = await call('PATCH', `/api/logs/integrations/${second.id}`, {
        name: 'renamed',
        filters: { services: ['api'] },
      })
      expect(patched.json()).toMatchObject({ name: 'renamed', filters: { services: ['api'] } })
      expect((await call('DELETE', `/api/logs/integrations/${second.id}`)).statusCode).toBe(204)
      expect((await call('GET', `/api/logs/integrations/${second.id}`)).statusCode).toBe(404)
      // what is stored is sealed, not the secret
      const row = await store.integrations.get(integ.id)
      expect(row?.credentials_encrypted).toMatch(/^v1:/)
      expect(row?.credentials_encrypted).not.toContain(HOOK_SECRET)
    })

    it('refuses unknown keys, missing settings and otlp, naming the field', async () => {
      const bad = async (body: Record<string, unknown>, field: string) => {
        const r = await call('POST', '/api/logs/integrations', { name: 'x', ...body })
        expect(r.statusCode).toBe(400)
        expect(r.json()).toMatchObject({ error: 'invalid_integration', field })
        expect(r.body).not.toContain(HOOK_SECRET)
      }
      await bad(
        { integration_type: 'webhook', config: { url: hook.url, bogus: 1 } },
        'config.bogus',
      )
      await bad({ integration_type: 'webhook', config: {} }, 'config.url')
      await bad(
        {
          integration_type: 'webhook',
          config: { url: hook.url },
          credentials: { secret: HOOK_SECRET, extra: HOOK_SECRET },
        },
        'credentials.extra',
      )
      await bad({ integration_type: 'datadog', config: {} }, 'credentials.api_key')
      await bad({ integration_type: 'otlp', config: {} }, 'integration_type')
      await bad(
        { integration_type: 'webhook', config: { url: hook.url }, filters: { levels: ['loud'] } },
        'filters.levels',
      )
    })

    it('forwards matching events only, counts them, and answers stats in the API and /metrics', async () => {
      const id = (await call('GET', '/api/logs/integrations')).json().integrations[0].id as string
      const tag = randomBytes(4).toString('hex')
      const r = await ingest([
        event({ level: 'error', message: `boom ${tag}` }),
        event({ level: 'info', message: `fine ${tag}` }),
        event({ level: 'error', message: `boom again ${tag}` }),
      ])
      expect(r.statusCode).toBe(200)
      await until(
        () => hook.events.filter((e) => String(e['message']).endsWith(tag)).length >= 2,
        'two errors delivered',
      )
      await until(
        async () => (await call('GET', `/api/logs/integrations/${id}`)).json().stats.delivered >= 2,
        'stats count them',
      )
      const mine = hook.events.filter((e) => String(e['message']).endsWith(tag))
      expect(mine.map((e) => e['level'])).toEqual(['error', 'error'])
      const stats = (await call('GET', `/api/logs/integrations/${id}`)).json().stats
      expect(stats).toMatchObject({ delivered: 2, breaker: 'closed', last_error: null })
      expect(stats.last_success_at).toEqual(expect.any(String))
      const metrics = (await call('GET', '/metrics')).body
      expect(metrics).toContain(
        `threadline_integration_delivered_events{integration_id="${id}",integration_type="webhook"} 2`,
      )
      expect(metrics).toContain(`threadline_integration_breaker_state{integration_id="${id}"`)
    })

    it('tests an integration: one event, what the destination said, scrubbed', async () => {
      const id = (await call('GET', '/api/logs/integrations')).json().integrations[0].id as string
      const ok = (await call('POST', `/api/logs/integrations/${id}/test`)).json()
      expect(ok).toMatchObject({ ok: true, message: expect.any(String) })
      expect(ok.duration_ms).toEqual(expect.any(Number))
      expect(hook.events.some((e) => e['event'] === 'integration_test')).toBe(true)
      hook.mode = 'unauthorized'
      try {
        const no = (await call('POST', `/api/logs/integrations/${id}/test`)).json()
        expect(no).toMatchObject({ ok: false, status: 401 })
      } finally {
        hook.mode = 'ok'
      }
    })

    it('a destination that never answers does not hold ingest up', async () => {
      const dead = await receiver()
      dead.mode = 'hang'
      try {
        const r = await call('POST', '/api/logs/integrations', {
          name: 'dead',
          integration_type: 'webhook',
          config: { url: dead.url, timeout_ms: 60_000 },
        })
        expect(r.statusCode).toBe(201)
        for (let i = 0; i < 5; i++)
          expect((await ingest([event({ level: 'error' }), event()])).statusCode).toBe(200)
        // the live destination still gets its events
        const tag = randomBytes(4).toString('hex')
        await ingest([event({ level: 'error', message: `alive ${tag}` })])
        await until(
          () => hook.events.some((e) => e['message'] === `alive ${tag}`),
          'the live destination still delivered',
        )
        expect((await call('DELETE', `/api/logs/integrations/${r.json().id}`)).statusCode).toBe(204)
      } finally {
        await dead.close()
      }
    })

    it('never returns or logs a credential', () => {
      for (const b of bodies) expect(b).not.toContain(HOOK_SECRET)
      for (const l of logs) expect(l).not.toContain(HOOK_SECRET)
    })

    it('refuses credentials without a secret (409), and takes settings without any', async () => {
      const plain = await createServer({ store, port: 0, auth: 'local' })
      const prev = process.env['THREADLINE_SECRET']
      try {
        const r = await plain.app.inject({
          method: 'POST',
          url: '/api/logs/integrations',
          payload: {
            name: 'x',
            integration_type: 'webhook',
            config: { url: hook.url },
            credentials: { secret: HOOK_SECRET },
          },
        })
        expect(r.statusCode).toBe(409)
        expect(r.json()).toEqual({
          error: 'no_secret',
          message: 'set THREADLINE_SECRET (or --secret-file) to store credentials',
        })
      } finally {
        if (prev !== undefined) process.env['THREADLINE_SECRET'] = prev
        await plain.close()
      }
    })

    it('flushes what an integration holds when the server closes', async () => {
      const sink = await receiver()
      const own = await createServer({ store, port: 0, auth: 'local', secret: SERVER_SECRET })
      try {
        const created = await own.app.inject({
          method: 'POST',
          url: '/api/logs/integrations',
          payload: { name: 'flush', integration_type: 'webhook', config: { url: sink.url } },
        })
        const tag = randomBytes(4).toString('hex')
        const r = await own.app.inject({
          method: 'POST',
          url: '/v1/events',
          payload: { events: [event({ message: `a ${tag}` }), event({ message: `b ${tag}` })] },
        })
        expect(r.statusCode).toBe(200)
        await own.close()
        expect(sink.events.filter((e) => String(e['message']).endsWith(tag))).toHaveLength(2)
        await store.integrations.delete(created.json().id)
      } finally {
        await own.close()
        await sink.close()
      }
    })

    it('keys mode: listing needs read, changes need admin, another org is 404', async () => {
      const reader = await store.keys.create({ org_id: 'acme', scopes: ['ingest', 'read'] })
      const adminKey = await store.keys.create({ org_id: 'acme', scopes: ['read', 'admin'] })
      const other = await store.keys.create({ org_id: 'globex', scopes: ['read', 'admin'] })
      const keyed = await createServer({ store, port: 0, auth: 'keys', secret: SERVER_SECRET })
      try {
        const as = (key: string, method: string, url: string, payload?: unknown) =>
          keyed.app.inject({
            method: method as 'GET',
            url,
            headers: { authorization: `Bearer ${key}` },
            ...(payload === undefined ? {} : { payload: payload as object }),
          })
        const body = { name: 'acme hook', integration_type: 'webhook', config: { url: hook.url } }
        expect((await as(reader.key, 'POST', '/api/logs/integrations', body)).statusCode).toBe(403)
        const created = await as(adminKey.key, 'POST', '/api/logs/integrations', body)
        expect(created.statusCode).toBe(201)
        const id = created.json().id as string
        const listed = (await as(reader.key, 'GET', '/api/logs/integrations')).json()
        expect(listed.integrations.map((i: { id: string }) => i.id)).toEqual([id])
        expect((await as(other.key, 'GET', `/api/logs/integrations/${id}`)).statusCode).toBe(404)
        expect(
          (await as(other.key, 'PATCH', `/api/logs/integrations/${id}`, { enabled: false }))
            .statusCode,
        ).toBe(404)
        expect((await as(other.key, 'DELETE', `/api/logs/integrations/${id}`)).statusCode).toBe(404)
        expect((await as(other.key, 'GET', '/api/logs/integrations')).json().integrations).toEqual(
          [],
        )
        expect(
          (await as(reader.key, 'PATCH', `/api/logs/integrations/${id}`, { enabled: false }))
            .statusCode,
        ).toBe(403)
        expect((await as(reader.key, 'POST', `/api/logs/integrations/${id}/test`)).statusCode).toBe(
          403,
        )
        // only acme's events reach acme's integration
        const tag = randomBytes(4).toString('hex')
        await as(other.key, 'POST', '/v1/events', { events: [event({ message: `g ${tag}` })] })
        await as(reader.key, 'POST', '/v1/events', { events: [event({ message: `a ${tag}` })] })
        await until(
          () => hook.events.some((e) => e['message'] === `a ${tag}`),
          "acme's event delivered",
        )
        await keyed.close()
        expect(hook.events.some((e) => e['message'] === `g ${tag}`)).toBe(false)
        await store.integrations.delete(id)
      } finally {
        await keyed.close()
        for (const k of [reader, adminKey, other]) await store.keys.revoke(k.info.id)
      }
    })
  })
