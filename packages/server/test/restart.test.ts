// core's httpExporter against the real server, restarted mid-stream: nothing is lost.
import { createLogger, httpExporter } from '@threadline/core'
import { accountingErrors } from '@threadline/test-utils'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createServer } from '../src/index.js'

let store: Store
beforeAll(async () => {
  store = await createStore({ dataDir: 'memory' })
}, 60_000)
afterAll(() => store.close())

it('emitted = stored + dropped when the server restarts within the queue’s capacity', async () => {
  const first = await createServer({ store, port: 0 })
  const url = await first.listen()
  const port = Number(new URL(url).port)
  const logger = createLogger({
    service: 'restart-test',
    hookProcess: false,
    exporters: [httpExporter({ url, initialBackoffMs: 50, maxBackoffMs: 200 })],
    batch: { flushIntervalMs: 20, maxBatchSize: 200 },
  })
  const emit = async (n: number) => {
    for (let i = 0; i < n; i++) {
      logger.info('tick', { i })
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 5))
    }
  }
  await emit(1500)
  await first.close()
  await emit(1500) // the server is down: these wait in the queue and retry
  const second = await createServer({ store, port })
  await second.listen()
  try {
    await emit(1000)
    expect(await logger.flush(20_000)).toBe(true)
    const stats = logger.stats()
    expect(accountingErrors(stats)).toEqual([])
    const dropped = Object.values(stats.exporters[0]!.dropped).reduce((a, b) => a + b, 0)
    const stored = (await store.query({ services: 'restart-test', with_total: true, limit: 1 }))
      .total
    expect(stats.emitted).toBe(4000)
    expect(stored! + dropped).toBe(4000)
    expect(dropped).toBe(0)
  } finally {
    await logger.shutdown()
    await second.close()
  }
}, 60_000)

it('events the server refuses inside a 2xx reach the exporter as a partial count', async () => {
  const server = await createServer({ store, port: 0 })
  const url = await server.listen()
  const exporter = httpExporter({ url })
  try {
    const base = { kind: 'log', level: 'info', message: 'partial', service: 'partial-test' }
    const good = { ...base, id: 'partial-good', timestamp: new Date().toISOString() }
    const bad = { ...base, id: 'partial-bad', timestamp: 'yesterday' }
    const batch = [good, bad].map((e) => ({ event: e as never, json: JSON.stringify(e) }))
    // the pipeline counts `rejected` as dropped and the rest as delivered
    expect(await exporter.export(batch)).toEqual({ ok: true, rejected: 1 })
    const stored = await store.query({ services: 'partial-test' })
    expect(stored.events.map((e) => e.id)).toEqual(['partial-good'])
  } finally {
    await exporter.shutdown?.()
    await server.close()
  }
}, 60_000)
