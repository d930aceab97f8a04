import { runWithContext } from '@threadline/core'
import type { Logger as ThreadlineLogger, ThreadlineEvent } from '@threadline/core'
import { createTestLogger } from '@threadline/test-utils'
import type { TestLogger } from '@threadline/test-utils'
import { describe, expect, it } from 'vitest'
import winston from 'winston'
import type { Logform } from 'winston'
import { ThreadlineTransport } from './index.js'
import type { ThreadlineTransportOptions } from './index.js'

const { format } = winston
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

/** A format that passes `info` through untouched (json() would itself throw on hostile getters). */
const passthrough = format((info) => info)

function setup(
  options: {
    levels?: winston.config.AbstractConfigSetLevels
    level?: string
    format?: Logform.Format
    defaultMeta?: Record<string, unknown>
    transport?: Omit<ThreadlineTransportOptions, 'logger'>
    threadline?: ThreadlineLogger
  } = {},
) {
  const t: TestLogger = createTestLogger()
  const transport = new ThreadlineTransport({
    logger: options.threadline ?? t.logger,
    ...options.transport,
  })
  const log = winston.createLogger({
    level: options.level ?? 'silly',
    ...(options.levels ? { levels: options.levels } : {}),
    ...(options.format ? { format: options.format } : {}),
    ...(options.defaultMeta ? { defaultMeta: options.defaultMeta } : {}),
    transports: [transport],
  })
  return { t, log, transport }
}

const byMessage = (events: ThreadlineEvent[], message: string): ThreadlineEvent => {
  const e = events.find((x) => x.message === message)
  if (!e) throw new Error(`no event "${message}" in ${events.map((x) => x.message).join(', ')}`)
  return e
}

describe('levels', () => {
  it('maps npm levels', async () => {
    const { t, log } = setup()
    for (const l of ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']) log.log(l, l)
    const events = await t.events()
    expect(events.map((e) => [e.message, e.level])).toEqual([
      ['error', 'error'],
      ['warn', 'warn'],
      ['info', 'info'],
      ['http', 'debug'],
      ['verbose', 'debug'],
      ['debug', 'debug'],
      ['silly', 'trace'],
    ])
    expect(events.every((e) => e.kind === 'log' && e.service === 'test')).toBe(true)
  })

  it('maps syslog levels, also when format.colorize() painted info.level', async () => {
    const { t, log } = setup({
      levels: winston.config.syslog.levels,
      level: 'debug',
      format: format.combine(format.colorize({ all: true }), format.simple()),
    })
    const names = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug']
    for (const l of names) log.log(l, l)
    const events = await t.events()
    expect(events.map((e) => e.level)).toEqual([
      'fatal',
      'fatal',
      'fatal',
      'error',
      'warn',
      'info',
      'info',
      'debug',
    ])
  })

  it('takes overrides, falls back to core aliases, and respects both loggers’ levels', async () => {
    const t = createTestLogger({ level: 'info' })
    const log = winston.createLogger({
      level: 'verbose',
      levels: { fatal: 0, error: 1, audit: 2, info: 3, http: 4, verbose: 5, silly: 6 },
      transports: [
        new ThreadlineTransport({ logger: t.logger, levels: { http: 'info', audit: 'warn' } }),
      ],
    })
    log.log('fatal', 'f')
    log.log('audit', 'a')
    log.log('http', 'h')
    log.log('verbose', 'v') // debug in Threadline: below the Threadline logger's level
    log.log('silly', 's') // below winston's level
    const events = await t.events()
    expect(events.map((e) => [e.message, e.level])).toEqual([
      ['f', 'fatal'],
      ['a', 'warn'],
      ['h', 'info'],
    ])
  })
})

describe('messages and metadata', () => {
  it('interpolates splat arguments without format.splat(), trailing objects become metadata', async () => {
    const { t, log } = setup()
    log.info('user %s has %d items', 'ann', 3, { cart_id: 'c1' })
    log.info('100%% done in %s', 'time')
    log.info('no tokens', { first: 1 })
    const events = await t.events()
    const a = byMessage(events, 'user ann has 3 items')
    expect(a.attributes).toEqual({ cart_id: 'c1' })
    expect(byMessage(events, '100% done in time').attributes).toBeUndefined()
    expect(byMessage(events, 'no tokens').attributes).toEqual({ first: 1 })
  })

  it('gives the same event when the logger already ran format.splat()', async () => {
    const { t, log } = setup({ format: format.combine(format.splat(), format.json()) })
    log.info('user %s has %d items', 'ann', 3, { cart_id: 'c1' })
    const events = await t.events()
    expect(events).toHaveLength(1)
    expect(byMessage(events, 'user ann has 3 items').attributes).toEqual({ cart_id: 'c1' })
  })

  it('splat: false leaves interpolation to format.splat() (values that contain % tokens)', async () => {
    const on = setup({ format: format.combine(format.splat(), format.json()) })
    const off = setup({
      format: format.combine(format.splat(), format.json()),
      transport: { splat: false },
    })
    for (const { log } of [on, off]) log.info('value %s', 'has %s inside')
    // with the default, a value that itself holds a token is interpolated a second time
    expect((await on.t.events())[0]?.message).toBe('value has has %s inside inside')
    expect((await off.t.events())[0]?.message).toBe('value has %s inside')
  })

  it('maps metadata onto wire fields and attributes; identity keys stay attributes', async () => {
    const { t, log } = setup({
      defaultMeta: { component: 'billing' },
      format: format.combine(format.timestamp(), format.label({ label: 'api' }), format.json()),
    })
    log.child({ user_id: 'u-1' }).info('order placed', {
      order_id: 'o-1',
      org_id: 'org-9',
      nested: { a: [1, 2] },
      id: 'not-the-event-id',
      kind: 'span',
      tags: ['checkout'],
      attributes: { existing: true },
      constructor: 'kept',
    })
    const events = await t.events()
    const e = byMessage(events, 'order placed')
    expect(e.kind).toBe('log')
    expect(e.id).not.toBe('not-the-event-id')
    expect(e.user_id).toBe('u-1')
    expect(e.org_id).toBe('org-9')
    expect(e.tags).toEqual(['checkout'])
    expect(e.attributes).toEqual({
      component: 'billing',
      label: 'api',
      order_id: 'o-1',
      nested: { a: [1, 2] },
      existing: true,
      id: 'not-the-event-id',
      kind: 'span',
      constructor: 'kept',
    })
    // format.timestamp() sets the event time
    expect(Date.parse(e.timestamp)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('carries the trace context of the log call, and timer durations as duration_ms', async () => {
    const { t, log } = setup()
    runWithContext({ trace_id: TRACE, span_id: SPAN, bindings: { request_id: 'req-1' } }, () => {
      log.info('in context')
      log.profile('step')
      log.profile('step', { message: 'step done' })
    })
    log.info('outside')
    const events = await t.events()
    const inside = byMessage(events, 'in context')
    expect([inside.trace_id, inside.span_id, inside.request_id]).toEqual([TRACE, SPAN, 'req-1'])
    const step = byMessage(events, 'step done')
    expect(step.trace_id).toBe(TRACE)
    expect(typeof step.duration_ms).toBe('number')
    expect(step.attributes?.['durationMs']).toBeUndefined()
    const outside = byMessage(events, 'outside')
    expect(outside.trace_id).toBeUndefined()
    expect(outside.request_id).toBeUndefined()
  })

  it('redacts secrets in metadata and messages through core', async () => {
    const { t, log } = setup()
    log.info('calling with key AKIAIOSFODNN7EXAMPLE', {
      password: 'hunter2',
      headers: { authorization: 'Bearer abc.def', accept: 'json' },
      db: { connection_string: 'postgres://u:p@h/db' },
    })
    const events = await t.events()
    const json = JSON.stringify(events)
    for (const secret of [
      'hunter2',
      'Bearer abc.def',
      'postgres://u:p@h/db',
      'AKIAIOSFODNN7EXAMPLE',
    ])
      expect(json).not.toContain(secret)
    const e = events[0]!
    expect(e.attributes?.['password']).toBe('[REDACTED]')
    expect(e.attributes?.['headers']).toEqual({ authorization: '[REDACTED]', accept: 'json' })
  })
})

describe('errors', () => {
  const fail = (): TypeError => {
    const err = new TypeError('cannot read order 42')
    ;(err as TypeError & { code: string }).code = 'E_ORDER'
    return err
  }

  it('logger.error(err) without format.errors(): the info is the Error', async () => {
    const { t, log } = setup()
    const err = fail()
    log.error(err)
    const e = (await t.events())[0]!
    expect(e.level).toBe('error')
    expect(e.message).toBe('cannot read order 42')
    expect(e.error).toMatchObject({ type: 'TypeError', message: 'cannot read order 42' })
    expect(e.error?.stack).toContain('transport.test.ts')
    expect(e.error?.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(e.attributes).toEqual({ code: 'E_ORDER' })
  })

  it('format.errors({ stack: true }) flattening is rebuilt, with the same fingerprint', async () => {
    const a = setup()
    const b = setup({ format: format.combine(format.errors({ stack: true }), format.json()) })
    const err = fail()
    a.log.error(err)
    b.log.error(err)
    b.log.log({ level: 'error', message: err } as unknown as winston.LogEntry)
    const [plain] = await a.t.events()
    const flattened = await b.t.events()
    expect(flattened).toHaveLength(2)
    for (const e of flattened) {
      expect(e.error).toEqual(plain!.error)
      expect(e.message).toBe('cannot read order 42')
      expect(e.attributes).toEqual({ code: 'E_ORDER' })
    }
  })

  it('an Error after the message, or under error/err in metadata', async () => {
    const { t, log } = setup({
      format: format.combine(format.errors({ stack: true }), format.json()),
    })
    log.error('saving failed:', new RangeError('quota exceeded'))
    log.warn('retrying', { err: new Error('timeout after 30s'), attempt: 2 })
    const events = await t.events()
    const saving = events[0]!
    expect(saving.message).toBe('saving failed: quota exceeded')
    expect(saving.error).toMatchObject({ type: 'RangeError', message: 'quota exceeded' })
    expect(saving.error?.stack).toContain('RangeError: quota exceeded')
    const retry = byMessage(events, 'retrying')
    expect(retry.level).toBe('warn')
    expect(retry.error).toMatchObject({ type: 'Error', message: 'timeout after 30s' })
    expect(retry.attributes).toEqual({ attempt: 2 })
  })
})

describe('never throws', () => {
  it('circular metadata is logged', async () => {
    const { t, log } = setup()
    const a: Record<string, unknown> = { name: 'a' }
    a['self'] = a
    expect(() => log.info('circular', { a })).not.toThrow()
    const e = byMessage(await t.events(), 'circular')
    expect(e.attributes?.['a']).toMatchObject({ name: 'a' })
    expect(JSON.stringify(e)).toContain('Circular')
  })

  it('getters that throw cost only their own key', async () => {
    const { t, log, transport } = setup({ format: passthrough() })
    const logged = new Promise((r) => transport.once('logged', r))
    const info = {
      message: 'hostile',
      ok: 1,
      get boom(): never {
        throw new Error('getter exploded')
      },
    }
    expect(() => log.info(info)).not.toThrow()
    await logged
    const e = byMessage(await t.events(), 'hostile')
    expect(e.attributes?.['ok']).toBe(1)
    expect(e.attributes?.['boom']).toBe('[Throws: getter exploded]')
  })

  it('a failing Threadline logger becomes a warn event; logged and the next log still happen', async () => {
    const good = createTestLogger()
    const broken = Object.create(good.logger, {
      emit: {
        value: (): never => {
          throw new Error('pipeline gone')
        },
      },
    }) as ThreadlineLogger
    const { log, transport } = setup({ threadline: broken })
    const warnings: unknown[] = []
    log.on('warn', (err: unknown) => warnings.push(err))
    const logged = new Promise((r) => transport.once('logged', r))
    expect(() => log.info('first')).not.toThrow()
    await logged
    expect(warnings).toHaveLength(1)
    expect((warnings[0] as Error).message).toBe('pipeline gone')
    // a throwing 'warn' listener does not reach the caller either
    transport.on('warn', () => {
      throw new Error('listener exploded')
    })
    expect(() => log.info('second')).not.toThrow()
    expect(warnings).toHaveLength(2)
  })
})
