// The server under load, in a process of its own:
//
//   node bench/server/server.js postgres|pglite
//
// Opens a store (PostgreSQL in a fresh schema `bench_server_<pid>`, dropped at the end, or
// PGlite in memory), starts `createServer` on 127.0.0.1 with a free port, and prints
// {"ready":true,"url":...} on stdout. Every second it samples its own memory, CPU, event
// loop utilization and, through GET /metrics (as a scraper would), the events pending for
// the database and the grouped writes done. On SIGTERM it closes the server (in-flight
// requests and their writes finish first), counts the stored events, and prints one JSON
// line with everything on stdout before exiting (with --expose-gc, also the memory held after a
// full garbage collection once the load has stopped).
//
// Env: THREADLINE_BENCH_PG_URL / THREADLINE_TEST_PG_URL (PostgreSQL URL), SERVER_OPTIONS
// (JSON merged into the createServer options, e.g. '{"writeConcurrency":4}').

import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import process from 'node:process'
import { clearInterval, setInterval } from 'node:timers'

import { PG_URL, SERVER_DIST, STORE_DIST, loadPg, quoteIdent } from './lib.js'

const engine = process.argv[2]
if (engine !== 'postgres' && engine !== 'pglite') {
  console.error('usage: node bench/server/server.js postgres|pglite')
  process.exit(2)
}
const extraOptions = JSON.parse(process.env.SERVER_OPTIONS ?? '{}')
// Nothing else from the caller's environment may pick the store's engine or location.
for (const k of ['DATABASE_URL', 'NODE_ENV']) delete process.env[k]
for (const k of Object.keys(process.env)) if (k.startsWith('THREADLINE_')) delete process.env[k]

const { createStore } = await import(STORE_DIST)
const { createServer } = await import(SERVER_DIST)

const schema = engine === 'postgres' ? `bench_server_${process.pid}` : 'bench'
const store = await createStore(
  engine === 'postgres' ? { databaseUrl: PG_URL, schema } : { dataDir: 'memory', schema },
)
const options = { store, host: '127.0.0.1', port: 0, auth: 'local', ...extraOptions }
const server = await createServer(options)
const url = await server.listen()

// ------------------------------------------------------------------ sampling

const MB = 1024 * 1024
const metric = (text, name) => {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)
  return m ? Number(m[1]) : undefined
}
async function scrape() {
  const res = await server.app.inject({ method: 'GET', url: '/metrics' })
  const text = res.body
  return {
    pending: metric(text, 'threadline_ingest_pending_events'),
    writes: metric(text, 'threadline_store_write_seconds_count'),
    writeSec: metric(text, 'threadline_store_write_seconds_sum'),
    accepted: metric(
      text,
      'threadline_ingest_events_total\\{source="native",outcome="accepted"\\}',
    ),
    overloaded: metric(
      text,
      'threadline_ingest_refused_requests_total\\{source="native",reason="overloaded"\\}',
    ),
  }
}

const samples = []
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
let lastCpu = process.cpuUsage()
let lastWall = performance.now()
let lastElu = performance.eventLoopUtilization()
let sampling = false

async function sample() {
  if (sampling) return // a scrape still running (the loop is saturated): skip this tick
  sampling = true
  try {
    const now = performance.now()
    const cpu = process.cpuUsage()
    const elu = performance.eventLoopUtilization()
    const m = process.memoryUsage()
    const s = await scrape()
    samples.push({
      t: Date.now(),
      rssMB: m.rss / MB,
      heapUsedMB: m.heapUsed / MB,
      heapTotalMB: m.heapTotal / MB,
      externalMB: m.external / MB,
      arrayBuffersMB: m.arrayBuffers / MB,
      cpuPct:
        (100 * (cpu.user - lastCpu.user + cpu.system - lastCpu.system)) / 1000 / (now - lastWall),
      elu: performance.eventLoopUtilization(elu, lastElu).utilization,
      loopDelayMaxMs: loopDelay.max / 1e6,
      ...s,
    })
    loopDelay.reset()
    lastCpu = cpu
    lastWall = now
    lastElu = elu
  } finally {
    sampling = false
  }
}
await sample()
const timer = setInterval(() => void sample(), 1000)

console.log(JSON.stringify({ ready: true, url, engine, schema, pid: process.pid }))

// ------------------------------------------------------------------ shutdown

process.once('SIGTERM', async () => {
  try {
    clearInterval(timer)
    await sample()
    // With --expose-gc (run.js passes it): what the heap holds once garbage is collected.
    const gc = globalThis.gc
    let afterGc
    if (typeof gc === 'function') {
      gc()
      const m = process.memoryUsage()
      afterGc = { rssMB: m.rss / MB, heapUsedMB: m.heapUsed / MB, externalMB: m.external / MB }
    }
    const t0 = performance.now()
    await server.close()
    const closeMs = performance.now() - t0
    const t1 = performance.now()
    const stored = await store.count()
    const countMs = performance.now() - t1
    const info = await store.info()
    await store.close()
    if (engine === 'postgres') {
      const pg = loadPg()
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
      } finally {
        await client.end()
      }
    }
    console.log(
      JSON.stringify({
        engine,
        schema,
        location: info.location,
        options: { ...options, store: undefined },
        stored,
        afterGc,
        closeMs,
        countMs,
        samples,
      }),
    )
    process.exit(0)
  } catch (error) {
    console.error('bench/server server.js: shutdown failed', error)
    process.exit(1)
  }
})
