import type { ThreadlineEvent } from '@threadline/core'
import { beforeAll, expect, it } from 'vitest'
import { StoreQueryError, type QueryOptions } from '../src/index.js'
import { describeEngines } from './engines.js'
import { event, hex, requestTrace } from './fixtures.js'

const HOUR = 3_600_000
const now = Date.now()
const at = (hoursAgo: number) => new Date(now - hoursAgo * HOUR).toISOString()

// Everything this file writes carries `run` so queries see only its own rows.
const run = hex(4)
const base = { tags: [run] }

const fixtures: Record<string, ThreadlineEvent> = {
  login: event({
    ...base,
    timestamp: at(30),
    org_id: 'acme',
    user_id: 'u-123',
    category: 'auth',
    event: 'login',
    message: 'user logged in',
    session_id: 's-1',
    resource_type: 'session',
    resource_id: 'r-1',
    action: 'create',
    request_id: 'req-1',
  }),
  timeout: event({
    ...base,
    timestamp: at(2),
    org_id: 'acme',
    user_id: 'u-123',
    level: 'error',
    category: 'http',
    event: 'request',
    message: 'upstream timeouts exceeded',
    service: 'gateway',
    environment: 'prod',
    http: { method: 'GET', route: '/users/:id', path: '/users/1', status_code: 504 },
    error: { type: 'TimeoutError', message: 'socket hang up', fingerprint: 'fp-timeout' },
  }),
  notFound: event({
    ...base,
    timestamp: at(3),
    org_id: 'acme',
    user_id: 'u-7',
    level: 'warn',
    category: 'http',
    event: 'request',
    message: 'not found',
    service: 'gateway',
    environment: 'staging',
    http: { method: 'POST', route: '/users/:id', path: '/users/2', status_code: 404 },
  }),
  llm: event({
    ...base,
    kind: 'span',
    timestamp: at(1),
    org_id: 'acme',
    user_id: 'u-7',
    category: 'llm',
    event: 'generation',
    message: 'generation',
    name: 'chat',
    trace_id: hex(16),
    span_id: hex(8),
    span_kind: 'llm',
    status: 'ok',
    duration_ms: 850,
    cost_usd: 0.0123,
    llm: {
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      input_tokens: 900,
      output_tokens: 100,
      total_tokens: 1000,
    },
    attributes: { 'gen_ai.request.model': 'claude-sonnet-4', temperature: 0.2, stream: true },
  }),
  other: event({
    ...base,
    timestamp: at(1),
    org_id: 'globex',
    user_id: 'u-123',
    level: 'fatal',
    category: 'billing',
    event: 'charge_failed',
    message: 'card declined',
    attributes: { plan: 'pro' },
  }),
  debug: event({
    ...base,
    timestamp: at(0.5),
    org_id: 'acme',
    level: 'debug',
    category: 'app',
    event: 'cache',
    message: 'cache miss',
    tags: [run, 'cache'],
  }),
}

describeEngines('store.query', (store) => {
  beforeAll(async () => {
    expect((await store().insert(Object.values(fixtures))).inserted).toBe(6)
    // Noise from other tests must not match `tags: run`.
    await store().insert(requestTrace().events)
  })

  const ids = async (q: QueryOptions) =>
    (await store().query({ tags: run, ...q, limit: 100 })).events.map((e) => e.id).sort()
  const want = (...names: string[]) => names.map((n) => fixtures[n]!.id).sort()

  it.each<[string, QueryOptions, string[]]>([
    ['org', { org_id: 'globex' }, ['other']],
    ['categories', { categories: ['auth', 'billing'] }, ['login', 'other']],
    ['log_types alias', { log_types: 'auth' } as QueryOptions, ['login']],
    ['events', { events: 'request' }, ['timeout', 'notFound']],
    ['min level', { level: 'warn' }, ['timeout', 'notFound', 'other']],
    ['level set with critical alias', { levels: ['critical', 'debug'] }, ['other', 'debug']],
    ['severities alias', { severities: ['error'] } as QueryOptions, ['timeout']],
    ['kinds', { kinds: 'span' }, ['llm']],
    ['services', { services: 'gateway' }, ['timeout', 'notFound']],
    ['environments', { environments: ['prod'] }, ['timeout']],
    ['since relative', { since: '2.5h' }, ['timeout', 'llm', 'other', 'debug']],
    ['since/until absolute', { since: at(3.5), until: at(1.5) }, ['timeout', 'notFound']],
    ['start_date/end_date', { start_date: at(40), end_date: at(20) } as QueryOptions, ['login']],
    ['user', { user_id: 'u-123' }, ['login', 'timeout', 'other']],
    [
      'errors for user-123 in 24h',
      { user_id: 'u-123', level: 'error', since: '24h' },
      ['timeout', 'other'],
    ],
    ['session', { session_id: 's-1' }, ['login']],
    [
      'resource + action',
      { resource_type: 'session', resource_id: 'r-1', action: 'create' },
      ['login'],
    ],
    ['request id', { request_id: 'req-1' }, ['login']],
    ['model', { models: 'claude-sonnet-4' }, ['llm']],
    ['provider', { providers: ['anthropic'] }, ['llm']],
    ['route', { routes: '/users/:id' }, ['timeout', 'notFound']],
    ['method', { methods: 'POST' }, ['notFound']],
    ['span kind', { span_kinds: 'llm' }, ['llm']],
    ['status range', { status_min: 500, status_max: 599 }, ['timeout']],
    ['fingerprint', { fingerprint: 'fp-timeout' }, ['timeout']],
    ['errors only', { errors_only: true }, ['timeout', 'other']],
    ['full-text, stemmed', { search: 'timeout' }, ['timeout']],
    ['full-text over error message', { search: 'socket' }, ['timeout']],
    ['full-text web syntax', { search: '"card declined" or cache -upstream' }, ['other', 'debug']],
    ['attribute equality', { attributes: { 'gen_ai.request.model': 'claude-sonnet-4' } }, ['llm']],
    ['attribute number and boolean', { attributes: { temperature: 0.2, stream: true } }, ['llm']],
    ['tags', { tags: [run, 'cache'] }, ['debug']],
  ])('filters by %s', async (_name, q, expected) => {
    expect(await ids(q)).toEqual(want(...expected))
  })

  it('sorts by an allow-listed field, newest first by default', async () => {
    const r = await store().query({ tags: run })
    expect(r.events.map((e) => e.id)).toEqual(
      ['debug', 'other', 'llm', 'timeout', 'notFound', 'login']
        .map((n) => fixtures[n]!.id)
        .filter((id, i, a) => a.indexOf(id) === i)
        .sort((a, b) => {
          const ta = Object.values(fixtures).find((e) => e.id === a)!.timestamp
          const tb = Object.values(fixtures).find((e) => e.id === b)!.timestamp
          return tb.localeCompare(ta) || b.localeCompare(a)
        }),
    )
    const byLevel = await store().query({ tags: run, sort_by: 'level', sort_order: 'desc' })
    expect(byLevel.events[0]!.id).toBe(fixtures.other!.id)
    const asc = await store().query({ tags: run, sort_by: 'created_at', sort_order: 'asc' })
    expect(asc.events[0]!.id).toBe(fixtures.login!.id)
    const cost = await store().query({ tags: run, sort_by: 'cost_usd', limit: 1 })
    expect(cost.events[0]!.id).toBe(fixtures.llm!.id)
  })

  it('returns the total when asked, and offset pages (seeds API shape)', async () => {
    const r = await store().query({ tags: run, limit: 2, offset: 2, with_total: true })
    expect(r.total).toBe(6)
    expect(r.limit).toBe(2)
    expect(r.offset).toBe(2)
    expect(r.events).toHaveLength(2)
  })

  const INJECTIONS = [
    "'; DROP TABLE events; --",
    "x' OR '1'='1",
    'x") OR 1=1 --',
    '$1',
    "\\'; SELECT pg_sleep(5); --",
  ]
  it('binds every string filter: injection attempts match nothing and break nothing', async () => {
    const stringFilters = [
      'org_id',
      'categories',
      'events',
      'services',
      'environments',
      'user_id',
      'session_id',
      'trace_id',
      'request_id',
      'resource_type',
      'resource_id',
      'action',
      'models',
      'providers',
      'routes',
      'methods',
      'span_kinds',
      'fingerprint',
      'search',
      'tags',
    ]
    for (const field of stringFilters) {
      for (const value of INJECTIONS) {
        const r = await store().query({ [field]: value } as QueryOptions)
        expect(r.events, `${field} = ${value}`).toEqual([])
      }
    }
    for (const value of INJECTIONS) {
      expect((await store().query({ attributes: { [value]: value } })).events).toEqual([])
    }
    expect(await ids({})).toHaveLength(6)
  })

  it('rejects names that are not allow-listed with a typed error naming the field', async () => {
    const cases: [QueryOptions, string][] = [
      [{ sort_by: 'timestamp; DROP TABLE events' as never }, 'sort_by'],
      [{ sort_by: 'body' as never }, 'sort_by'],
      [{ sort_order: 'sideways' as never }, 'sort_order'],
      [{ ['level_value) OR (1=1']: 1 } as QueryOptions, 'level_value) OR (1=1'],
      [{ level: 'loud' as never }, 'level'],
      [{ levels: ['info', 'nope'] }, 'levels'],
      [{ since: 'last tuesday' }, 'since'],
      [{ status_min: 1e9 }, 'status_min'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 1e9 }, 'limit'],
      [{ offset: -1 }, 'offset'],
      [{ user_id: 42 as never }, 'user_id'],
      [{ categories: [] }, 'categories'],
      [{ attributes: { plan: { $gt: '' } } as never }, 'attributes.plan'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ search: '' }, 'search'],
      [{ errors_only: 'yes' as never }, 'errors_only'],
    ]
    for (const [q, field] of cases) {
      const error = await store()
        .query(q)
        .catch((e: unknown) => e)
      expect(error, JSON.stringify(q)).toBeInstanceOf(StoreQueryError)
      expect((error as StoreQueryError).field).toBe(field)
    }
  })

  it('rejects a cursor issued for another sort', async () => {
    const first = await store().query({ tags: run, limit: 1, sort_by: 'level' })
    const error = await store()
      .query({ tags: run, cursor: first.next_cursor! })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StoreQueryError)
    expect((error as StoreQueryError).message).toMatch(/issued for sort level/)
  })
})

describeEngines('store.query pagination', (store) => {
  it('walks every match exactly once by cursor while newer events keep arriving', async () => {
    const tag = hex(4)
    const t0 = Date.now() - 10 * HOUR
    // Many share a timestamp: the id breaks ties.
    const initial = Array.from({ length: 57 }, (_, i) =>
      event({
        tags: [tag],
        timestamp: new Date(t0 + Math.floor(i / 3) * 1000).toISOString(),
        duration_ms: i % 7,
      }),
    )
    await store().insert(initial)
    for (const sort of ['timestamp', 'duration_ms'] as const) {
      for (const order of ['desc', 'asc'] as const) {
        const seen: string[] = []
        let cursor: string | undefined
        do {
          const page = await store().query({
            tags: tag,
            limit: 10,
            sort_by: sort,
            sort_order: order,
            ...(cursor ? { cursor } : {}),
          })
          seen.push(...page.events.map((e) => e.id))
          // New events land between pages: newer (top of a desc walk) and older.
          await store().insert([
            event({ tags: [tag, 'late'], timestamp: new Date().toISOString(), duration_ms: 3 }),
          ])
          cursor = page.next_cursor ?? undefined
        } while (cursor)
        const expected = new Set(initial.map((e) => e.id))
        const fromInitial = seen.filter((id) => expected.has(id))
        expect(new Set(fromInitial).size, `${sort} ${order}`).toBe(57)
        expect(fromInitial.length, `${sort} ${order} duplicates`).toBe(57)
      }
    }
  })
})
