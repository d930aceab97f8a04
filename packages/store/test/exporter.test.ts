import { createLogger, type ThreadlineEvent } from '@threadline/core'
import { accountingErrors } from '@threadline/test-utils'
import { expect, it } from 'vitest'
import { storeExporter } from '../src/index.js'
import { describeEngines } from './engines.js'
import { event, hex } from './fixtures.js'

const record = (e: ThreadlineEvent) => ({ event: e, json: JSON.stringify(e) })

describeEngines('storeExporter', (store, engine) => {
  it('stores what a logger emits, spans and logs with their trace ids', async () => {
    const exporter = storeExporter(store())
    const logger = createLogger({ service: 'billing', exporters: [exporter], hookProcess: false })
    const trace = await logger.span('charge card', async (span) => {
      logger.info('charging', { amount: 42, api_key: 'sk-live-abcdefghijklmnopqrstuvwxyz' })
      return span.trace_id
    })
    await logger.flush()
    expect(accountingErrors(logger.stats())).toEqual([])
    const t = (await store().trace(trace))!
    expect(t.span_count).toBe(1)
    expect(t.roots[0]!.logs.map((l) => l.message)).toEqual(['charging'])
    // Redaction happened in core, before the store saw the event.
    expect(JSON.stringify(t.events)).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz')
    expect(exporter.counts.inserted).toBe(2)
  })

  it('keeps a batch with a bad event, counting the rejection', async () => {
    const exporter = storeExporter(store())
    const good = event({ trace_id: hex(16) })
    const bad = { ...event(), level: 'loud' } as unknown as ThreadlineEvent
    // the refused row is reported to the pipeline, which counts it as dropped (`rejected`)
    expect(await exporter.export([record(good), record(bad)])).toEqual({ ok: true, rejected: 1 })
    expect(exporter.counts).toMatchObject({ inserted: 1, rejected: 1 })
    expect(await exporter.export([record(good)])).toEqual({ ok: true })
    expect(exporter.counts.duplicates).toBe(1)
  })

  it('reports a failed batch (not a crash) when the database is gone', async () => {
    const closed = await engine.open()
    await closed.close()
    const exporter = storeExporter(closed, { attempts: 2, retryDelayMs: 1 })
    const r = await exporter.export([record(event())])
    expect(r).toMatchObject({ ok: false, reason: 'exporter_error' })
  })
})
