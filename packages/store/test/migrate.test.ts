import { expect, it } from 'vitest'
import { createStore } from '../src/index.js'
import { describeEngines, uniqueSchema } from './engines.js'
import { event } from './fixtures.js'

describeEngines('migrations', (store, engine) => {
  it('records what it applied and applies nothing twice', async () => {
    const info = await store().info()
    expect(info.engine).toBe(engine.name)
    expect(info.migrations).toEqual([
      '0001_events',
      '0002_api_keys',
      '0003_sessions',
      '0004_search',
      '0005_integrations',
    ])
    expect(await store().migrate()).toEqual([])
    expect(await Promise.all([store().migrate(), store().migrate()])).toEqual([[], []])
  })

  it('lets two stores open the same new schema at once (one applies, one waits)', async () => {
    if (engine.name !== 'postgres') return
    const schema = uniqueSchema()
    const [a, b] = await Promise.all([engine.open({ schema }), engine.open({ schema })])
    try {
      expect((await a.info()).migrations).toEqual([
        '0001_events',
        '0002_api_keys',
        '0003_sessions',
        '0004_search',
        '0005_integrations',
      ])
      // Both create today's partition at once too.
      const results = await Promise.all([a.insert([event()]), b.insert([event()])])
      expect(results.map((r) => r.inserted)).toEqual([1, 1])
      expect(await a.count()).toBe(2)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('persists PGlite data in its directory across opens', async () => {
    if (engine.name !== 'pglite') return
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dir = mkdtempSync(join(tmpdir(), 'threadline-store-'))
    try {
      const first = await createStore({ dataDir: join(dir, 'data') })
      const e = event()
      await first.insert([e])
      await first.close()
      const second = await createStore({ dataDir: join(dir, 'data') })
      expect((await second.query()).events.map((x) => x.id)).toEqual([e.id])
      expect(await second.migrate()).toEqual([])
      await second.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      createStore({ dataDir: 'memory', schema: 'x"; DROP SCHEMA public; --' }),
    ).rejects.toThrow(/schema/)
  })
})
