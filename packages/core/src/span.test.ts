import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { runWithContext } from './context.js'
import { memoryExporter } from './exporters/memory.js'
import { createLogger } from './logger.js'
import {
  getLogger,
  setDefaultLogger,
  span as defaultSpan,
  startSpan as defaultStartSpan,
  traced,
} from './default.js'

function setup() {
  const mem = memoryExporter()
  const log = createLogger({ service: 'spans', exporters: [mem], hookProcess: false })
  return { mem, log }
}

describe('spans', () => {
  it('emits one span event at the end, with duration, ids and status', async () => {
    const { mem, log } = setup()
    const s = log.startSpan('work', { kind: 'chain', fields: { category: 'agent', event: 'run' } })
    await sleep(15)
    s.setAttribute('step', 1).set({ user_id: 'u-1' })
    expect(mem.events).toHaveLength(0)
    s.end()
    s.end()
    await log.flush()
    expect(mem.events).toHaveLength(1)
    const e = mem.events[0]!
    expect(e).toMatchObject({
      kind: 'span',
      name: 'work',
      message: 'work',
      span_kind: 'chain',
      status: 'ok',
      category: 'agent',
      event: 'run',
      user_id: 'u-1',
      attributes: { step: 1 },
    })
    expect(e.duration_ms).toBeGreaterThanOrEqual(10)
    expect(e.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(e.span_id).toMatch(/^[0-9a-f]{16}$/)
    expect(e.parent_span_id).toBeUndefined()
  })

  it('nests: children carry the parent span id, logs carry their span id', async () => {
    const { mem, log } = setup()
    await log.span('root', async (root) => {
      log.info('in root')
      await log.span('child', async (child) => {
        await sleep(1)
        log.info('in child')
        expect(child.parent_span_id).toBe(root.span_id)
      })
      log.span('sync-child', () => log.info('in sync child'))
    })
    await log.flush()
    const by = Object.fromEntries(mem.events.map((e) => [e.message, e]))
    const root = by['root']!
    expect(by['child']).toMatchObject({ trace_id: root.trace_id, parent_span_id: root.span_id })
    expect(by['sync-child']).toMatchObject({
      trace_id: root.trace_id,
      parent_span_id: root.span_id,
    })
    expect(by['in root']?.span_id).toBe(root.span_id)
    expect(by['in child']?.span_id).toBe(by['child']?.span_id)
    expect(by['in sync child']?.span_id).toBe(by['sync-child']?.span_id)
  })

  it('continues an incoming trace and its parent span', async () => {
    const { mem, log } = setup()
    runWithContext(
      { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' },
      () => log.span('server', () => 1, { kind: 'server' }),
    )
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      parent_span_id: '00f067aa0ba902b7',
      span_kind: 'server',
    })
  })

  it('root: true starts a new trace inside another one', async () => {
    const { mem, log } = setup()
    log.span('a', () => log.span('b', () => 1, { root: true }))
    await log.flush()
    const [b, a] = mem.events
    expect(b?.trace_id).not.toBe(a?.trace_id)
    expect(b?.parent_span_id).toBeUndefined()
  })

  it('records sync throws and async rejections as errors, and rethrows them', async () => {
    const { mem, log } = setup()
    expect(() =>
      log.span('sync', () => {
        throw new RangeError('too far')
      }),
    ).toThrow('too far')
    await expect(
      log.span('async', async () => {
        await sleep(1)
        throw new Error('nope 42')
      }),
    ).rejects.toThrow('nope 42')
    await log.flush()
    const [a, b] = mem.events
    expect(a).toMatchObject({
      status: 'error',
      level: 'error',
      error: { type: 'RangeError', message: 'too far' },
    })
    expect(b).toMatchObject({
      status: 'error',
      level: 'error',
      error: { type: 'Error', message: 'nope 42' },
    })
    expect(b?.error?.fingerprint).toMatch(/^[0-9a-f]{16}$/)
  })

  it('classifies aborts as cancelled, not error', async () => {
    const { mem, log } = setup()
    const ac = new AbortController()
    const p = log.span(
      'fetchy',
      () =>
        new Promise((_, reject) =>
          ac.signal.addEventListener('abort', () => reject(ac.signal.reason)),
        ),
    )
    ac.abort()
    await expect(p).rejects.toThrow()
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      status: 'cancelled',
      level: 'warn',
      error: { type: 'AbortError' },
    })
  })

  it('setStatus and explicit level win', async () => {
    const { mem, log } = setup()
    log.startSpan('x', { level: 'debug' }).setStatus('cancelled').end({ resource_id: 'r' })
    await log.flush()
    expect(mem.events[0]).toMatchObject({ status: 'cancelled', level: 'debug', resource_id: 'r' })
  })

  it('a child logger binds its fields to its spans', async () => {
    const { mem, log } = setup()
    log.child({ org_id: 'acme' }).span('bound', () => 1)
    await log.flush()
    expect(mem.events[0]?.org_id).toBe('acme')
  })

  it('the default span() and @traced() use the default logger', async () => {
    const { mem, log } = setup()
    const prev = setDefaultLogger(log)
    try {
      class Service {
        greeting = 'hi'
        hello(name: string): string {
          return `${this.greeting} ${name}`
        }
        async fail(): Promise<void> {
          await sleep(1)
          throw new Error('service failed')
        }
        static make(): string {
          return 'made'
        }
      }
      // standard (TC39) decorators, applied the way the compiler does
      const helloCtx = {
        kind: 'method',
        name: 'hello',
        static: false,
      } as unknown as ClassMethodDecoratorContext
      Service.prototype.hello = traced()(Service.prototype.hello, helloCtx)
      // legacy (experimentalDecorators) form
      const d = Object.getOwnPropertyDescriptor(Service.prototype, 'fail')!
      Object.defineProperty(
        Service.prototype,
        'fail',
        traced({ name: 'custom.fail', kind: 'tool' })(Service.prototype, 'fail', d),
      )
      const staticCtx = {
        kind: 'method',
        name: 'make',
        static: true,
      } as unknown as ClassMethodDecoratorContext
      Service.make = traced()(Service.make, staticCtx)

      const s = new Service()
      expect(s.hello('bob')).toBe('hi bob')
      await expect(s.fail()).rejects.toThrow('service failed')
      expect(Service.make()).toBe('made')
      expect(defaultSpan('plain', () => 7)).toBe(7)
      await log.flush()
      expect(mem.events.map((e) => [e.name, e.status])).toEqual([
        ['Service.hello', 'ok'],
        ['custom.fail', 'error'],
        ['Service.make', 'ok'],
        ['plain', 'ok'],
      ])
      expect(mem.events[1]?.span_kind).toBe('tool')
    } finally {
      if (prev) setDefaultLogger(prev)
    }
    expect(getLogger()).toBe(prev ?? getLogger())
  })

  it("the default span(), startSpan() and @traced() keep the default logger's bindings, as logger.span() does", async () => {
    const mem = memoryExporter()
    const log = createLogger({
      service: 'spans',
      exporters: [mem],
      hookProcess: false,
      bindings: { org_id: 'acme', team: 'search' },
    })
    const prev = setDefaultLogger(log)
    try {
      class Job {
        run(): number {
          return 1
        }
      }
      const ctx = {
        kind: 'method',
        name: 'run',
        static: false,
      } as unknown as ClassMethodDecoratorContext
      Job.prototype.run = traced()(Job.prototype.run, ctx)
      log.span('method', () => 1)
      defaultSpan('package', () => 1)
      defaultStartSpan('started').end()
      new Job().run()
      await log.flush()
      expect(mem.events.map((e) => [e.name, e.org_id, e.attributes?.['team']])).toEqual([
        ['method', 'acme', 'search'],
        ['package', 'acme', 'search'],
        ['started', 'acme', 'search'],
        ['Job.run', 'acme', 'search'],
      ])
    } finally {
      if (prev) setDefaultLogger(prev)
    }
  })

  it('@traced() rejects non-methods', () => {
    expect(() =>
      traced()(undefined, { kind: 'field', name: 'x' } as unknown as ClassMethodDecoratorContext),
    ).toThrow(TypeError)
  })
})
