import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { context as otelContext, trace as otelTrace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  getContext,
  runWithContext,
  setBindings,
  withBindings,
  withContentMode,
} from './context.js'
import { createLogger } from './logger.js'
import { memoryExporter } from './exporters/memory.js'

const T1 = '4bf92f3577b34da6a3ce929d0e0e4736'
const S1 = '00f067aa0ba902b7'

function setup() {
  const mem = memoryExporter()
  const log = createLogger({ service: 'ctx', exporters: [mem], hookProcess: false })
  return { mem, log }
}

describe('context', () => {
  it('keeps one AsyncLocalStorage on globalThis, shared by every copy of core', () => {
    const reg = (globalThis as Record<symbol, unknown>)[Symbol.for('threadline.context.v1')] as {
      als: unknown
    }
    expect(reg).toBeDefined()
    expect(reg.als).toBeDefined()
  })

  it('runWithContext gives every event inside the trace ids and bindings', async () => {
    const { mem, log } = setup()
    runWithContext(
      { trace_id: T1, span_id: S1, bindings: { user_id: 'u-1', request_id: 'r-1', tenant: 'x' } },
      () => {
        log.info('inside')
      },
    )
    log.info('outside')
    await log.flush()
    const [inside, outside] = mem.events
    expect(inside).toMatchObject({
      trace_id: T1,
      span_id: S1,
      user_id: 'u-1',
      request_id: 'r-1',
      attributes: { tenant: 'x' },
    })
    expect(outside?.trace_id).toBeUndefined()
    expect(outside?.user_id).toBeUndefined()
  })

  it('survives awaits, timers, EventEmitters and promises', async () => {
    const { mem, log } = setup()
    const ee = new EventEmitter()
    ee.on('ping', () => log.info('emitter'))
    await runWithContext({ trace_id: T1, span_id: S1 }, async () => {
      await sleep(5)
      log.info('after await')
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          log.info('timer')
          resolve()
        }, 1),
      )
      await new Promise<void>((resolve) => setImmediate(() => (log.info('immediate'), resolve())))
      ee.emit('ping')
      queueMicrotask(() => log.info('microtask'))
      await sleep(1)
    })
    await log.flush()
    expect(mem.events.map((e) => e.message).sort()).toEqual([
      'after await',
      'emitter',
      'immediate',
      'microtask',
      'timer',
    ])
    for (const e of mem.events) expect(e.trace_id).toBe(T1)
  })

  it('keeps 200 concurrent scopes apart', async () => {
    const { mem, log } = setup()
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        withBindings({ request_id: `req-${i}` }, async () => {
          await sleep(Math.random() * 10)
          log.info(`n${i}`)
          await sleep(Math.random() * 5)
          log.info(`m${i}`)
        }),
      ),
    )
    await log.flush()
    expect(mem.events).toHaveLength(400)
    for (const e of mem.events) expect(e.request_id).toBe(`req-${e.message.slice(1)}`)
  })

  it('nests bindings, inner wins', () => {
    withBindings({ user_id: 'a', org_id: 'o' }, () => {
      withBindings({ user_id: 'b' }, () => {
        expect(getContext()?.bindings).toEqual({ user_id: 'b', org_id: 'o' })
      })
      expect(getContext()?.bindings).toEqual({ user_id: 'a', org_id: 'o' })
    })
  })

  it('a new trace id drops the parent span and state', () => {
    runWithContext({ trace_id: T1, span_id: S1, trace_state: 'a=b' }, () => {
      runWithContext({ trace_id: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, () => {
        const c = getContext()
        expect(c?.span_id).toBeUndefined()
        expect(c?.trace_state).toBeUndefined()
      })
    })
  })

  it('setBindings adds to the current scope from there on', async () => {
    const { mem, log } = setup()
    expect(setBindings({ user_id: 'nobody' })).toBe(false)
    await withBindings({ request_id: 'r' }, async () => {
      log.info('before')
      await sleep(1)
      setBindings({ user_id: 'u-9' })
      log.info('after')
    })
    await log.flush()
    expect(mem.events[0]?.user_id).toBeUndefined()
    expect(mem.events[1]).toMatchObject({ user_id: 'u-9', request_id: 'r' })
  })

  it('withContentMode("off") keeps prompts out of events in that scope', async () => {
    const { mem, log } = setup()
    withContentMode('off', () =>
      log.generation({ model: 'gpt-4o', prompt: 'my secret plan', completion: 'ok' }),
    )
    log.generation({ model: 'gpt-4o', prompt: 'visible', content: 'off' })
    log.generation({ model: 'gpt-4o', prompt: 'visible' })
    await log.flush()
    expect(JSON.stringify(mem.events[0])).not.toContain('secret plan')
    expect(JSON.stringify(mem.events[1])).not.toContain('visible')
    expect(mem.events[2]?.attributes?.['prompt']).toBe('visible')
  })
})

describe('OpenTelemetry interop', () => {
  const cm = new AsyncLocalStorageContextManager()
  const spans = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] })
  beforeAll(() => {
    otelContext.setGlobalContextManager(cm.enable())
    otelTrace.setGlobalTracerProvider(provider)
  })
  afterAll(() => {
    otelContext.disable()
    otelTrace.disable()
  })

  it('uses the active OpenTelemetry span ids when there is no Threadline scope', async () => {
    const { mem, log } = setup()
    const tracer = otelTrace.getTracer('test')
    let ids: { traceId: string; spanId: string } | undefined
    tracer.startActiveSpan('otel-op', (s) => {
      ids = s.spanContext()
      log.info('in otel span')
      s.end()
    })
    await log.flush()
    expect(mem.events[0]).toMatchObject({ trace_id: ids?.traceId, span_id: ids?.spanId })
  })

  it('a Threadline span started under an OpenTelemetry span joins its trace', async () => {
    const { mem, log } = setup()
    const tracer = otelTrace.getTracer('test')
    let ids: { traceId: string; spanId: string } | undefined
    await tracer.startActiveSpan('otel-parent', async (s) => {
      ids = s.spanContext()
      await log.span('child', async () => log.info('x'))
      s.end()
    })
    await log.flush()
    const span = mem.spans()[0]
    expect(span).toMatchObject({ trace_id: ids?.traceId, parent_span_id: ids?.spanId })
  })

  it('mirrors Threadline spans into the OpenTelemetry tracer and adopts its ids', async () => {
    spans.reset()
    const mem = memoryExporter()
    const log = createLogger({
      service: 'm',
      exporters: [mem],
      hookProcess: false,
      otel: { mirrorSpans: true },
    })
    const tracer = otelTrace.getTracer('test')
    await log.span(
      'outer',
      async () => {
        await log.span(
          'inner',
          async () => {
            // an OTel span made inside a Threadline span nests under it
            tracer.startActiveSpan('otel-leaf', (s) => s.end())
          },
          { kind: 'tool' },
        )
      },
      { kind: 'server' },
    )
    await log.flush()
    const finished = spans.getFinishedSpans()
    const byName = Object.fromEntries(finished.map((s) => [s.name, s]))
    const tl = Object.fromEntries(mem.spans().map((s) => [s.name, s]))
    expect(byName['outer']?.spanContext().spanId).toBe(tl['outer']?.span_id)
    expect(byName['inner']?.spanContext().spanId).toBe(tl['inner']?.span_id)
    expect(byName['inner']?.parentSpanContext?.spanId).toBe(tl['outer']?.span_id)
    expect(byName['otel-leaf']?.parentSpanContext?.spanId).toBe(tl['inner']?.span_id)
    expect(new Set(finished.map((s) => s.spanContext().traceId))).toEqual(
      new Set([tl['outer']?.trace_id]),
    )
  })
})
