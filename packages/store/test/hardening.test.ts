// Inputs that used to cost an event (or its neighbours) or poison what is read back: each
// class is made storable, normalised, or refused alone with a reason, on both engines.
import type { ThreadlineEvent } from '@threadline/core'
import { expect, it } from 'vitest'
import { describeEngines } from './engines.js'
import { event, hex } from './fixtures.js'

const asEvents = (xs: unknown[]) => xs as ThreadlineEvent[]

describeEngines('store.insert hardening', (store) => {
  it('stores attribute keys with NUL or lone surrogates at any depth, as U+FFFD', async () => {
    const trace_id = hex(16)
    const e = event({
      trace_id,
      attributes: {
        'nul\u0000key': 1,
        deep: { 'lone\ud800': { ['x\udc00y']: ['v\u0000'] } },
      },
    })
    const r = await store().insert([e, event({ trace_id })])
    expect(r).toMatchObject({ inserted: 2, rejected: [] })
    const back = (await store().query({ trace_id, sort_order: 'asc' })).events[0]!
    expect(back.attributes).toEqual({
      'nul\uFFFDkey': 1,
      deep: { 'lone\uFFFD': { 'x\uFFFDy': ['v\uFFFD'] } },
    })
    expect(await store().query({ trace_id, attributes: { 'nul\uFFFDkey': 1 } })).toMatchObject({
      events: [{ id: e.id }],
    })
  })

  it('drops __proto__ and constructor.prototype keys anywhere, counts them, keeps the rest', async () => {
    const trace_id = hex(16)
    const poisoned = JSON.parse(
      JSON.stringify(event({ trace_id })).replace(
        '{',
        '{"__proto__":{"polluted":1},"attributes":{"a":{"__proto__":{"x":1},"constructor":{"prototype":{"y":1},"ok":2}}},',
      ),
    ) as ThreadlineEvent
    const r = await store().insert([poisoned, event({ trace_id })])
    expect(r).toMatchObject({ inserted: 2, rejected: [], dropped_keys: 3 })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    const back = (await store().query({ trace_id, sort_order: 'asc' })).events
    const stored = back.find((x) => x.id === poisoned.id)!
    expect(stored.attributes).toEqual({ a: { constructor: { ok: 2 } } })
    expect(Object.hasOwn(stored, '__proto__')).toBe(false)
  })

  it('refuses negative or non-finite durations, costs and token counts, each with a reason', async () => {
    const trace_id = hex(16)
    const good = event({ trace_id })
    const batch = asEvents([
      event({ trace_id, duration_ms: -100 }),
      event({ trace_id, cost_usd: -0.5 }),
      event({ trace_id, llm: { model: 'm', input_tokens: -3 } }),
      event({ trace_id, duration_ms: Number.POSITIVE_INFINITY }),
      event({ trace_id, cost_usd: Number.NaN }),
      event({ trace_id, http: { status_code: 70_000 } }),
      good,
    ])
    const r = await store().insert(batch)
    expect(r.inserted).toBe(1)
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [0, 'duration_ms must not be negative'],
      [1, 'cost_usd must not be negative'],
      [2, 'llm.input_tokens must not be negative'],
      [3, 'duration_ms must be a finite number'],
      [4, 'cost_usd must be a finite number'],
      [5, 'http.status_code must be an HTTP status (0-999)'],
    ])
    const stats = await store().stats({ trace_id })
    expect(stats[0]).toMatchObject({ count: 1 })
  })

  it('normalises fields with one clear meaning and refuses the rest of the schema violations', async () => {
    const trace_id = hex(16)
    const batch = asEvents([
      { ...event({ trace_id }), level: 30 }, // pino's info
      { ...event({ trace_id }), level: 50, message: 404 }, // pino's error, a numeric message
      event({ trace_id, http: { method: 'GET', status_code: '503' as unknown as number } }),
      event({ trace_id, user_id: 42 as unknown as string }),
      { ...event({ trace_id }), message: undefined }, // a log needs a message
      event({ trace_id, http: { status_code: 'teapot' as unknown as number } }),
      event({ trace_id, level: 'info', extra_field: 1 }),
      event({ trace_id, span_kind: 'weird' as 'llm' }),
      { ...event({ trace_id }), level: { n: 1 } },
    ])
    const r = await store().insert(batch)
    expect(r.inserted).toBe(4)
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [4, 'message is required'],
      [5, 'http.status_code must be a number'],
      [6, 'extra_field is not a field of the event schema'],
      [7, expect.stringMatching(/^span_kind must be one of server, client/)],
      [8, 'level is not a known level'],
    ])
    const back = (await store().query({ trace_id, limit: 10, sort_order: 'asc' })).events
    expect(back.map((e) => e.level)).toEqual(['info', 'error', 'info', 'info'])
    expect(back[1]!.message).toBe('404')
    expect(back[2]!.http?.status_code).toBe(503)
    expect(back[3]!.user_id).toBe('42')
    expect((await store().query({ trace_id, status_min: 500 })).events).toHaveLength(1)
    expect((await store().query({ trace_id, user_id: '42' })).events).toHaveLength(1)
  })

  it('refuses an event nested too deep with a clear reason, keeping its neighbours', async () => {
    const trace_id = hex(16)
    let deep: unknown = 'leaf'
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const r = await store().insert([event({ trace_id, attributes: { deep } }), event({ trace_id })])
    expect(r.inserted).toBe(1)
    expect(r.rejected).toEqual([
      expect.objectContaining({ index: 0, reason: 'nested deeper than 32 levels' }),
    ])
  })

  it('stores a message too long for the full-text index, searchable by its start', async () => {
    const trace_id = hex(16)
    const words = Array.from({ length: 300_000 }, (_, i) => `w${i.toString(36)}`).join(' ')
    const e = event({ trace_id, message: `zebraword ${words}` })
    const r = await store().insert([e])
    expect(r).toMatchObject({ inserted: 1, rejected: [] })
    const found = await store().query({ trace_id, search: 'zebraword' })
    expect(found.events.map((x) => x.id)).toEqual([e.id])
    expect(found.events[0]!.message).toBe(e.message)
  })

  it('finds a word inside a URL path or an identifier', async () => {
    const trace_id = hex(16)
    const a = event({ trace_id, message: 'GET /alphaword' })
    const b = event({ trace_id, message: 'lookup failed for order_id.betaword-7' })
    const c = event({
      trace_id,
      message: 'boom',
      error: { type: 'E', message: 'at /srv/gammaword/index.js:1', fingerprint: 'f' },
    })
    await store().insert([a, b, c])
    const ids = async (search: string) =>
      (await store().query({ trace_id, search })).events.map((e) => e.id)
    expect(await ids('alphaword')).toEqual([a.id])
    expect(await ids('/alphaword')).toEqual([a.id])
    expect(await ids('betaword')).toEqual([b.id])
    expect(await ids('gammaword')).toEqual([c.id])
  })
})
