// The console's static files, its deep links, and local mode's network guard (DNS
// rebinding, cross-origin writes), against a real server on port 0.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { isLoopbackHost, isLoopbackOrigin } from '../src/local-guard.js'
import { event } from './helpers.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP request, so `Host` can be anything (or absent). */
function raw(
  base: string,
  path: string,
  options: {
    method?: string
    headers?: Record<string, string>
    body?: string
    host?: string | null
  } = {},
): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? 'GET',
        setHost: false,
        headers: {
          ...(options.host === null ? {} : { host: options.host ?? url.host }),
          ...(options.body ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }

function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'threadline-console-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><div id="app">')
  writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)')
  return dir
}

describe('console serving and the local-mode guard', () => {
  let store: Store
  let server: ThreadlineServer
  let base: string
  let dir: string
  beforeAll(async () => {
    dir = fakeBuild()
    store = await createStore({ dataDir: 'memory' })
    server = await createServer({ store, port: 0, consoleDir: dir })
    base = await server.listen()
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves index.html at / uncached and hashed assets immutable', async () => {
    const index = await raw(base, '/', { headers: HTML })
    expect(index.status).toBe(200)
    expect(index.headers['content-type']).toMatch(/text\/html/)
    expect(index.headers['cache-control']).toBe('no-cache')
    expect(index.body).toContain('<div id="app">')
    const asset = await raw(base, '/assets/index-AbC123.js')
    expect(asset.status).toBe(200)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(asset.body).toBe('console.log(1)')
    const head = await raw(base, '/', { method: 'HEAD', headers: HTML })
    expect(head.status).toBe(200)
  })

  it("answers the SPA's deep links with index.html, and API misses with JSON 404s", async () => {
    for (const path of [
      '/logs?search=timeout',
      '/traces/4bf92f3577b34da6a3ce929d0e0e4736',
      '/errors',
      '/sessions/s-1',
      '/users',
    ]) {
      const r = await raw(base, path, { headers: HTML })
      expect(r.status, path).toBe(200)
      expect(r.headers['cache-control'], path).toBe('no-cache')
      expect(r.body, path).toContain('<div id="app">')
    }
    for (const path of ['/api/nope', '/api/logs/nope', '/v1/nope', '/assets/missing.js']) {
      const r = await raw(base, path, { headers: HTML })
      expect(r.status, path).toBe(404)
      expect(r.headers['content-type'], path).toMatch(/application\/json/)
      expect(JSON.parse(r.body), path).toMatchObject({ error: 'not_found' })
    }
    // Not a browser navigation (no text/html in Accept): a plain 404.
    const api = await raw(base, '/logs', { headers: { accept: 'application/json' } })
    expect(api.status).toBe(404)
    // A write to an SPA path is not a page load.
    const post = await raw(base, '/logs', { method: 'POST', headers: HTML, body: '{}' })
    expect(post.status).toBe(404)
  })

  it('tells the console which mode it runs in, with no key', async () => {
    const r = await raw(base, '/api/info')
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body)).toEqual({
      mode: 'local',
      engine: 'pglite',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
  })

  it('answers loopback Host names only (DNS rebinding)', async () => {
    for (const host of [
      'evil.example',
      'evil.example:4318',
      '127.0.0.1.nip.io',
      'localhost.evil.example',
      '10.0.0.1',
    ]) {
      for (const [method, path] of [
        ['GET', '/api/logs/query'],
        ['POST', '/api/logs/query'],
        ['GET', '/'],
        ['GET', '/api/info'],
        ['GET', '/assets/index-AbC123.js'],
      ] as const) {
        const r = await raw(base, path, {
          method,
          host,
          headers: HTML,
          ...(method === 'POST' ? { body: '{}' } : {}),
        })
        expect(r.status, `${host} ${method} ${path}`).toBe(421)
        const body = JSON.parse(r.body) as { error: string; message: string }
        expect(body.error).toBe('host_not_allowed')
        expect(body.message).toMatch(/DNS rebinding/)
      }
    }
    // Without Host, Node's HTTP/1.1 parser refuses the request before any route runs.
    const none = await raw(base, '/api/info', { host: null })
    expect([400, 421]).toContain(none.status)
    const port = new URL(base).port
    for (const host of [
      'localhost',
      `localhost:${port}`,
      'LocalHost:1',
      '127.0.0.1',
      `127.0.0.1:${port}`,
      '[::1]',
      '[::1]:4318',
    ]) {
      const r = await raw(base, '/api/info', { host })
      expect(r.status, host).toBe(200)
    }
  })

  it('answers the names given to allowedHosts too, and still no others', async () => {
    const s = await createServer({ store, port: 0, allowedHosts: ['threadline.lan'] })
    try {
      const url = await s.listen()
      expect((await raw(url, '/api/info', { host: 'Threadline.LAN:8080' })).status).toBe(200)
      expect((await raw(url, '/api/info', { host: 'localhost' })).status).toBe(200)
      expect((await raw(url, '/api/info', { host: 'evil.example' })).status).toBe(421)
      expect((await raw(url, '/api/info', { host: 'threadline.lan.evil.example' })).status).toBe(
        421,
      )
    } finally {
      await s.close()
    }
    await expect(createServer({ store, port: 0, allowedHosts: ['http://x'] })).rejects.toThrow(
      /not a host name/,
    )
  })

  it('refuses writes from other origins; clients without Origin are unaffected', async () => {
    const body = JSON.stringify({ events: [event()] })
    const evil = await raw(base, '/v1/events', {
      method: 'POST',
      body,
      headers: { origin: 'https://evil.example' },
    })
    expect(evil.status).toBe(403)
    expect(JSON.parse(evil.body)).toMatchObject({ error: 'cross_origin_refused' })
    for (const origin of ['null', 'http://localhost.evil.example', 'file://']) {
      const r = await raw(base, '/api/logs/query', {
        method: 'POST',
        body: '{}',
        headers: { origin },
      })
      expect(r.status, origin).toBe(403)
    }
    const crossSite = await raw(base, '/api/logs/query', {
      method: 'POST',
      body: '{}',
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSite.status).toBe(403)
    for (const headers of [
      {},
      { origin: 'http://localhost:5173' },
      { origin: base },
      { origin: 'http://[::1]:4318', 'sec-fetch-site': 'same-site' },
    ] as Record<string, string>[]) {
      const r = await raw(base, '/v1/events', {
        method: 'POST',
        body: JSON.stringify({ events: [event()] }),
        headers,
      })
      expect(r.status, JSON.stringify(headers)).toBe(200)
    }
    // Reads from another origin are refused too (CORS is off unless configured).
    const read = await raw(base, '/api/info', { headers: { origin: 'https://evil.example' } })
    expect(read.status).toBe(403)
    const crossSiteRead = await raw(base, '/api/stats', {
      headers: { 'sec-fetch-site': 'cross-site' },
    })
    expect(crossSiteRead.status).toBe(403)
  })

  it('recognises loopback names and origins exactly', () => {
    expect(isLoopbackHost('LOCALHOST:80')).toBe(true)
    expect(isLoopbackHost('[::1]')).toBe(true)
    expect(isLoopbackHost('::1')).toBe(false) // a Host header brackets IPv6
    expect(isLoopbackHost('127.0.0.2')).toBe(false)
    expect(isLoopbackHost('localhost:')).toBe(false)
    expect(isLoopbackHost(undefined)).toBe(false)
    expect(isLoopbackOrigin('http://127.0.0.1:3000')).toBe(true)
    expect(isLoopbackOrigin('https://localhost')).toBe(true)
    expect(isLoopbackOrigin('chrome-extension://abc')).toBe(false)
  })
})

describe('console in keys mode, unbuilt, and turned off', () => {
  let store: Store
  const servers: ThreadlineServer[] = []
  let key: string
  let dir: string
  beforeAll(async () => {
    dir = fakeBuild()
    store = await createStore({ dataDir: 'memory' })
    key = (await store.keys.create({ org_id: 'acme' })).key
  }, 60_000)
  afterAll(async () => {
    for (const s of servers) await s.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const start = async (options: Parameters<typeof createServer>[0]) => {
    const s = await createServer({ store, port: 0, ...options })
    servers.push(s)
    return { server: s, base: await s.listen() }
  }

  it('serves the console without a key, but not the data', async () => {
    const { base } = await start({ consoleDir: dir })
    expect((await raw(base, '/', { headers: HTML })).status).toBe(200)
    expect((await raw(base, '/assets/index-AbC123.js')).status).toBe(200)
    expect((await raw(base, '/errors', { headers: HTML })).status).toBe(200)
    const info = await raw(base, '/api/info')
    expect(JSON.parse(info.body)).toMatchObject({ mode: 'keys', engine: 'pglite' })
    expect((await raw(base, '/api/stats')).status).toBe(401)
    const withKey = await raw(base, '/api/stats', { headers: { authorization: `Bearer ${key}` } })
    expect(withKey.status).toBe(200)
    // Keys protect this mode, so any Host is answered; another origin needs CORS.
    const foreign = await raw(base, '/api/stats', {
      host: 'threadline.example.com',
      headers: { authorization: `Bearer ${key}`, origin: 'https://console.example.com' },
    })
    expect(foreign.status).toBe(403)
    expect(JSON.parse(foreign.body)).toMatchObject({ error: 'cross_origin_refused' })
    const sameOrigin = await raw(base, '/api/stats', {
      host: 'threadline.example.com',
      headers: { authorization: `Bearer ${key}`, origin: 'https://threadline.example.com' },
    })
    expect(sameOrigin.status).toBe(200)
  })

  it('answers the origins given to corsOrigins, preflights included, and only those', async () => {
    const { base } = await start({ corsOrigins: ['https://dash.example.com'] })
    const headers = { authorization: `Bearer ${key}`, origin: 'https://dash.example.com' }
    const ok = await raw(base, '/api/stats', { headers })
    expect(ok.status).toBe(200)
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com')
    const preflight = await raw(base, '/api/logs/query', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://dash.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers['access-control-allow-methods']).toContain('POST')
    const other = await raw(base, '/api/stats', {
      headers: { ...headers, origin: 'https://other.example.com' },
    })
    expect(other.status).toBe(403)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('says to build the console when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'threadline-console-empty-'))
    try {
      const { base } = await start({ consoleDir: empty, auth: 'local' })
      const r = await raw(base, '/', { headers: HTML })
      expect(r.status).toBe(200)
      expect(r.headers['content-type']).toMatch(/text\/html/)
      expect(r.body).toContain('pnpm build')
      expect((await raw(base, '/traces/abc', { headers: HTML })).body).toContain('pnpm build')
      expect((await raw(base, '/api/nope', { headers: HTML })).status).toBe(404)
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('serves no console with console: false', async () => {
    const { base } = await start({ consoleDir: dir, console: false, auth: 'local' })
    const r = await raw(base, '/', { headers: HTML })
    expect(r.status).toBe(404)
    expect(JSON.parse(r.body)).toMatchObject({ error: 'not_found' })
    expect((await raw(base, '/assets/index-AbC123.js')).status).toBe(404)
    expect((await raw(base, '/api/info')).status).toBe(200)
  })
})
