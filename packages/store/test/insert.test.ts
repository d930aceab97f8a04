import type { ThreadlineEvent } from '@threadline/core'
import { expect, it } from 'vitest'
import { describeEngines } from './engines.js'
import { event, hex, requestTrace } from './fixtures.js'

describeEngines('store.insert', (store) => {
  it('stores a batch and skips every event of a retried batch (idempotent on id)', async () => {
    const t = requestTrace()
    expect(await store().insert(t.events)).toEqual({ inserted: 5, duplicates: 0, rejected: [] })
    expect(await store().insert(t.events)).toEqual({ inserted: 0, duplicates: 5, rejected: [] })
    const fresh = event({ trace_id: t.trace_id })
    // A retry that also carries one new event: only the new one is written.
    expect(await store().insert([...t.events, fresh])).toEqual({
      inserted: 1,
      duplicates: 5,
      rejected: [],
    })
    expect((await store().query({ trace_id: t.trace_id, limit: 100 })).events).toHaveLength(6)
  })

  it('keeps one copy of an id repeated inside one batch', async () => {
    const e = event({ trace_id: hex(16) })
    expect(await store().insert([e, e, e])).toEqual({ inserted: 1, duplicates: 2, rejected: [] })
  })

  it('isolates invalid events and reports each by position, keeping the rest', async () => {
    const trace_id = hex(16)
    const good = [event({ trace_id }), event({ trace_id }), event({ trace_id })]
    const batch = [
      good[0],
      { ...event({ trace_id }), id: undefined },
      good[1],
      { ...event({ trace_id }), timestamp: 'yesterday' },
      { ...event({ trace_id }), kind: 'metric' },
      { ...event({ trace_id }), level: 'loud' },
      null,
      { ...event({ trace_id }), user_id: { $ne: 1 } },
      { ...event({ trace_id }), user_id: 'u'.repeat(600) },
      good[2],
    ] as unknown as ThreadlineEvent[]
    const r = await store().insert(batch)
    expect(r.inserted).toBe(3)
    expect(r.duplicates).toBe(0)
    expect(r.rejected.map((x) => [x.index, x.reason])).toEqual([
      [1, 'id is missing'],
      [3, 'timestamp is not a valid ISO date'],
      [4, 'kind must be "log" or "span"'],
      [5, 'level is not a known level'],
      [6, 'event must be an object'],
      [7, 'user_id must be a string'],
      [8, 'user_id is longer than 512'],
    ])
    const stored = await store().query({ trace_id, limit: 100, sort_order: 'asc' })
    expect(stored.events.map((e) => e.id).sort()).toEqual(good.map((e) => e.id).sort())
  })

  it('isolates a row the database refuses by bisecting the batch', async () => {
    const trace_id = hex(16)
    const batch = Array.from({ length: 40 }, () => event({ trace_id }))
    // Three 512-character keys of incompressible 3-byte characters: one entry of the
    // (org, category, event) index is larger than a btree allows, which only the database knows.
    const wide = () =>
      Array.from({ length: 512 }, () =>
        String.fromCharCode(0x4e00 + Math.floor(Math.random() * 20000)),
      ).join('')
    batch[17] = event({ trace_id, org_id: wide(), category: wide(), event: wide() })
    const r = await store().insert(batch)
    expect(r.inserted).toBe(39)
    expect(r.rejected).toHaveLength(1)
    expect(r.rejected[0]).toMatchObject({ index: 17, id: batch[17]!.id })
    expect(r.rejected[0]!.reason).toMatch(/index row/i)
  })

  it('round-trips text that COPY and jsonb treat specially', async () => {
    const trace_id = hex(16)
    const message = 'tab\there\nnew line \\N back\\slash "quoted" \r done \u0000 nul \ud800 lone 😀'
    const e = event({
      trace_id,
      message,
      tags: ['a,b', 'c"d', 'e\\f', '{g}', 'h\ti', 'NULL'],
      attributes: { nested: { text: message, list: [1, null, 'x'] }, 'http.route': '/x' },
    })
    expect((await store().insert([e])).inserted).toBe(1)
    const [back] = (await store().query({ trace_id })).events
    const cleaned = message.replace('\u0000', '\uFFFD').replace('\ud800', '\uFFFD')
    expect(back!.message).toBe(cleaned)
    expect(back!.tags).toEqual(e.tags)
    expect(back!.attributes).toEqual({
      nested: { text: cleaned, list: [1, null, 'x'] },
      'http.route': '/x',
    })
  })

  it('creates a partition for each day it is given, old and future', async () => {
    const trace_id = hex(16)
    const days = ['2024-02-29T23:59:59.999Z', '2025-01-01T00:00:00.000Z', '2031-07-04T12:00:00Z']
    const r = await store().insert(days.map((timestamp) => event({ trace_id, timestamp })))
    expect(r.inserted).toBe(3)
    const back = await store().query({ trace_id, sort_order: 'asc' })
    expect(back.events.map((e) => e.timestamp)).toEqual([days[0], days[1], '2031-07-04T12:00:00Z'])
  })

  it('chunks a large retried batch under the parameter limit', async () => {
    const trace_id = hex(16)
    // 40 columns: 1,638 rows per INSERT; 4,000 rows needs three statements on the fallback path.
    const batch = Array.from({ length: 4000 }, () => event({ trace_id }))
    expect((await store().insert(batch.slice(0, 2000))).inserted).toBe(2000)
    expect(await store().insert(batch)).toEqual({ inserted: 2000, duplicates: 2000, rejected: [] })
    expect((await store().query({ trace_id, with_total: true, limit: 1 })).total).toBe(4000)
  })

  it('counts what it stores', async () => {
    const before = await store().count()
    await store().insert([event(), event()])
    expect(await store().count()).toBe(before + 2)
  })
})
