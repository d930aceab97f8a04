// Facets, sessions (list and turn by turn), users, error sparklines and time-ordered stats
// buckets: what the console's views read, on both engines.
import type { ThreadlineEvent } from '@threadline/core'
import { beforeAll, expect, it } from 'vitest'
import { FACET_FIELDS, StoreQueryError } from '../src/index.js'
import { describeEngines } from './engines.js'
import { event, hex } from './fixtures.js'

const MIN = 60_000
const now = Date.now()
const at = (minutesAgo: number) => new Date(now - minutesAgo * MIN).toISOString()

const t1 = hex(16)
const t2 = hex(16)
const t3 = hex(16)
const root1 = hex(8)

const rows: ThreadlineEvent[] = [
  // Turn 1: the HTTP root span was written before the app knew the session (no session_id).
  event({
    timestamp: at(30),
    kind: 'span',
    trace_id: t1,
    span_id: root1,
    name: 'POST /chat',
    message: 'POST /chat',
    span_kind: 'server',
    status: 'ok',
    category: 'http',
    event: 'request',
    duration_ms: 900,
    user_id: 'u-1',
    service: 'chat-api',
    http: { method: 'POST', route: '/chat', status_code: 200 },
  }),
  event({
    timestamp: at(29.9),
    kind: 'span',
    trace_id: t1,
    span_id: hex(8),
    parent_span_id: root1,
    name: 'chat gpt-4o-mini',
    message: 'chat gpt-4o-mini',
    span_kind: 'llm',
    status: 'ok',
    category: 'llm',
    event: 'generation',
    duration_ms: 700,
    session_id: 's-a',
    user_id: 'u-1',
    service: 'chat-api',
    cost_usd: 0.001,
    llm: {
      provider: 'openai',
      model: 'gpt-4o-mini',
      input_tokens: 100,
      output_tokens: 20,
      ttft_ms: 120,
    },
    attributes: { prompt: 'my card is [REDACTED:card]', completion: 'I cannot see cards' },
  }),
  // A log repeating the call's usage: counted once per turn (the span's), as trace() does.
  event({
    timestamp: at(29.8),
    trace_id: t1,
    span_id: root1,
    category: 'llm',
    event: 'generation',
    message: 'generation done',
    session_id: 's-a',
    user_id: 'u-1',
    service: 'chat-api',
    cost_usd: 0.001,
    llm: { model: 'gpt-4o-mini', input_tokens: 100, output_tokens: 20 },
  }),
  event({
    timestamp: at(29),
    trace_id: t1,
    category: 'eval',
    event: 'score',
    message: 'score',
    session_id: 's-a',
    service: 'evals',
    attributes: { 'score.name': 'helpfulness', 'score.value': 0.9, 'score.comment': 'on topic' },
  }),
  // Turn 2: an LLM log (no spans) and an error; the user changed.
  event({
    timestamp: at(10),
    trace_id: t2,
    category: 'llm',
    event: 'generation',
    message: 'claude-haiku chat',
    session_id: 's-a',
    user_id: 'u-2',
    service: 'chat-worker',
    llm: { provider: 'anthropic', model: 'claude-haiku', input_tokens: 50, output_tokens: 10 },
    attributes: { messages: [{ role: 'user', content: 'and now?' }], completion: 'now this' },
  }),
  event({
    timestamp: at(9.5),
    trace_id: t2,
    level: 'error',
    message: 'tool failed',
    session_id: 's-a',
    user_id: 'u-2',
    service: 'chat-worker',
    error: { type: 'ToolError', message: 'tool failed', fingerprint: 'fp-tool' },
  }),
  // A session event outside any trace: in the totals, not a turn.
  event({ timestamp: at(9), message: 'session closed', session_id: 's-a', user_id: 'u-2' }),
  // Another org's session, and an acme event outside any session.
  event({
    timestamp: at(5),
    org_id: 'globex',
    trace_id: t3,
    session_id: 's-g',
    user_id: 'g-1',
    message: 'hello from globex',
  }),
  event({ timestamp: at(4), user_id: 'u-1', service: 'chat-api', message: 'no session' }),
  // Errors for the sparkline: two 55 minutes ago, one 25 minutes ago.
  ...[55, 55, 25].map((m) =>
    event({
      timestamp: at(m),
      level: 'error',
      message: 'upstream 502',
      service: 'gateway',
      user_id: 'u-3',
      error: { type: 'UpstreamError', message: 'upstream 502', fingerprint: 'fp-502' },
    }),
  ),
  event({
    timestamp: at(54),
    level: 'fatal',
    message: 'upstream 502',
    service: 'edge',
    error: { type: 'UpstreamError', message: 'upstream 502', fingerprint: 'fp-502' },
  }),
]

describeEngines('console reads', (store) => {
  beforeAll(async () => {
    const r = await store().insert(rows)
    expect(r.rejected).toEqual([])
  })

  it('counts facet values, most frequent first, without nulls', async () => {
    const services = await store().facets('service', { org_id: 'acme', since: '2h' })
    expect(services.field).toBe('service')
    expect(services.values).toEqual(
      [
        { value: 'chat-api', count: 4 },
        { value: 'checkout', count: 1 },
        { value: 'gateway', count: 3 },
        { value: 'chat-worker', count: 2 },
        { value: 'edge', count: 1 },
        { value: 'evals', count: 1 },
      ].sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)),
    )
    const sessions = await store().facets('session', { org_id: 'acme' })
    expect(sessions.values).toEqual([{ value: 's-a', count: 6 }])
    const status = await store().facets('status_code', {})
    expect(status.values).toEqual([{ value: 200, count: 1 }])
    const limited = await store().facets('service', { org_id: 'acme', limit: 1 })
    expect(limited.values).toEqual([{ value: 'chat-api', count: 4 }])
    const filtered = await store().facets('user', { org_id: 'acme', errors_only: true })
    expect(filtered.values).toEqual([
      { value: 'u-3', count: 3 },
      { value: 'u-2', count: 1 },
    ])
    expect(FACET_FIELDS).toContain('session')
    expect(FACET_FIELDS).toContain('environment')
  })

  it('refuses an unknown facet field or a huge limit, naming it', async () => {
    await expect(store().facets('password' as never)).rejects.toMatchObject({
      name: 'StoreQueryError',
      field: 'field',
    })
    await expect(store().facets('service', { limit: 5000 })).rejects.toMatchObject({
      field: 'limit',
    })
    await expect(store().facets('service', { bogus: 1 } as never)).rejects.toBeInstanceOf(
      StoreQueryError,
    )
  })

  it('lists sessions, latest first, scoped by org', async () => {
    const acme = await store().sessions({ org_id: 'acme' })
    expect(acme).toEqual([
      {
        session_id: 's-a',
        user_id: 'u-2',
        org_id: 'acme',
        first_seen: at(29.9),
        last_seen: at(9),
        turns: 2,
        events: 6,
        errors: 1,
        // Over the events that carry the session id (the log repeating usage included).
        input_tokens: 250,
        output_tokens: 50,
        cost_usd: expect.closeTo(0.002, 9),
        models: ['claude-haiku', 'gpt-4o-mini'],
        services: ['chat-api', 'chat-worker', 'checkout', 'evals'],
      },
    ])
    const all = await store().sessions({})
    expect(all.map((s) => s.session_id)).toEqual(['s-g', 's-a'])
    expect(all[0]).toMatchObject({ org_id: 'globex', cost_usd: null, models: [] })
    expect(await store().sessions({ org_id: 'acme', user_id: 'nobody' })).toEqual([])
    await expect(store().sessions({ limit: 0 })).rejects.toMatchObject({ field: 'limit' })
  })

  it('opens a session turn by turn: names, usage counted once, content, scores', async () => {
    const s = await store().session('s-a', { org_id: 'acme' })
    expect(s).toBeDefined()
    expect(s!.session_id).toBe('s-a')
    expect(s!.user_ids.sort()).toEqual(['u-1', 'u-2'])
    expect(s!.first_seen).toBe(at(30))
    expect(s!.last_seen).toBe(at(9))
    expect(s!.turns).toEqual([
      {
        trace_id: t1,
        timestamp: at(30),
        name: 'POST /chat',
        // to the score written a minute later
        duration_ms: 60_000,
        models: ['gpt-4o-mini'],
        input_tokens: 100,
        output_tokens: 20,
        cost_usd: 0.001,
        ttft_ms: 120,
        errors: 0,
        input: 'my card is [REDACTED:card]',
        output: 'I cannot see cards',
        scores: [{ name: 'helpfulness', value: 0.9, comment: 'on topic' }],
      },
      {
        trace_id: t2,
        timestamp: at(10),
        name: 'claude-haiku chat',
        duration_ms: 30_000,
        models: ['claude-haiku'],
        input_tokens: 50,
        output_tokens: 10,
        cost_usd: null,
        ttft_ms: null,
        errors: 1,
        input: [{ role: 'user', content: 'and now?' }],
        output: 'now this',
        scores: [],
      },
    ])
    expect(s!.totals).toEqual({
      turns: 2,
      events: 7,
      errors: 1,
      input_tokens: 150,
      output_tokens: 30,
      cost_usd: 0.001,
      duration_ms: 21 * MIN,
    })
    expect(await store().session('s-a', { org_id: 'globex' })).toBeUndefined()
    expect(await store().session('s-g', { org_id: 'acme' })).toBeUndefined()
    expect(await store().session('nope')).toBeUndefined()
    expect((await store().session('s-g'))!.turns).toHaveLength(1)
    await expect(store().session('')).rejects.toMatchObject({ field: 'session_id' })
  })

  it('lists users with requests, errors, sessions and cost, most events first', async () => {
    const users = await store().users({ org_id: 'acme' })
    expect(users.map((u) => u.user_id)).toEqual(['u-1', 'u-2', 'u-3'])
    expect(users[0]).toEqual({
      user_id: 'u-1',
      requests: 1,
      events: 4,
      errors: 0,
      sessions: 1,
      input_tokens: 200,
      output_tokens: 40,
      cost_usd: expect.closeTo(0.002, 9),
      first_seen: at(30),
      last_seen: at(4),
    })
    expect(users[2]).toMatchObject({ user_id: 'u-3', errors: 3, sessions: 0, cost_usd: null })
    expect(await store().users({ org_id: 'globex' })).toMatchObject([{ user_id: 'g-1' }])
  })

  it('gives error groups a sparkline over the window, and their services and levels', async () => {
    const [group] = await store().errors({ org_id: 'acme', since: '1h', buckets: 6 })
    expect(group).toMatchObject({
      fingerprint: 'fp-502',
      count: 4,
      services: ['edge', 'gateway'],
      levels: ['error', 'fatal'],
      buckets: [3, 0, 0, 1, 0, 0],
    })
    expect(Date.parse(group!.window!.until) - Date.parse(group!.window!.since)).toBeCloseTo(
      60 * MIN,
      -3,
    )
    const tool = (await store().errors({ org_id: 'acme', since: '1h', buckets: 6 })).find(
      (g) => g.fingerprint === 'fp-tool',
    )
    expect(tool!.buckets).toEqual([0, 0, 0, 0, 0, 1])
    // Without since, the window starts at the earliest group's first occurrence.
    const open = await store().errors({ org_id: 'acme', buckets: 2 })
    expect(open[0]!.window!.since).toBe(at(55))
    expect(open[0]!.buckets!.reduce((a, b) => a + b, 0)).toBe(4)
    const plain = await store().errors({ org_id: 'acme' })
    expect(plain[0]!.buckets).toBeUndefined()
    for (const buckets of [0, 201, 1.5])
      await expect(store().errors({ buckets })).rejects.toMatchObject({ field: 'buckets' })
  })

  it('returns stats buckets in time order with ISO times', async () => {
    const rows = await store().stats({
      org_id: 'acme',
      since: '1h',
      interval: '5m',
      group_by: 'service',
    })
    expect(rows.length).toBeGreaterThan(3)
    const buckets = rows.map((r) => r.bucket!)
    for (const b of buckets) expect(b).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/)
    expect([...buckets].sort()).toEqual(buckets)
    // A limit keeps the latest rows, still in time order.
    const latest = await store().stats({ org_id: 'acme', since: '1h', interval: '5m', limit: 2 })
    const all = await store().stats({ org_id: 'acme', since: '1h', interval: '5m' })
    expect(latest).toEqual(all.slice(-2))
  })
})
