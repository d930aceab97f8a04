import { expect, it } from 'vitest'
import { describeEngines } from './engines.js'
import { event } from './fixtures.js'

const NOW = new Date('2026-06-15T12:00:00Z')
const withoutCategory = <T extends { category?: string }>(e: T): T => {
  delete e.category
  return e
}
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString()

describeEngines('store.applyRetention', (store) => {
  it('drops wholly expired daily partitions and deletes expired categories in chunks', async () => {
    const rows = {
      ancientAudit: event({ category: 'audit', timestamp: daysAgo(400) }),
      ancientHttp: event({ category: 'http', timestamp: daysAgo(400) }),
      oldAudit: event({ category: 'audit', timestamp: daysAgo(100) }),
      oldApp: event({ category: 'app', timestamp: daysAgo(40) }),
      oldApp2: withoutCategory(event({ timestamp: daysAgo(40) })),
      midHttp: [1, 2, 3, 4, 5].map((i) =>
        event({ category: 'http', timestamp: daysAgo(20 + i / 100) }),
      ),
      newHttp: event({ category: 'http', timestamp: daysAgo(5) }),
      newApp: event({ category: 'app', timestamp: daysAgo(5) }),
    }
    await store().insert(Object.values(rows).flat())
    const before = await store().count()

    // No default age: unlisted categories are kept forever, so no partition may go whole.
    const keep = await store().applyRetention({
      categories: { http: '14d' },
      now: NOW,
      chunkSize: 2,
    })
    expect(keep.dropped_partitions).toEqual([])
    expect(keep.deleted_rows).toBe(6)

    const rules = { categories: { audit: '365d', http: '14d' }, default: '30d', now: NOW }
    const counted = await store().count()
    const preview = await store().applyRetention({ ...rules, dryRun: true })
    expect(await store().count()).toBe(counted)
    const r = await store().applyRetention({ ...rules, chunkSize: 2 })
    expect(preview).toEqual({ ...r, dry_run: true })
    const ancientDay = daysAgo(400).slice(0, 10).replaceAll('-', '')
    expect(r.dropped_partitions).toEqual([`events_p${ancientDay}`])
    expect(r.deleted_rows).toBe(2)
    const left = (await store().query({ limit: 100, sort_order: 'asc' })).events.map((e) => e.id)
    expect(left.sort()).toEqual([rows.oldAudit.id, rows.newHttp.id, rows.newApp.id].sort())
    // 6 http rows, then the ancient partition (1 audit row left in it) and 2 old app rows.
    expect(await store().count()).toBe(before - 6 - 1 - 2)

    // Writing to a dropped day again recreates its partition.
    const again = event({ category: 'audit', timestamp: daysAgo(400) })
    expect((await store().insert([again])).inserted).toBe(1)
  })

  it('does nothing without rules and rejects bad ages', async () => {
    expect(await store().applyRetention({})).toEqual({ dropped_partitions: [], deleted_rows: 0 })
    await expect(
      store().applyRetention({ categories: { http: 'fortnight' } }),
    ).rejects.toMatchObject({
      field: 'categories.http',
    })
    await expect(store().applyRetention({ default: -1 })).rejects.toMatchObject({
      field: 'default',
    })
  })
})
