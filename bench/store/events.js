// Deterministic, realistic Threadline events for the store benchmark.
//
//   for (const batch of eventBatches({ n: 200_000, batchSize: 5000, seed: 42, now })) ...
//
// The same (n, seed, now) always gives the same events, ids included. Events come as
// traces (one request = several events sharing a trace_id): an HTTP server span (the
// root) with app logs, database spans, and for chat requests an agent span holding a
// retriever span, one or two LLM generations and sometimes a tool call; login requests,
// health checks and background embedding jobs. About 4% of traces fail (an error span,
// an error log and a 5xx root span). Trace start times advance with the event count,
// so the events cover the `days` before `now` roughly in time order, as a live
// service would send them. Within a trace, children come before their parent (a span
// is emitted when it ends).

const DAY_MS = 86_400_000

// ------------------------------------------------------------------ random numbers

/** sfc32: small, fast, 128-bit state; plenty for a few hundred million draws. */
function makeRng(seed) {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const u32 = () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  for (let i = 0; i < 16; i++) u32()
  const float = () => u32() / 4294967296
  const int = (lo, hi) => lo + Math.floor(float() * (hi - lo + 1))
  const chance = (p) => float() < p
  const pick = (xs) => xs[Math.floor(float() * xs.length)]
  const hex = (chars) => {
    let s = ''
    while (s.length < chars) s += u32().toString(16).padStart(8, '0')
    return s.slice(0, chars)
  }
  /** Log-normal around `median` (sigma in log space), clamped to [lo, hi]. */
  const logn = (median, sigma, lo, hi) => {
    const u = 1 - float()
    const v = float()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    return Math.min(hi, Math.max(lo, median * Math.exp(sigma * z)))
  }
  return { u32, float, int, chance, pick, hex, logn }
}

/** Weighted choice: `table` is [[value, weight], ...]. */
function weighted(table) {
  const total = table.reduce((s, [, w]) => s + w, 0)
  const cum = []
  let acc = 0
  for (const [value, w] of table) cum.push([value, (acc += w / total)])
  return (rng) => {
    const x = rng.float()
    for (const [value, c] of cum) if (x < c) return value
    return cum[cum.length - 1][0]
  }
}

/** 16 hex chars from two 32-bit FNV-1a hashes: a stable fingerprint. */
function fingerprint(s) {
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 0x01000193) >>> 0
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995) >>> 0
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')
}

const round = (x, digits) => Number(x.toFixed(digits))

// ------------------------------------------------------------------ the world

export const ORGS = [
  { id: 'org_acme', weight: 40, plan: 'enterprise', region: 'us-east-1' },
  { id: 'org_globex', weight: 25, plan: 'team', region: 'eu-west-1' },
  { id: 'org_initech', weight: 15, plan: 'team', region: 'us-west-2' },
  { id: 'org_umbrella', weight: 12, plan: 'pro', region: 'eu-central-1' },
  { id: 'org_hooli', weight: 8, plan: 'free', region: 'ap-southeast-2' },
]
export const USER_COUNT = 1000
/** A user with steady traffic, for "all errors for user-123 in the last 24h". */
export const SAMPLE_USER = 'user-123'
/** A word that occurs in about 2% of the messages, for the full-text search query. */
export const SEARCH_TERM = 'refund'

const SERVICE_VERSION = '1.42.0'
const ENVIRONMENT = 'production'
const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36',
  'threadline-sdk-python/0.3.1',
  'okhttp/4.12.0',
]

// What users ask the assistant; the words make full-text search find things.
const TOPICS = [
  'refund policy for annual plans',
  'how do I reset my password',
  'export invoices to csv',
  'kubernetes deployment keeps failing readiness probe',
  'shipping delay for orders to canada',
  'upgrade subscription to the team plan',
  'cancel the trial before billing starts',
  'connect the slack integration to a private channel',
  'api rate limits for enterprise accounts',
  'gdpr data deletion request for a former employee',
  'set up two factor authentication',
  'webhook retries and signature verification',
  'migrate documents from google drive',
  'summarize the quarterly sales report',
  'why was my card declined',
  'change the billing email address',
  'translate the onboarding guide to german',
  'compare pricing of the pro and team plans',
  'single sign on with okta',
  'restore a deleted workspace',
  'partial refund for a duplicate charge',
  'increase the upload size limit',
  'schedule a weekly digest email',
  'audit log retention for compliance',
  'search results missing recent documents',
  'invite external collaborators to a project',
  'tax invoice with vat number',
  'latency spikes in the european region',
  'fine tune the support bot tone',
  'delete personal data from chat history',
  'configure custom domain and tls certificate',
  'mobile app crashes on login',
  'bulk import contacts from a spreadsheet',
  'explain the usage based billing',
  'downgrade plan and keep my data',
  'connect postgres as a data source',
  'reset api keys after a leak',
  'holiday support hours',
  'merge two accounts with the same email',
  'onboarding checklist for new admins',
]

const MODELS = weighted([
  [{ provider: 'openai', model: 'gpt-4o-mini', in: 0.15, out: 0.6 }, 35],
  [{ provider: 'openai', model: 'gpt-4o', in: 2.5, out: 10 }, 20],
  [{ provider: 'anthropic', model: 'claude-sonnet-4-5', in: 3, out: 15 }, 20],
  [{ provider: 'anthropic', model: 'claude-haiku-4-5', in: 1, out: 5 }, 10],
  [{ provider: 'openai', model: 'gpt-4.1-mini', in: 0.4, out: 1.6 }, 10],
  [{ provider: 'gcp.gemini', model: 'gemini-2.5-flash', in: 0.3, out: 2.5 }, 5],
])
const EMBEDDING = { provider: 'openai', model: 'text-embedding-3-small', in: 0.02, out: 0 }
const TOOLS = ['web_search', 'lookup_invoice', 'create_ticket', 'run_sql', 'get_order_status']

const API_ROUTES = weighted([
  [{ method: 'GET', route: '/api/conversations', resource: 'conversation', action: 'read' }, 18],
  [
    {
      method: 'GET',
      route: '/api/conversations/:id',
      resource: 'conversation',
      action: 'read',
      id: true,
    },
    16,
  ],
  [
    { method: 'GET', route: '/api/documents/:id', resource: 'document', action: 'read', id: true },
    14,
  ],
  [{ method: 'POST', route: '/api/documents', resource: 'document', action: 'create' }, 6],
  [
    {
      method: 'DELETE',
      route: '/api/documents/:id',
      resource: 'document',
      action: 'delete',
      id: true,
    },
    2,
  ],
  [{ method: 'GET', route: '/api/search', resource: 'document', action: 'search' }, 10],
  [{ method: 'GET', route: '/api/users/:id', resource: 'user', action: 'read', id: true }, 12],
  [{ method: 'PATCH', route: '/api/settings', resource: 'settings', action: 'update' }, 4],
  [{ method: 'GET', route: '/api/usage', resource: 'usage', action: 'read' }, 6],
])
const TABLES = {
  conversation: 'conversations',
  document: 'documents',
  user: 'users',
  settings: 'org_settings',
  usage: 'usage_daily',
}

const ERRORS = {
  timeout: {
    type: 'TimeoutError',
    message: 'upstream request timed out after 30000ms',
    frames: ['fetchWithTimeout (src/llm/client.ts:88:11)', 'callModel (src/llm/router.ts:141:18)'],
  },
  rateLimit: {
    type: 'RateLimitError',
    message: '429 rate limit reached for requests per minute',
    frames: ['handleResponse (src/llm/client.ts:120:13)', 'callModel (src/llm/router.ts:141:18)'],
  },
  tool: {
    type: 'ToolError',
    message: 'tool call failed: upstream returned 502 bad gateway',
    frames: ['invokeTool (src/agent/tools.ts:64:9)', 'runAgent (src/agent/run.ts:212:22)'],
  },
  db: {
    type: 'DatabaseError',
    message: 'connection terminated unexpectedly',
    frames: ['Client.query (node_modules/pg/lib/client.js:526:17)', 'find (src/db/repo.ts:37:20)'],
  },
  undef: {
    type: 'TypeError',
    message: "Cannot read properties of undefined (reading 'id')",
    frames: ['toDto (src/api/serialize.ts:19:30)', 'handler (src/api/routes.ts:77:12)'],
  },
  embed: {
    type: 'EmbeddingError',
    message: 'embedding input exceeds 8192 tokens',
    frames: ['embedChunk (src/jobs/embed.ts:51:15)', 'runJob (src/jobs/worker.ts:33:9)'],
  },
}
for (const e of Object.values(ERRORS)) {
  e.fingerprint = fingerprint(`${e.type}\n${e.message}\n${e.frames.join('\n')}`)
  e.stack = `${e.type}: ${e.message}\n${e.frames.map((f) => `    at ${f}`).join('\n')}`
}
const errorInfo = (e) => ({
  type: e.type,
  message: e.message,
  stack: e.stack,
  fingerprint: e.fingerprint,
})

// ------------------------------------------------------------------ the generator

/**
 * Yields arrays of `batchSize` events (the last may be shorter), `n` events in all.
 * @param {{ n: number, batchSize: number, seed?: number, now?: number, days?: number }} options
 */
export function* eventBatches({ n, batchSize, seed = 42, now = Date.now(), days = 7 }) {
  let batch = []
  for (const e of events({ n, seed, now, days })) {
    batch.push(e)
    if (batch.length === batchSize) {
      yield batch
      batch = []
    }
  }
  if (batch.length) yield batch
}

/** Yields `n` events one by one (see the top of this file). */
export function* events({ n, seed = 42, now = Date.now(), days = 7 }) {
  const rng = makeRng(seed)
  // Users belong to an org (weighted), popularity is skewed towards low numbers.
  const pickOrg = weighted(ORGS.map((o) => [o, o.weight]))
  const userOrg = Array.from({ length: USER_COUNT + 1 }, () => pickOrg(rng))
  const windowEnd = now - 5 * 60_000 // the longest trace ends well before `now`
  const windowStart = now - days * DAY_MS
  const span = windowEnd - windowStart

  let emitted = 0
  let seq = 0
  while (emitted < n) {
    const trace = makeTrace(rng, userOrg, (expected) => {
      const t = windowStart + (span * (emitted + rng.float() * expected)) / n
      return Math.floor(Math.min(windowEnd, t))
    })
    for (const e of trace) {
      if (emitted >= n) break
      e.id = uuidv7(e._ms, seq++, rng)
      delete e._ms
      emitted++
      yield e
    }
  }
}

function uuidv7(ms, seq, rng) {
  const t = ms.toString(16).padStart(12, '0')
  const a = (rng.u32() & 0xfff).toString(16).padStart(3, '0')
  const b = (0x8000 | (rng.u32() & 0x3fff)).toString(16)
  const c = rng.hex(4) + (seq >>> 0).toString(16).padStart(8, '0')
  return `${t.slice(0, 8)}-${t.slice(8)}-7${a}-${b}-${c}`
}

const KINDS = weighted([
  ['api', 50],
  ['chat', 30],
  ['login', 8],
  ['health', 7],
  ['job', 5],
])
const P_FAIL = 0.043

/** One trace's events, children before parents. `startAt(expectedEvents)` places it in time. */
function makeTrace(rng, userOrg, startAt) {
  const kind = KINDS(rng)
  const out = []
  const userIdx = Math.floor(USER_COUNT * rng.float() ** 2) + 1
  const org = userOrg[userIdx]
  const expected = { api: 4, chat: 9, login: 2, health: 1, job: 4 }[kind]
  const t0 = startAt(expected)
  const ctx = {
    service: kind === 'job' ? 'worker' : 'api',
    environment: ENVIRONMENT,
    service_version: SERVICE_VERSION,
    trace_id: rng.hex(32),
  }
  if (kind !== 'health' && kind !== 'job') ctx.request_id = `req_${rng.hex(20)}`
  if (kind !== 'health') ctx.org_id = org.id
  if (kind !== 'health' && kind !== 'job') {
    ctx.user_id = `user-${userIdx}`
    const day = Math.floor(t0 / DAY_MS)
    ctx.session_id = `sess_${userIdx.toString(36)}_${day.toString(36)}_${rng.int(0, 2)}`
  }
  const fail = kind !== 'health' && rng.chance(P_FAIL)

  const base = (fields, ms) => ({ _ms: Math.round(ms), ...fields })
  const log = (ms, level, message, spanId, extra) =>
    base(
      {
        kind: 'log',
        timestamp: new Date(Math.round(ms)).toISOString(),
        level,
        message,
        ...ctx,
        span_id: spanId,
        ...extra,
      },
      ms,
    )
  const spanEv = (ms, dur, level, name, spanId, parent, extra) =>
    base(
      {
        kind: 'span',
        timestamp: new Date(Math.round(ms)).toISOString(),
        level,
        message: name,
        ...ctx,
        span_id: spanId,
        ...(parent ? { parent_span_id: parent } : {}),
        duration_ms: round(dur, 3),
        name,
        ...extra,
      },
      ms,
    )
  const rootId = rng.hex(16)
  const attrs = { region: org.region, plan: org.plan }

  if (kind === 'health') {
    const dur = rng.logn(1.2, 0.4, 0.2, 20)
    out.push(
      spanEv(t0, dur, 'debug', 'GET /health', rootId, undefined, {
        category: 'http',
        event: 'request',
        span_kind: 'server',
        status: 'ok',
        http: {
          method: 'GET',
          route: '/health',
          path: '/health',
          status_code: 200,
          outcome: 'completed',
          response_bytes: 15,
          user_agent: 'kube-probe/1.30',
        },
      }),
    )
    return out
  }

  if (kind === 'job') {
    const jobId = rng.hex(16)
    let cur = t0 + rng.logn(2, 0.5, 0.5, 20)
    const docId = `doc_${rng.hex(12)}`
    out.push(
      log(cur, 'info', `embedding document ${docId} for the knowledge base`, jobId, {
        category: 'job',
        event: 'started',
        resource_type: 'document',
        resource_id: docId,
        action: 'execute',
      }),
    )
    const chunks = rng.int(1, 3)
    let failed = false
    for (let i = 0; i < chunks; i++) {
      const start = cur + rng.logn(3, 0.5, 0.5, 50)
      const dur = rng.logn(180, 0.5, 30, 5000)
      const inTok = rng.int(200, 8000)
      const err = fail && i === chunks - 1
      out.push(
        spanEv(
          start,
          dur,
          err ? 'error' : 'info',
          `embeddings ${EMBEDDING.model}`,
          rng.hex(16),
          jobId,
          {
            category: 'llm',
            event: 'embedding',
            span_kind: 'embedding',
            status: err ? 'error' : 'ok',
            llm: {
              provider: EMBEDDING.provider,
              model: EMBEDDING.model,
              operation: 'embeddings',
              input_tokens: inTok,
              total_tokens: inTok,
              usage_source: 'reported',
            },
            ...(err
              ? { error: errorInfo(ERRORS.embed) }
              : { cost_usd: round((inTok * EMBEDDING.in) / 1e6, 8) }),
            attributes: { 'gen_ai.request.model': EMBEDDING.model, chunk: i },
          },
        ),
      )
      cur = start + dur
      if (err) failed = true
    }
    if (failed) {
      out.push(
        log(cur + 1, 'error', `job embed-document failed: ${ERRORS.embed.message}`, jobId, {
          category: 'job',
          event: 'failed',
          error: errorInfo(ERRORS.embed),
        }),
      )
    } else if (rng.chance(0.002)) {
      out.push(
        log(cur + 1, 'fatal', 'worker out of memory, exiting', jobId, {
          category: 'job',
          event: 'crashed',
          attributes: { heap_used_mb: rng.int(1800, 2100) },
        }),
      )
    }
    const end = cur + rng.logn(2, 0.5, 0.2, 30)
    out.push(
      spanEv(t0, end - t0, failed ? 'error' : 'info', 'job embed-document', jobId, undefined, {
        category: 'job',
        event: 'run',
        span_kind: 'internal',
        status: failed ? 'error' : 'ok',
        resource_type: 'document',
        resource_id: docId,
        action: 'execute',
        ...(failed ? { error: errorInfo(ERRORS.embed) } : {}),
        attributes: { queue: 'embeddings', attempt: 1 },
      }),
    )
    return out
  }

  // HTTP requests: api, chat, login
  let route
  let resourceId
  if (kind === 'api') {
    route = API_ROUTES(rng)
    if (route.id) resourceId = `${route.resource.slice(0, 4)}_${rng.hex(12)}`
  } else if (kind === 'chat') {
    route = { method: 'POST', route: '/api/chat', resource: 'conversation', action: 'create' }
  } else {
    route = { method: 'POST', route: '/auth/login' }
  }
  const path = route.id ? route.route.replace(':id', resourceId) : route.route
  const resource = route.resource
    ? {
        resource_type: route.resource,
        ...(resourceId ? { resource_id: resourceId } : {}),
        action: route.action,
      }
    : {}
  let cur = t0 + rng.logn(0.8, 0.5, 0.1, 10)
  let status = 200
  let failure // the error that made the request fail

  if (rng.chance(0.02))
    out.push(
      log(cur, 'trace', `entering ${route.method} ${route.route} handler`, rootId, {
        category: 'app',
      }),
    )

  if (kind === 'login') {
    const bad = rng.chance(0.1)
    cur += rng.logn(40, 0.4, 5, 800) // password hash
    out.push(
      log(
        cur,
        bad ? 'warn' : 'info',
        bad ? 'login failed: wrong password' : 'user logged in',
        rootId,
        {
          category: 'auth',
          event: bad ? 'login_failed' : 'login',
          action: 'create',
          attributes: { method: rng.chance(0.3) ? 'sso' : 'password', mfa: rng.chance(0.4) },
        },
      ),
    )
    if (bad) status = 401
    if (fail) {
      failure = ERRORS.db
      status = 500
    }
  } else if (kind === 'api') {
    if (rng.chance(0.3))
      out.push(
        log(
          cur,
          'debug',
          `cache ${rng.chance(0.7) ? 'hit' : 'miss'} for ${route.resource} lookup`,
          rootId,
          {
            category: 'app',
            event: 'cache',
          },
        ),
      )
    const queries = rng.int(0, 2)
    for (let i = 0; i < queries; i++) {
      const start = cur + rng.logn(0.5, 0.5, 0.05, 10)
      const slow = rng.chance(0.02)
      const dur = slow ? rng.logn(900, 0.3, 500, 5000) : rng.logn(3, 0.8, 0.3, 400)
      const err = fail && i === queries - 1
      const table = TABLES[route.resource]
      out.push(
        spanEv(start, dur, err ? 'error' : 'info', `SELECT ${table}`, rng.hex(16), rootId, {
          category: 'db',
          event: 'query',
          span_kind: 'client',
          status: err ? 'error' : 'ok',
          ...(err ? { error: errorInfo(ERRORS.db) } : {}),
          attributes: { 'db.system': 'postgresql', 'db.operation': 'SELECT', 'db.table': table },
        }),
      )
      cur = start + dur
      if (slow)
        out.push(
          log(cur, 'warn', `slow query on ${table} took ${Math.round(dur)}ms`, rootId, {
            category: 'db',
            event: 'slow_query',
          }),
        )
      if (err) failure = ERRORS.db
    }
    if (fail && !failure) failure = ERRORS.undef
    if (!failure) {
      const n = rng.int(1, 40)
      const what =
        route.action === 'search'
          ? `results for "${rng.pick(TOPICS)}"`
          : `${route.resource} records`
      out.push(
        log(cur + 0.2, 'info', `returned ${n} ${what}`, rootId, {
          category: 'app',
          event: route.action === 'search' ? 'search' : 'response',
          ...resource,
        }),
      )
      if (rng.chance(0.04)) status = rng.pick([400, 403, 404, 404, 409, 422, 429])
    } else {
      status = 500
    }
  } else {
    // chat: server span > agent span > retriever, generations, tools
    const agentId = rng.hex(16)
    const question = rng.pick(TOPICS)
    const agentStart = cur + rng.logn(1, 0.5, 0.1, 20)
    cur = agentStart
    out.push(
      log(cur, 'info', `chat message received: ${question}`, rootId, {
        category: 'app',
        event: 'chat_message',
        attributes: { conversation_turn: rng.int(1, 12), chars: question.length + rng.int(0, 400) },
      }),
    )
    if (rng.chance(0.8)) {
      const start = cur + rng.logn(1, 0.5, 0.1, 20)
      const dur = rng.logn(45, 0.6, 5, 2000)
      const k = rng.int(3, 8)
      out.push(
        spanEv(start, dur, 'info', 'retrieve kb-main', rng.hex(16), agentId, {
          service: 'search',
          category: 'retrieval',
          event: 'search',
          span_kind: 'retriever',
          status: 'ok',
          resource_type: 'knowledge_base',
          resource_id: 'kb-main',
          action: 'search',
          message: `retrieved ${k} documents for "${question}"`,
          attributes: { 'retrieval.top_k': k, index: 'kb-main', reranked: rng.chance(0.5) },
        }),
      )
      cur = start + dur
    }
    const useTool = rng.chance(0.35)
    const calls = useTool ? 2 : 1
    const failAt = fail ? (useTool && rng.chance(0.5) ? 'tool' : rng.int(0, calls - 1)) : -1
    for (let i = 0; i < calls && !failure; i++) {
      const m = MODELS(rng)
      const start = cur + rng.logn(1, 0.5, 0.1, 20)
      const err = failAt === i
      const e = err ? (rng.chance(0.5) ? ERRORS.timeout : ERRORS.rateLimit) : undefined
      const dur =
        e === ERRORS.timeout
          ? 30_000
          : e
            ? rng.logn(150, 0.4, 30, 2000)
            : rng.logn(1800, 0.6, 250, 25_000)
      const inTok = rng.int(300, 6000) + i * rng.int(200, 2000)
      const outTok = rng.int(40, 1200)
      const llm = e
        ? { provider: m.provider, model: m.model, operation: 'chat' }
        : {
            provider: m.provider,
            model: m.model,
            operation: 'chat',
            input_tokens: inTok,
            output_tokens: outTok,
            total_tokens: inTok + outTok,
            ttft_ms: round(rng.logn(450, 0.5, 80, 5000), 1),
            usage_source: 'reported',
          }
      out.push(
        spanEv(start, dur, err ? 'error' : 'info', `chat ${m.model}`, rng.hex(16), agentId, {
          category: 'llm',
          event: 'generation',
          span_kind: 'llm',
          status: err ? 'error' : 'ok',
          llm,
          ...(e
            ? { error: errorInfo(e) }
            : { cost_usd: round((inTok * m.in + outTok * m.out) / 1e6, 8) }),
          attributes: {
            'gen_ai.request.model': m.model,
            temperature: 0.2,
            stream: rng.chance(0.6),
          },
        }),
      )
      cur = start + dur
      if (e) failure = e
      if (useTool && i === 0) {
        const tool = rng.pick(TOOLS)
        const tStart = cur + rng.logn(1, 0.5, 0.1, 20)
        const tErr = failAt === 'tool'
        const tDur = rng.logn(tool === 'web_search' ? 900 : 60, 0.6, 5, 15_000)
        out.push(
          spanEv(tStart, tDur, tErr ? 'error' : 'info', `tool ${tool}`, rng.hex(16), agentId, {
            category: 'tool',
            event: 'call',
            span_kind: 'tool',
            status: tErr ? 'error' : 'ok',
            ...(tErr ? { error: errorInfo(ERRORS.tool) } : {}),
            attributes: { tool, 'tool.arguments_bytes': rng.int(20, 600) },
          }),
        )
        cur = tStart + tDur
        if (tErr) failure = ERRORS.tool
        else if (rng.chance(0.05))
          out.push(
            log(
              cur,
              'warn',
              `tool ${tool} returned an empty result, retrying with a broader query`,
              agentId,
              { category: 'tool', event: 'retry' },
            ),
          )
      }
    }
    if (!failure) {
      const tokens = rng.int(40, 1200)
      out.push(
        log(cur + 0.5, 'info', `answer sent (${tokens} tokens) about ${question}`, agentId, {
          category: 'app',
          event: 'chat_response',
        }),
      )
    }
    const agentEnd = cur + rng.logn(1, 0.5, 0.1, 20)
    out.push(
      spanEv(
        agentStart,
        agentEnd - agentStart,
        failure ? 'error' : 'info',
        'agent answer',
        agentId,
        rootId,
        {
          category: 'agent',
          event: 'run',
          span_kind: 'agent',
          status: failure ? 'error' : 'ok',
          ...(failure ? { error: errorInfo(failure) } : {}),
          attributes: { agent: 'support-assistant', 'feature.new_retriever': rng.chance(0.5) },
        },
      ),
    )
    cur = agentEnd
    if (failure) status = failure === ERRORS.rateLimit ? 503 : 500
  }

  if (failure) {
    cur += 0.3
    out.push(
      log(cur, 'error', `request failed: ${failure.message}`, rootId, {
        category: 'app',
        event: 'unhandled_error',
        error: errorInfo(failure),
      }),
    )
  }
  const end = cur + rng.logn(0.6, 0.5, 0.05, 10)
  const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info'
  out.push(
    spanEv(t0, end - t0, level, `${route.method} ${route.route}`, rootId, undefined, {
      category: 'http',
      event: 'request',
      span_kind: 'server',
      status: status >= 500 ? 'error' : 'ok',
      ...resource,
      http: {
        method: route.method,
        route: route.route,
        path,
        status_code: status,
        outcome: status >= 500 ? 'errored' : 'completed',
        ...(route.method === 'GET' ? {} : { request_bytes: rng.int(40, 4000) }),
        response_bytes: rng.int(60, 24_000),
        user_agent: rng.pick(USER_AGENTS),
      },
      ...(failure ? { error: errorInfo(failure) } : {}),
      attributes: { ...attrs, ...(rng.chance(0.1) ? { 'feature.beta_ui': true } : {}) },
      ...(rng.chance(0.08) ? { tags: ['beta'] } : {}),
    }),
  )
  return out
}
