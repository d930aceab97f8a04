// One measurement in this (fresh) process; prints one JSON line with the result on stdout.
//
//   node bench/store/variant.js <name>
//
// Ingest (env N events, BATCH events per insert call):
//   pg-copy-raw     COPY of the events pre-encoded to COPY text before the timer (the store's
//                   own encoder), one COPY statement per batch, into a table created by the
//                   store's migrations with its daily partitions already there.
//   store-postgres  store.insert(batch) for each batch on PostgreSQL; the timer covers all the
//                   store does (validation, encoding, creating partitions, COPY).
//   store-pglite    store.insert(batch) for each batch into in-memory PGlite.
// Query latency (env N events loaded, Q timed runs per query after WARM runs):
//   query-postgres  load through store.insert, VACUUM (ANALYZE), then time each query.
//   query-pglite    the same on in-memory PGlite (no VACUUM: the store runs ANALYZE on PGlite
//                   itself as the table grows).
//
// Other env: PG_URL, SEED, NOW (epoch ms the data ends at), KEEP=1 (query-postgres: keep
// the loaded schema and reuse it next time when N and SEED match).
// PostgreSQL variants work in their own schema and drop it when done (unless KEEP=1).

import process from 'node:process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { createStore } from '@threadline/store'
import { keptSchema, markKept, quoteIdent, readKept } from '../shared/dataset.js'
import { median } from '../shared/harness.js'
import { eventBatches, ORGS, SAMPLE_USER, SEARCH_TERM } from './events.js'

const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
// Nothing from the caller's environment may pick the store's engine.
for (const k of ['DATABASE_URL', 'npm_package_name', 'npm_package_version', 'NODE_ENV'])
  delete process.env[k]
for (const k of Object.keys(process.env)) if (k.startsWith('THREADLINE_')) delete process.env[k]

const name = process.argv[2]
const N = Number(process.env.N ?? 20_000)
const BATCH = Number(process.env.BATCH ?? 5000)
const SEED = Number(process.env.SEED ?? 42)
const NOW = Number(process.env.NOW ?? Date.now())
const Q = Number(process.env.Q ?? 20)
const WARM = Number(process.env.WARM ?? 3)
const KEEP = process.env.KEEP === '1'

const VARIANTS = {
  'pg-copy-raw': pgCopyRaw,
  'store-postgres': () => storeIngest('postgres'),
  'store-pglite': () => storeIngest('pglite'),
  'query-postgres': () => queryLatency('postgres'),
  'query-pglite': () => queryLatency('pglite'),
}

function fail(msg) {
  console.error(`bench/store ${name}: ${msg}`)
  process.exit(1)
}

const schemaFor = (variant) => `bench_store_${variant.replaceAll('-', '_')}_${process.pid}`
const now = () => performance.now()

/** Every batch of the data set, generated up front (not timed). */
const allBatches = () => [...eventBatches({ n: N, batchSize: BATCH, seed: SEED, now: NOW })]

async function pgClient() {
  const pg = (await import('pg')).default
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  return client
}

function openStore(engine, schema) {
  return createStore(
    engine === 'postgres' ? { databaseUrl: PG_URL, schema } : { dataDir: 'memory', schema },
  )
}

async function dropSchema(schema) {
  const client = await pgClient()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`)
  } finally {
    await client.end()
  }
}

/** Client process CPU (user + system) in ms since `from`. */
const cpuMs = (from) => {
  const u = process.cpuUsage(from)
  return (u.user + u.system) / 1000
}

// -------------------------------------------------------------------- ingest

async function pgCopyRaw() {
  const { COPY_COLUMNS, encodeCopyRows } = await import('../../packages/store/dist/copy.js')
  const { from: copyFrom } = await import('pg-copy-streams')
  const schema = schemaFor(name)
  let batches = allBatches()
  const encoded = batches.map((b) => Buffer.from(encodeCopyRows(b)))
  const bytes = encoded.reduce((s, b) => s + b.length, 0)
  // One event per UTC day through the store creates the partitions; then empty the table.
  const firstOfDay = new Map()
  for (const b of batches)
    for (const e of b)
      if (!firstOfDay.has(e.timestamp.slice(0, 10))) firstOfDay.set(e.timestamp.slice(0, 10), e)
  batches = undefined
  const store = await openStore('postgres', schema)
  const client = await pgClient()
  try {
    const probe = await store.insert([...firstOfDay.values()])
    if (probe.inserted !== firstOfDay.size) fail(`probe insert: ${JSON.stringify(probe)}`)
    await store.close()
    const table = `${quoteIdent(schema)}.events`
    await client.query(`TRUNCATE ${table}`)
    const sql = `COPY ${table} (${COPY_COLUMNS.map(quoteIdent).join(', ')}) FROM STDIN`

    const cpu0 = process.cpuUsage()
    const t0 = now()
    for (const buf of encoded) {
      const stream = client.query(copyFrom(sql))
      await pipeline(Readable.from([buf]), stream)
    }
    const ms = now() - t0
    const cpu = cpuMs(cpu0)

    const rows = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)
    if (rows !== N) fail(`expected ${N} rows, found ${rows}`)
    return ingestResult(ms, cpu, rows, { partitions: firstOfDay.size, copyBytes: bytes })
  } finally {
    await client.end()
    await dropSchema(schema)
  }
}

async function storeIngest(engine) {
  const schema = engine === 'postgres' ? schemaFor(name) : 'bench'
  const batches = allBatches()
  const store = await openStore(engine, schema)
  try {
    if (store.engine !== engine) fail(`store opened ${store.engine}, expected ${engine}`)
    let inserted = 0
    let duplicates = 0
    let rejected = 0
    const cpu0 = process.cpuUsage()
    const t0 = now()
    for (const b of batches) {
      const r = await store.insert(b)
      inserted += r.inserted
      duplicates += r.duplicates
      rejected += r.rejected.length
    }
    const ms = now() - t0
    const cpu = cpuMs(cpu0)
    if (inserted !== N || duplicates !== 0 || rejected !== 0)
      fail(
        `inserted ${inserted}, duplicates ${duplicates}, rejected ${rejected}; expected ${N}, 0, 0`,
      )
    const rows = await store.count()
    if (rows !== N) fail(`expected ${N} rows, store.count() says ${rows}`)
    return ingestResult(ms, cpu, rows)
  } finally {
    await store.close()
    if (engine === 'postgres') await dropSchema(schema)
  }
}

function ingestResult(ms, cpu, rows, extra = {}) {
  return {
    variant: name,
    n: N,
    batch: BATCH,
    ms,
    rowsPerSec: (rows / ms) * 1000,
    clientCpuMs: cpu,
    rows,
    check: `${rows} rows stored`,
    ...extra,
  }
}

// -------------------------------------------------------------------- queries

const HOUR = 3_600_000
const BIG_ORG = ORGS[0].id

/** The queries timed, each with its target in ms and a size of its answer for the report. */
function queries(dataNow, traces) {
  const since24h = new Date(dataNow - 24 * HOUR).toISOString()
  const since7d = new Date(dataNow - 7 * 24 * HOUR).toISOString()
  return [
    {
      name: 'trace',
      call: 'store.trace(id, { org_id }) of a random trace',
      target: 10,
      run: (s, i) =>
        s.trace(traces[i % traces.length].trace_id, { org_id: traces[i % traces.length].org_id }),
      size: (r) => r?.events.length ?? 0,
      check: (r) => r !== undefined && r.span_count > 0 && r.roots.length > 0,
    },
    {
      name: 'page-warn-7d',
      call: `store.query({ org_id, level: 'warn', since: 7d, limit: 100 })`,
      target: 100,
      run: (s) => s.query({ org_id: BIG_ORG, level: 'warn', since: since7d, limit: 100 }),
      size: (r) => r.events.length,
    },
    {
      name: 'search-7d',
      call: `store.query({ org_id, search: '${SEARCH_TERM}', since: 7d, limit: 100 })`,
      target: 100,
      run: (s) => s.query({ org_id: BIG_ORG, search: SEARCH_TERM, since: since7d, limit: 100 }),
      size: (r) => r.events.length,
    },
    {
      name: 'user-errors-24h',
      call: `store.query({ user_id: '${SAMPLE_USER}', errors_only: true, since: 24h, limit: 100 })`,
      target: 100,
      run: (s) => s.query({ user_id: SAMPLE_USER, errors_only: true, since: since24h, limit: 100 }),
      size: (r) => r.events.length,
    },
    {
      name: 'errors-24h',
      call: 'store.errors({ org_id, since: 24h })',
      target: 500,
      run: (s) => s.errors({ org_id: BIG_ORG, since: since24h }),
      size: (r) => r.length,
    },
    {
      name: 'errors-7d',
      call: 'store.errors({ org_id, since: 7d })',
      target: 500,
      run: (s) => s.errors({ org_id: BIG_ORG, since: since7d }),
      size: (r) => r.length,
    },
    {
      name: 'stats-model-7d',
      call: `store.stats({ group_by: 'model', since: 7d })`,
      target: 500,
      run: (s) => s.stats({ group_by: 'model', since: since7d }),
      size: (r) => r.length,
    },
    {
      name: 'stats-route-24h',
      call: `store.stats({ org_id, group_by: 'route', categories: 'http', since: 24h })`,
      target: 500,
      run: (s) =>
        s.stats({ org_id: BIG_ORG, group_by: 'route', categories: 'http', since: since24h }),
      size: (r) => r.length,
      check: (r) => r.length > 0 && r.every((row) => row.p95_ms !== null),
    },
  ]
}

/** Root spans at random instants of the data, for trace lookups (found through the store). */
async function sampleTraces(store, dataNow, count) {
  const out = []
  let x = 0x2545f491
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 4294967296
  for (let tries = 0; out.length < count && tries < count * 5; tries++) {
    const until = new Date(dataNow - rand() * 7 * 24 * HOUR).toISOString()
    const page = await store.query({ categories: 'http', kinds: 'span', until, limit: 1 })
    const e = page.events[0]
    if (e && e.org_id && !out.some((t) => t.trace_id === e.trace_id))
      out.push({ trace_id: e.trace_id, org_id: e.org_id })
  }
  if (out.length === 0) fail('found no trace to look up')
  return out
}

async function queryLatency(engine) {
  const schema = engine === 'pglite' ? 'bench' : KEEP ? keptSchema(N, SEED) : schemaFor(name)
  const meta = JSON.stringify({ n: N, seed: SEED, batch: BATCH })
  let client
  let dataNow = NOW
  let reused = false
  if (engine === 'postgres') {
    client = await pgClient()
    if (KEEP) {
      const kept = await readKept(client, schema, { n: N, seed: SEED })
      if (kept) {
        dataNow = kept.now
        reused = true
      }
    }
  }
  const store = await openStore(engine, schema)
  const result = {
    variant: name,
    n: N,
    batch: BATCH,
    engine,
    reused,
    dataNow: new Date(dataNow).toISOString(),
  }
  try {
    if (store.engine !== engine) fail(`store opened ${store.engine}, expected ${engine}`)
    if (!reused) {
      let loadMs = 0
      let inserted = 0
      const t0 = now()
      for (const b of eventBatches({ n: N, batchSize: BATCH, seed: SEED, now: NOW })) {
        const t = now()
        const r = await store.insert(b)
        loadMs += now() - t
        inserted += r.inserted
        if (r.rejected.length) fail(`rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`)
      }
      if (inserted !== N) fail(`inserted ${inserted} of ${N}`)
      result.load = {
        insertMs: loadMs,
        wallMs: now() - t0,
        eventsPerSec: (N / loadMs) * 1000,
      }
      console.error(
        `bench/store ${name}: loaded ${N} events, ${Math.round(result.load.eventsPerSec)} events/s in store.insert`,
      )
      if (engine === 'postgres') {
        const t = now()
        await client.query(`VACUUM (ANALYZE) ${quoteIdent(schema)}.events`)
        result.load.vacuumAnalyzeMs = now() - t
        if (KEEP) await markKept(client, schema, { ...JSON.parse(meta), now: NOW })
      }
    }
    const rows = await store.count()
    if (rows !== N) fail(`expected ${N} rows, store.count() says ${rows}`)
    if (engine === 'postgres') {
      const r = await client.query(
        `SELECT count(*)::int AS partitions, sum(pg_total_relation_size(inhrelid))::float8 AS bytes,
                sum(pg_relation_size(inhrelid))::float8 AS heap
           FROM pg_inherits WHERE inhparent = $1::regclass`,
        [`${quoteIdent(schema)}.events`],
      )
      result.partitions = r.rows[0].partitions
      result.totalBytes = r.rows[0].bytes
      result.heapBytes = r.rows[0].heap
    }

    const traces = await sampleTraces(store, dataNow, Q + WARM)
    result.queries = {}
    for (const q of queries(dataNow, traces)) {
      let answer
      for (let i = 0; i < WARM; i++) answer = await q.run(store, i + Q)
      const times = []
      const sizes = []
      for (let i = 0; i < Q; i++) {
        const t = now()
        answer = await q.run(store, i)
        times.push(now() - t)
        sizes.push(q.size(answer))
        if (q.check && !q.check(answer))
          fail(`${q.name}: unexpected answer ${JSON.stringify(answer).slice(0, 300)}`)
      }
      result.queries[q.name] = {
        call: q.call,
        target: q.target,
        medianMs: median(times),
        minMs: Math.min(...times),
        maxMs: Math.max(...times),
        rows: median(sizes),
        runs: times,
      }
      console.error(
        `bench/store ${name}: ${q.name.padEnd(16)} ${median(times).toFixed(2).padStart(9)} ms median  (${median(sizes)} rows)`,
      )
    }
    return result
  } finally {
    await store.close()
    if (client) {
      await client.end()
      if (engine === 'postgres' && !KEEP) await dropSchema(schema)
    }
  }
}

// -------------------------------------------------------------------- main

const run = VARIANTS[name]
if (!run) {
  console.error(
    `unknown variant ${JSON.stringify(name)}; one of: ${Object.keys(VARIANTS).join(', ')}`,
  )
  process.exit(2)
}
if (!(Number.isInteger(N) && N > 0 && Number.isInteger(BATCH) && BATCH > 0 && Q > 0 && WARM >= 0)) {
  console.error('N, BATCH and Q must be positive integers, WARM a non-negative integer')
  process.exit(2)
}
const res = await run()
console.log(JSON.stringify(res))
