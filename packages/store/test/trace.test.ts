import { expect, it } from 'vitest'
import { GROUP_BY_FIELDS, StoreQueryError } from '../src/index.js'
import { describeEngines } from './engines.js'
import { event, hex, requestTrace } from './fixtures.js'

describeEngines('store.trace', (store) => {
  it('returns the events in order, the span tree with logs attached, and the sums', async () => {
    const t = requestTrace({ error: true })
    await store().insert([...t.events].reverse())
    const r = (await store().trace(t.trace_id))!
    expect(r.events.map((e) => e.timestamp)).toEqual([...t.events.map((e) => e.timestamp)].sort())
    expect(r.roots).toHaveLength(1)
    const root = r.roots[0]!
    expect(root.span.span_id).toBe(t.root)
    expect(root.orphan).toBe(false)
    expect(root.children.map((c) => c.span.name)).toEqual(['db.query', 'gpt-4o-mini'])
    expect(root.children.every((c) => c.depth === 1)).toBe(true)
    expect(root.logs.map((l) => l.message)).toEqual(['cart loaded', 'order placed'])
    expect(r.span_count).toBe(3)
    expect(r.duration_ms).toBe(120)
    expect(r.error_count).toBe(2)
    expect(r.input_tokens).toBe(1200)
    expect(r.output_tokens).toBe(300)
    expect(r.total_tokens).toBe(1500)
    expect(r.cost_usd).toBeCloseTo(0.00042, 10)
    expect(r.services).toEqual(['checkout'])
    // The LLM call (ends at 115 ms) is what the root waited on, not the DB call (ends at 22).
    expect(r.critical_path).toEqual([t.root, root.children[1]!.span.span_id])
  })

  it('keeps orphans (parent never stored) and logs of unknown spans, and survives cycles', async () => {
    const trace_id = hex(16)
    const [a, b, c, missing] = [hex(8), hex(8), hex(8), hex(8)]
    const ts = (ms: number) => new Date(Date.now() - 5000 + ms).toISOString()
    const span = (span_id: string, parent: string, ms: number) =>
      event({
        trace_id,
        kind: 'span',
        span_id,
        parent_span_id: parent,
        timestamp: ts(ms),
        name: span_id,
        span_kind: 'internal',
        status: 'ok',
        duration_ms: 10,
      })
    await store().insert([
      span(a, missing, 0),
      span(b, c, 5),
      span(c, b, 6),
      event({ trace_id, span_id: hex(8), timestamp: ts(7), message: 'stray log' }),
    ])
    const r = (await store().trace(trace_id))!
    expect(r.roots.map((n) => [n.span.span_id, n.orphan])).toEqual([
      [a, true],
      [b, true],
    ])
    expect(r.roots[1]!.children.map((n) => n.span.span_id)).toEqual([c])
    expect(r.unattached_logs.map((l) => l.message)).toEqual(['stray log'])
    expect(r.cost_usd).toBeUndefined()
  })

  it('counts an LLM call once when a log repeats its span’s usage', async () => {
    const t = requestTrace()
    const llmSpan = t.events.find((e) => e.category === 'llm')!
    const echo = event({
      trace_id: t.trace_id,
      span_id: t.root,
      message: 'generation_complete',
      llm: llmSpan.llm!,
      cost_usd: llmSpan.cost_usd!,
    })
    await store().insert([...t.events, echo])
    const r = (await store().trace(t.trace_id))!
    expect(r.input_tokens).toBe(1200)
    expect(r.cost_usd).toBeCloseTo(0.00042, 10)
    // Without spans carrying usage, the logs are what counts.
    const trace_id = hex(16)
    await store().insert([
      event({ trace_id, llm: { input_tokens: 7, output_tokens: 3 }, cost_usd: 0.01 }),
    ])
    expect((await store().trace(trace_id))!).toMatchObject({
      input_tokens: 7,
      total_tokens: 10,
      cost_usd: 0.01,
    })
  })

  it('is scoped by org: another org’s trace is not found', async () => {
    const t = requestTrace({ org: 'initech' })
    await store().insert(t.events)
    expect(await store().trace(t.trace_id, { org_id: 'initech' })).toBeDefined()
    expect(await store().trace(t.trace_id, { org_id: 'acme' })).toBeUndefined()
    expect(await store().trace(hex(16))).toBeUndefined()
    await expect(store().trace('')).rejects.toBeInstanceOf(StoreQueryError)
  })
})

describeEngines('store.errors and store.stats', (store) => {
  const org = `org-${hex(3)}`
  it('groups errors by fingerprint with counts, first/last seen, users and a sample trace', async () => {
    const traces = [
      requestTrace({ org, user: 'u-1', error: true, start: Date.now() - 50_000 }),
      requestTrace({ org, user: 'u-2', error: true, start: Date.now() - 40_000 }),
      requestTrace({ org, user: 'u-2', error: true, start: Date.now() - 30_000 }),
      requestTrace({ org, user: 'u-3', start: Date.now() - 20_000 }),
    ]
    await store().insert(traces.flatMap((t) => t.events))
    const groups = await store().errors({ org_id: org })
    const rate = groups.find((g) => g.fingerprint === 'fp-ratelimit')!
    expect(rate).toMatchObject({
      type: 'RateLimitError',
      category: 'llm',
      count: 3,
      affected_users: 2,
      sample_trace_id: traces[2]!.trace_id,
    })
    expect(rate.users.sort()).toEqual(['u-1', 'u-2'])
    expect(Date.parse(rate.first_seen)).toBeLessThan(Date.parse(rate.last_seen))
    // Error-level request spans without an error object group by their message.
    const http = groups.find((g) => g.category === 'http')!
    expect(http.count).toBe(3)
    expect(http.fingerprint).toMatch(/^msg:/)
    expect(await store().errors({ org_id: org, limit: 1 })).toHaveLength(1)
  })

  it('aggregates count, error rate, percentiles, tokens and cost per group', async () => {
    const rows = await store().stats({ org_id: org, group_by: 'model', kinds: 'span' })
    const model = rows.find((r) => r.group.model === 'gpt-4o-mini')!
    expect(model).toMatchObject({
      count: 4,
      error_count: 3,
      input_tokens: 4800,
      output_tokens: 1200,
    })
    expect(model.error_rate).toBe(0.75)
    expect(model.cost_usd).toBeCloseTo(0.00168, 10)
    expect(model.p50_ms).toBe(90)
    const byRoute = await store().stats({
      org_id: org,
      group_by: ['route', 'status_code'],
      categories: 'http',
    })
    expect(byRoute.map((r) => [r.group.route, r.group.status_code, r.count]).sort()).toEqual([
      ['/checkout/:id', 200, 1],
      ['/checkout/:id', 500, 3],
    ])
    const p = (await store().stats({ org_id: org, kinds: 'span' }))[0]!
    expect(p.count).toBe(12)
    expect(p.p95_ms).toBeGreaterThanOrEqual(p.p50_ms!)
    expect(p.p99_ms).toBeGreaterThanOrEqual(p.p95_ms!)
  })

  it('buckets by time interval and groups by every allow-listed field', async () => {
    const rows = await store().stats({ org_id: org, interval: '1m' })
    expect(rows.length).toBeGreaterThanOrEqual(1)
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(20)
    for (const r of rows) expect(Date.parse(r.bucket!) % 60_000).toBe(0)
    for (const g of GROUP_BY_FIELDS) {
      const rs = await store().stats({ org_id: org, group_by: g })
      expect(
        rs.reduce((n, r) => n + r.count, 0),
        g,
      ).toBe(20)
    }
    await expect(store().stats({ group_by: 'body' as never })).rejects.toMatchObject({
      field: 'group_by',
    })
    await expect(store().stats({ interval: '1ms' })).rejects.toMatchObject({ field: 'interval' })
    await expect(store().stats({ interval: 'hourly' })).rejects.toMatchObject({ field: 'interval' })
  })
})
