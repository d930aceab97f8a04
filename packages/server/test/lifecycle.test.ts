import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { diag } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer } from '../src/index.js'
import { event } from './helpers.js'

const batch = (n: number, tag: string) => Array.from({ length: n }, () => event({ tags: [tag] }))

describe('server lifecycle', () => {
  let store: Store
  beforeAll(async () => {
    store = await createStore({ dataDir: 'memory' })
  }, 60_000)
  afterAll(() => store.close())

  it('finishes in-flight batches on close: every 200 is stored, nothing else is', async () => {
    const server = await createServer({ store, port: 0 })
    const url = await server.listen()
    const tag = 'shutdown'
    const sends = Array.from({ length: 20 }, () =>
      fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: batch(500, tag) }),
      })
        .then(async (r) => (r.ok ? ((await r.json()) as { accepted: number }).accepted : 0))
        .catch(() => 0),
    )
    // Close while writes are in flight (not before any request has arrived).
    for (let i = 0; i < 500; i++) {
      const health = (await server.app.inject({ url: '/healthz' })).json()
      if (health.pending_events > 0) break
      await new Promise((r) => setTimeout(r, 2))
    }
    await server.close()
    const accepted = (await Promise.all(sends)).reduce((a, b) => a + b, 0)
    expect(accepted).toBeGreaterThan(0)
    const stored = (await store.query({ tags: tag, with_total: true, limit: 1 })).total
    expect(stored).toBe(accepted)
  })

  it('answers a database failure with a 500 that hides internals, and reports it', async () => {
    const broken: Store = {
      ...store,
      query: () => Promise.reject(new Error('connection terminated unexpectedly')),
    }
    const server = await createServer({ store: broken, port: 0 })
    const seen: string[] = []
    const stop = diag.subscribe((level, message, detail) => {
      if (level === 'error') seen.push(`${message}: ${(detail as Error).message}`)
    })
    try {
      const r = await server.app.inject({ method: 'POST', url: '/api/logs/query', payload: {} })
      expect(r.statusCode).toBe(500)
      expect(r.body).not.toContain('connection terminated')
      expect(seen).toEqual([
        'server: POST /api/logs/query failed: connection terminated unexpectedly',
      ])
    } finally {
      stop()
      await server.close()
    }
  })

  it('answers 503 with Retry-After when the write queue is full, and stores the rest', async () => {
    // A database slower than the clients: each write takes 100 ms more.
    const slow: Store = {
      ...store,
      insert: async (events) => {
        await new Promise((r) => setTimeout(r, 100))
        return store.insert(events)
      },
    }
    const server = await createServer({
      store: slow,
      port: 0,
      maxQueuedEvents: 1000,
      writeConcurrency: 1,
    })
    try {
      const tag = 'overload'
      const results = await Promise.all(
        Array.from({ length: 12 }, () =>
          server.app.inject({
            method: 'POST',
            url: '/v1/events',
            payload: { events: batch(400, tag) },
          }),
        ),
      )
      const refused = results.filter((r) => r.statusCode === 503)
      const ok = results.filter((r) => r.statusCode === 200)
      expect(refused.length).toBeGreaterThan(0)
      expect(refused[0]!.headers['retry-after']).toBe('1')
      expect(ok.length + refused.length).toBe(12)
      const stored = (await store.query({ tags: tag, with_total: true, limit: 1 })).total
      expect(stored).toBe(ok.length * 400)
      const metrics = (await server.app.inject({ url: '/metrics' })).body
      expect(metrics).toMatch(
        /threadline_ingest_refused_requests_total\{source="native",reason="overloaded"\} [1-9]/,
      )
    } finally {
      await server.close()
    }
  })
})

const bin = fileURLToPath(new URL('../bin/threadline.js', import.meta.url))
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))

describe.skipIf(!built)('threadline serve (the built binary)', () => {
  it('prints where it listens, ingests, and stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threadline-serve-'))
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--data-dir', join(dir, 'data')],
      {
        env: { ...process.env, THREADLINE_DATABASE_URL: '', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      let out = ''
      let err = ''
      child.stderr.on('data', (d) => (err += d))
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)))
      })
      expect(out).toContain('local mode')
      expect(out).toContain('pglite')
      expect(out).toContain(`console: ${url}/`)
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } })
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/text\/html/)
      const r = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([event()]),
      })
      expect(await r.json()).toMatchObject({ accepted: 1 })
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(err).toContain('finishing in-flight requests')
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('serves no console with --no-console', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threadline-serve-'))
    const child = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--no-console', '--data-dir', join(dir, 'data')],
      {
        env: { ...process.env, THREADLINE_DATABASE_URL: '', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      let out = ''
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d
          const m = /listening on (http:\/\/\S+)/.exec(out)
          if (m) resolve(m[1]!)
        })
        child.on('exit', (code) => reject(new Error(`exited ${code}`)))
      })
      expect(out).not.toContain('console:')
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } })
      expect(page.status).toBe(404)
      expect(await (await fetch(`${url}/api/info`)).json()).toMatchObject({ mode: 'local' })
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
