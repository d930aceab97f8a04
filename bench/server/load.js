// The load generator, in its own process:
//
//   node bench/server/load.js http://127.0.0.1:<port>
//
// C connections (keep-alive) each POST gzip-compressed {"events":[...]} batches of B events to
// /v1/events in a loop for D seconds, paced to R events/s in all (a token bucket holding at
// most one second of credit; R=0 sends as fast as the server answers). Events are realistic
// Threadline events of 600-800 bytes; a pool of templates is serialized once, and each batch
// only splices in fresh ids, timestamps and trace ids. A 503 is retried after its
// Retry-After; other failures are counted and not retried (their events may or may not have
// been stored). Prints one JSON line: events sent, accepted, 503s, errors, accepted events/s
// overall and per 5-second window, request latency, and this process's own CPU time.
//
// Env: C (default 8), B (default 1000), D (seconds, default 60; QUICK=1: 3), R (events/s,
// default 30000; QUICK=1: 5000; 0 = unlimited), GZIP_LEVEL (default 1), POOL (templates,
// default 4096), SEED (templates, default 7).

import { randomBytes } from 'node:crypto'
import http from 'node:http'
import { performance } from 'node:perf_hooks'
import process from 'node:process'
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'

import { quantile, sleep } from './lib.js'

const gzip = promisify(gzipCallback)
const env = process.env
const quick = process.argv.includes('--quick') || env.QUICK === '1'
const base = process.argv[2]
const C = Number(env.C ?? 8)
const B = Number(env.B ?? 1000)
const D = Number(env.D ?? (quick ? 3 : 60))
const R = Number(env.R ?? (quick ? 5000 : 30_000))
const GZIP_LEVEL = Number(env.GZIP_LEVEL ?? 1)
const POOL = Number(env.POOL ?? 4096)
const SEED = Number(env.SEED ?? 7)
const WINDOW_S = 5
if (!base || !(C > 0 && B > 0 && D > 0 && R >= 0 && POOL >= B)) {
  console.error('usage: node load.js <base-url>; C, B, D > 0, R >= 0, POOL >= B')
  process.exit(2)
}
const target = new URL('/v1/events', base)
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
  console.error(`load.js only sends to loopback, not ${target.hostname}`)
  process.exit(2)
}

// ------------------------------------------------------------------ templates

/** mulberry32: a small seeded generator, so every run sends the same mix. */
function rng(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = (xs) => xs[Math.floor(next() * xs.length)]
  const hex = (n) => {
    let s = ''
    while (s.length < n)
      s += Math.floor(next() * 0x100000000)
        .toString(16)
        .padStart(8, '0')
    return s.slice(0, n)
  }
  return { next, int, pick, hex }
}

const ORGS = [
  ['org_acme', 'enterprise', 'us-east-1'],
  ['org_globex', 'team', 'eu-west-1'],
  ['org_initech', 'team', 'us-west-2'],
  ['org_umbrella', 'pro', 'eu-central-1'],
]
const ROUTES = [
  ['GET', '/api/conversations/:id', 'conversations', 'conversation', 'read'],
  ['GET', '/api/documents/:id', 'documents', 'document', 'read'],
  ['POST', '/api/documents', 'documents', 'document', 'create'],
  ['GET', '/api/search', 'documents', 'document', 'search'],
  ['PATCH', '/api/settings', 'org_settings', 'settings', 'update'],
  ['GET', '/api/users/:id', 'users', 'user', 'read'],
]
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  'threadline-sdk-python/0.3.1 (CPython 3.12.4; Linux x86_64)',
]
const MODELS = [
  ['openai', 'gpt-4o-mini', 0.15, 0.6],
  ['anthropic', 'claude-sonnet-4-5', 3, 15],
  ['openai', 'gpt-4.1-mini', 0.4, 1.6],
]
const TOPICS = [
  'refund policy for annual plans',
  'export invoices to csv with the vat number',
  'kubernetes deployment keeps failing its readiness probe',
  'connect the slack integration to a private channel',
  'gdpr data deletion request for a former employee',
  'latency spikes in the european region since tuesday',
]

/**
 * One request's events (a trace): an HTTP server span with a database span and app logs,
 * and for some requests an LLM generation and a warning. Each template is the event's JSON
 * without `id`, `timestamp` and `trace_id`, which are spliced in per batch.
 */
function traceTemplates(r) {
  const [org, plan, region] = r.pick(ORGS)
  const [method, route, table, resource, action] = r.pick(ROUTES)
  const user = `user-${r.int(1, 5000)}`
  const ctx = {
    service: 'api',
    environment: 'production',
    service_version: '1.42.0',
    request_id: `req_${r.hex(20)}`,
    org_id: org,
    user_id: user,
    session_id: `sess_${r.hex(12)}`,
  }
  const root = r.hex(16)
  const status = r.next() < 0.04 ? 500 : r.next() < 0.05 ? 404 : 200
  const resourceId = route.includes(':id') ? `${resource.slice(0, 3)}_${r.hex(12)}` : undefined
  const path = resourceId ? route.replace(':id', resourceId) : route
  const out = []
  const dbMs = Number((r.next() * 12 + 0.4).toFixed(3))
  out.push({
    kind: 'span',
    level: 'info',
    message: `SELECT ${table}`,
    ...ctx,
    span_id: r.hex(16),
    parent_span_id: root,
    category: 'db',
    event: 'query',
    name: `SELECT ${table}`,
    span_kind: 'client',
    status: 'ok',
    duration_ms: dbMs,
    attributes: {
      'db.system': 'postgresql',
      'db.operation': 'SELECT',
      'db.table': table,
      'db.rows': r.int(0, 50),
    },
  })
  if (r.next() < 0.35) {
    const [provider, model, pin, pout] = r.pick(MODELS)
    const inTok = r.int(300, 6000)
    const outTok = r.int(40, 1200)
    out.push({
      kind: 'span',
      level: 'info',
      message: `chat ${model}`,
      ...ctx,
      span_id: r.hex(16),
      parent_span_id: root,
      category: 'llm',
      event: 'generation',
      name: `chat ${model}`,
      span_kind: 'llm',
      status: 'ok',
      duration_ms: Number((r.next() * 3000 + 250).toFixed(3)),
      cost_usd: Number(((inTok * pin + outTok * pout) / 1e6).toFixed(8)),
      llm: {
        provider,
        model,
        operation: 'chat',
        input_tokens: inTok,
        output_tokens: outTok,
        total_tokens: inTok + outTok,
        usage_source: 'reported',
      },
      attributes: { 'gen_ai.request.model': model, temperature: 0.2, stream: r.next() < 0.6 },
    })
  }
  const topic = r.pick(TOPICS)
  out.push({
    kind: 'log',
    level: status >= 500 ? 'error' : r.next() < 0.1 ? 'warn' : 'info',
    message:
      status >= 500
        ? `request failed: connection terminated unexpectedly while reading ${table}`
        : `returned ${r.int(1, 40)} ${resource} records for "${topic}"`,
    ...ctx,
    span_id: root,
    category: 'app',
    event: status >= 500 ? 'unhandled_error' : 'response',
    resource_type: resource,
    ...(resourceId ? { resource_id: resourceId } : {}),
    action,
    attributes: { region, plan, cache: r.next() < 0.5 ? 'hit' : 'miss', items: r.int(1, 40) },
  })
  out.push({
    kind: 'span',
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    message: `${method} ${route}`,
    ...ctx,
    span_id: root,
    category: 'http',
    event: 'request',
    name: `${method} ${route}`,
    span_kind: 'server',
    status: status >= 500 ? 'error' : 'ok',
    duration_ms: Number((dbMs + r.next() * 40 + 1).toFixed(3)),
    http: {
      method,
      route,
      path,
      status_code: status,
      outcome: status >= 500 ? 'errored' : 'completed',
      response_bytes: r.int(60, 24_000),
      client_address: `10.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
      user_agent: r.pick(AGENTS),
    },
    attributes: { region, plan, 'feature.beta_ui': r.next() < 0.1 },
  })
  // `{` + the rest: id, timestamp and trace_id go in front when a batch is built.
  return out.map((e, i) => ({ first: i === 0, rest: JSON.stringify(e).slice(1) }))
}

const templates = []
{
  const r = rng(SEED)
  while (templates.length < POOL) templates.push(...traceTemplates(r))
  templates.length = POOL
}

// ------------------------------------------------------------------ ids and batches

// UUIDv7 layout: 48 bits of ms time, then a per-process random part and an event counter.
const rnd = randomBytes(4).toString('hex')
const idMid = `-7${rnd.slice(0, 3)}-${(0x8000 | (parseInt(rnd.slice(3, 7), 16) & 0x3fff)).toString(16)}-`
const tracePrefix = randomBytes(8).toString('hex')
let eventSeq = 0
let traceSeq = 0
let offset = 0

/** A batch's JSON body: B events from the pool with fresh ids, timestamps and trace ids. */
function buildBatch() {
  const now = Date.now()
  const ms = now.toString(16).padStart(12, '0')
  const idHead = `${ms.slice(0, 8)}-${ms.slice(8)}${idMid}`
  // Ten timestamps over the last second: a batch holds what an app logged since its last flush.
  const stamps = Array.from({ length: 10 }, (_, k) => new Date(now - 900 + k * 100).toISOString())
  const parts = new Array(B)
  let trace = ''
  for (let i = 0; i < B; i++) {
    const t = templates[(offset + i) % POOL]
    if (t.first || trace === '') trace = tracePrefix + (traceSeq++).toString(16).padStart(16, '0')
    parts[i] =
      `{"id":"${idHead}${(eventSeq++).toString(16).padStart(12, '0')}","timestamp":"${stamps[((i * 10) / B) | 0]}","trace_id":"${trace}",` +
      t.rest
  }
  offset = (offset + B) % POOL
  return `{"events":[${parts.join(',')}]}`
}

// ------------------------------------------------------------------ sending

const agent = new http.Agent({ keepAlive: true, maxSockets: C })

/** POST one gzip body; resolves { status, retryAfter, body } or rejects on a network error. */
function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            retryAfter: Number(res.headers['retry-after'] ?? 1),
            body: Buffer.concat(chunks).toString(),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const stats = {
  requests: 0,
  sentEvents: 0,
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  http503: 0,
  errors: 0,
  failedEvents: 0,
  abandonedEvents: 0,
  rawBytes: 0,
  gzipBytes: 0,
}
const latencies = []
const acceptedPerSecond = []
const errorSamples = []

const durationMs = D * 1000
const intervalMs = R > 0 ? (B * 1000) / R : 0
let nextSlot = 0
let t0 = 0
let lastResponse = 0

/** When this connection may send its next batch (token bucket: at most 1 s of credit). */
function claimSlot(now) {
  if (R === 0) return now
  if (nextSlot < now - 1000) nextSlot = now - 1000
  const at = nextSlot
  nextSlot += intervalMs
  return at
}

async function connection() {
  for (;;) {
    let now = performance.now()
    if (now - t0 >= durationMs) return
    const at = claimSlot(now)
    if (at - t0 >= durationMs) return
    if (at > now) {
      await sleep(at - now)
      now = performance.now()
      if (now - t0 >= durationMs) return
    }
    const json = buildBatch()
    const body = await gzip(json, { level: GZIP_LEVEL })
    stats.rawBytes += json.length
    stats.gzipBytes += body.length
    stats.sentEvents += B
    for (;;) {
      const started = performance.now()
      stats.requests++
      let res
      try {
        res = await post(body)
      } catch (error) {
        stats.errors++
        stats.failedEvents += B
        if (errorSamples.length < 5) errorSamples.push(String(error))
        await sleep(100)
        break
      }
      const ended = performance.now()
      lastResponse = ended
      if (res.status === 503) {
        stats.http503++
        if (ended - t0 > durationMs + 10_000) {
          stats.abandonedEvents += B
          break
        }
        await sleep(res.retryAfter * 1000)
        continue
      }
      if (res.status !== 200) {
        stats.errors++
        stats.failedEvents += B
        if (errorSamples.length < 5) errorSamples.push(`${res.status} ${res.body.slice(0, 200)}`)
        break
      }
      const r = JSON.parse(res.body)
      stats.accepted += r.accepted
      stats.duplicates += r.duplicates
      stats.rejected += r.rejected.length
      if (r.rejected.length && errorSamples.length < 5)
        errorSamples.push(`rejected: ${JSON.stringify(r.rejected[0])}`)
      latencies.push(ended - started)
      const sec = Math.floor((ended - t0) / 1000)
      acceptedPerSecond[sec] = (acceptedPerSecond[sec] ?? 0) + r.accepted
      break
    }
  }
}

const cpu0 = process.cpuUsage()
t0 = performance.now()
nextSlot = t0
const tStartEpoch = Date.now()
await Promise.all(Array.from({ length: C }, () => connection()))
const elapsedMs = Math.max(lastResponse, t0 + 1) - t0
const tEndEpoch = Date.now()
const cpu = process.cpuUsage(cpu0)
agent.destroy()

const perSecond = Array.from(
  { length: acceptedPerSecond.length },
  (_, i) => acceptedPerSecond[i] ?? 0,
)
const windows = []
for (let w = 0; w * WINDOW_S < D; w++) {
  const from = w * WINDOW_S
  const to = Math.min(D, from + WINDOW_S)
  const n = perSecond.slice(from, to).reduce((a, b) => a + b, 0)
  windows.push({ fromS: from, toS: to, eventsPerSec: n / (to - from) })
}
const inD = perSecond.slice(0, D).reduce((a, b) => a + b, 0)
console.log(
  JSON.stringify({
    settings: { C, B, D, R, GZIP_LEVEL, POOL, SEED },
    tStartEpoch,
    tEndEpoch,
    elapsedS: elapsedMs / 1000,
    ...stats,
    acceptedPerSec: stats.accepted / (elapsedMs / 1000),
    acceptedPerSecWithinD: inD / D,
    windows,
    perSecond,
    latencyMs: {
      p50: quantile(latencies, 0.5),
      p90: quantile(latencies, 0.9),
      p99: quantile(latencies, 0.99),
      max: latencies.length ? Math.max(...latencies) : undefined,
      n: latencies.length,
    },
    bytesPerEvent: stats.rawBytes / Math.max(1, stats.sentEvents),
    gzipRatio: stats.rawBytes / Math.max(1, stats.gzipBytes),
    cpu: {
      userMs: cpu.user / 1000,
      systemMs: cpu.system / 1000,
      pctOfCore: (100 * (cpu.user + cpu.system)) / 1000 / elapsedMs,
      usPerEvent: (cpu.user + cpu.system) / Math.max(1, stats.sentEvents),
    },
    errorSamples,
  }),
)
