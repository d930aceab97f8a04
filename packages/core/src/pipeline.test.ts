import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { memoryExporter } from './exporters/memory.js'
import { createLogger } from './logger.js'
import { createPipeline } from './pipeline.js'
import type { Exporter, ExportRecord, PipelineStats } from './types.js'

function invariantHolds(s: PipelineStats): void {
  for (const ex of s.exporters) {
    const dropped = Object.values(ex.dropped).reduce((a, b) => a + b, 0)
    expect(ex.delivered + dropped + ex.queued, JSON.stringify(s)).toBe(s.emitted)
  }
}

function recordingExporter(
  behaviour: (batch: readonly ExportRecord[], call: number) => ReturnType<Exporter['export']>,
): Exporter & { batches: number[] } {
  let call = 0
  const batches: number[] = []
  return {
    name: 'rec',
    batches,
    export(batch) {
      batches.push(batch.length)
      return behaviour(batch, call++)
    },
  }
}

describe('pipeline', () => {
  it('batches by size and by interval', async () => {
    const ex = recordingExporter(() => ({ ok: true }))
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 100, flushIntervalMs: 30 },
    })
    for (let i = 0; i < 250; i++) log.info(`e${i}`)
    await sleep(5)
    expect(ex.batches).toEqual([100, 100])
    await sleep(60)
    expect(ex.batches).toEqual([100, 100, 50])
    invariantHolds(log.stats())
  })

  it('never blocks the caller on a slow exporter, one export at a time', async () => {
    let inFlight = 0
    let maxInFlight = 0
    const ex = recordingExporter(async () => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await sleep(20)
      inFlight--
      return { ok: true }
    })
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 10, flushIntervalMs: 5 },
    })
    for (let i = 0; i < 100; i++) log.info('x')
    // the synchronous loop returned before any export could finish: nothing waited on I/O
    const mid = log.stats()
    expect(mid.exporters[0]!.delivered).toBe(0)
    invariantHolds(mid)
    expect(mid.exporters[0]!.queued).toBeGreaterThan(0)
    expect(await log.flush()).toBe(true)
    expect(maxInFlight).toBe(1)
    expect(log.stats().exporters[0]).toMatchObject({ delivered: 100, queued: 0 })
  })

  it('drops and counts queue_full beyond the count cap, and the invariant holds', async () => {
    const ex = recordingExporter(async () => (await sleep(5), { ok: true }))
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxQueueSize: 50, maxBatchSize: 10 },
    })
    for (let i = 0; i < 500; i++) log.info('burst')
    const s = log.stats()
    expect(s.emitted).toBe(500)
    expect(s.exporters[0]!.dropped['queue_full']).toBeGreaterThan(0)
    invariantHolds(s)
    await log.flush()
    const end = log.stats()
    invariantHolds(end)
    expect(end.exporters[0]!.queued).toBe(0)
    expect(end.exporters[0]!.delivered + end.exporters[0]!.dropped['queue_full']!).toBe(500)
  })

  it('drops and counts queue_full beyond the byte cap', async () => {
    const ex = recordingExporter(async () => (await sleep(5), { ok: true }))
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxQueueBytes: 10_000, maxBatchSize: 1000 },
    })
    for (let i = 0; i < 200; i++) log.info('p'.repeat(200))
    const s = log.stats()
    expect(s.exporters[0]!.dropped['queue_full']).toBeGreaterThan(100)
    expect(s.exporters[0]!.queuedBytes).toBeLessThanOrEqual(10_000)
    invariantHolds(s)
    await log.flush()
  })

  it('counts exporter errors (rejections, throws, ok:false) and keeps going', async () => {
    const ex = recordingExporter((_b, call) => {
      if (call === 0) return Promise.reject(new Error('down'))
      if (call === 1) throw new Error('sync throw')
      if (call === 2) return { ok: false, error: new Error('500'), reason: 'retry_exhausted' }
      return { ok: true }
    })
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 5, flushIntervalMs: 1 },
    })
    for (let i = 0; i < 20; i++) log.info('x')
    await log.flush()
    const s = log.stats()
    expect(s.exporters[0]!.dropped).toEqual({ exporter_error: 10, retry_exhausted: 5 })
    expect(s.exporters[0]!.delivered).toBe(5)
    invariantHolds(s)
  })

  it('counts partial results: refused events as "rejected", parts sent before a failure as delivered', async () => {
    const results: ReturnType<Exporter['export']>[] = [
      { ok: true, rejected: 2 },
      { ok: false, error: new Error('down'), reason: 'retry_exhausted', delivered: 3, rejected: 1 },
      { ok: true, rejected: 99 }, // more than the batch: capped at the batch
      { ok: true, rejected: Number.NaN }, // nonsense: nothing refused
      { ok: false, error: new Error('x'), delivered: -4 }, // nonsense: nothing delivered
    ]
    const ex = recordingExporter((_b, call) => results[call] ?? { ok: true })
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 5, flushIntervalMs: 1 },
    })
    for (let i = 0; i < 25; i++) log.info('x')
    await log.flush()
    const s = log.stats()
    expect(ex.batches).toEqual([5, 5, 5, 5, 5])
    // batch 1: 3 delivered, 2 rejected; batch 2: 2 delivered, 1 rejected, 2 retry_exhausted;
    // batch 3: 5 rejected; batch 4: 5 delivered; batch 5: 5 exporter_error
    expect(s.exporters[0]!.delivered).toBe(10)
    expect(s.exporters[0]!.dropped).toEqual({ rejected: 8, retry_exhausted: 2, exporter_error: 5 })
    invariantHolds(s)
  })

  it('times out an export that never settles and moves on', async () => {
    const ex = recordingExporter((_b, call) => (call === 0 ? new Promise(() => {}) : { ok: true }))
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 5, flushIntervalMs: 1, exportTimeoutMs: 30 },
    })
    for (let i = 0; i < 10; i++) log.info('x')
    expect(await log.flush(2000)).toBe(true)
    const s = log.stats()
    expect(s.exporters[0]!.dropped['export_timeout']).toBe(5)
    expect(s.exporters[0]!.delivered).toBe(5)
    invariantHolds(s)
  })

  it('flush() honours its deadline', async () => {
    const ex = recordingExporter(() => new Promise(() => {}))
    const log = createLogger({ exporters: [ex], hookProcess: false })
    log.info('stuck')
    expect(await log.flush(50)).toBe(false)
    expect(log.stats().exporters[0]!.queued).toBe(1)
  })

  it('fans out to several exporters independently: a failing one does not hurt the other', async () => {
    const good = memoryExporter()
    const bad = recordingExporter(() => ({ ok: false, error: new Error('nope') }))
    const log = createLogger({ exporters: [good, bad], hookProcess: false })
    for (let i = 0; i < 30; i++) log.info('x')
    await log.flush()
    const s = log.stats()
    expect(good.events).toHaveLength(30)
    expect(s.exporters.map((e) => [e.name, e.delivered, e.dropped['exporter_error'] ?? 0])).toEqual(
      [
        ['memory', 30, 0],
        ['rec', 0, 30],
      ],
    )
    invariantHolds(s)
  })

  it('shutdown() drains, closes exporters, and counts later events as dropped', async () => {
    let shut = 0
    const mem = memoryExporter()
    const ex: Exporter = { ...mem, name: 'mem', shutdown: async () => void shut++ }
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { flushIntervalMs: 10_000 },
    })
    for (let i = 0; i < 7; i++) log.info('x')
    expect(await log.shutdown()).toBe(true)
    expect(mem.events).toHaveLength(7)
    expect(shut).toBe(1)
    log.info('late')
    const s = log.stats()
    expect(s.dropped['shutdown']).toBe(1)
    expect(log.pipeline.closed).toBe(true)
    invariantHolds(s)
    expect(await log.shutdown()).toBe(true)
  })

  it('holds the invariant under a random mix of slow, failing and fast exports', async () => {
    let seed = 7
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const ex = recordingExporter(async () => {
      const r = rand()
      await sleep(r * 4)
      if (r < 0.2) throw new Error('flaky')
      return { ok: true }
    })
    const log = createLogger({
      exporters: [ex],
      hookProcess: false,
      batch: { maxQueueSize: 300, maxBatchSize: 37, flushIntervalMs: 2 },
    })
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) log.info('m', { round, i })
      invariantHolds(log.stats())
      await sleep(rand() * 5)
    }
    await log.flush(5000)
    const s = log.stats()
    invariantHolds(s)
    expect(s.emitted).toBe(2000)
    expect(s.exporters[0]!.queued).toBe(0)
  })

  it('rejects bad exporters and bad batch options', () => {
    expect(() =>
      createPipeline({ exporters: [{ name: 'x' } as never], hookProcess: false }),
    ).toThrow(/export/)
    expect(() =>
      createPipeline({ exporters: [], batch: { flushIntervalMs: -1 }, hookProcess: false }),
    ).toThrow(/flushIntervalMs/)
  })
})
