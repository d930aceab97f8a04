import { describe, expect, it } from 'vitest'
import { diag } from './diag.js'
import { ThreadlineConfigError } from './errors.js'
import { memoryExporter } from './exporters/memory.js'
import { createLogger } from './logger.js'
import { createPriceTable } from './pricing.js'
import type { LoggerOptions } from './logger.js'

function setup(opts: LoggerOptions = {}) {
  const mem = memoryExporter()
  const log = createLogger({ service: 'app', exporters: [mem], hookProcess: false, ...opts })
  return { mem, log }
}

describe('logger', () => {
  it('filters by minimum level and reports isLevelEnabled', async () => {
    const { mem, log } = setup({ level: 'warn' })
    log.trace('t')
    log.debug('d')
    log.info('i')
    log.warn('w')
    log.error('e')
    log.fatal('f')
    log.log('critical', 'c')
    await log.flush()
    expect(mem.events.map((e) => [e.level, e.message])).toEqual([
      ['warn', 'w'],
      ['error', 'e'],
      ['fatal', 'f'],
      ['fatal', 'c'],
    ])
    expect(log.isLevelEnabled('info')).toBe(false)
    expect(log.isLevelEnabled('error')).toBe(true)
    expect(log.level).toBe('warn')
  })

  it('accepts (message, fields), (fields, message) and (error, message)', async () => {
    const { mem, log } = setup()
    log.info('one', { a: 1 })
    log.info({ b: 2 }, 'two')
    log.error(new Error('three'), 'failed three')
    log.error('four', new Error('inner four'))
    await log.flush()
    expect(mem.events[0]).toMatchObject({ message: 'one', attributes: { a: 1 } })
    expect(mem.events[1]).toMatchObject({ message: 'two', attributes: { b: 2 } })
    expect(mem.events[2]).toMatchObject({ message: 'failed three', error: { message: 'three' } })
    expect(mem.events[3]).toMatchObject({ message: 'four', error: { message: 'inner four' } })
  })

  it('child loggers add bindings; call fields win', async () => {
    const { mem, log } = setup({ bindings: { org_id: 'acme' } })
    const child = log.child({ user_id: 'u-1', component: 'billing' })
    child.child({ user_id: 'u-2' }).info('x', { session_id: 's' })
    child.info('y', { user_id: 'u-3' })
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      org_id: 'acme',
      user_id: 'u-2',
      session_id: 's',
      attributes: { component: 'billing' },
    })
    expect(mem.events[1]?.user_id).toBe('u-3')
  })

  it('sets service, environment and version on every event', async () => {
    const { mem, log } = setup({ service: 'api', environment: 'staging', serviceVersion: '2.0.1' })
    log.info('x')
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      service: 'api',
      environment: 'staging',
      service_version: '2.0.1',
    })
  })

  it('event(category, event, fields) follows the org -> category -> event hierarchy', async () => {
    const { mem, log } = setup()
    log.event('kb', 'file_upload_started', {
      org_id: 'acme',
      resource_type: 'file',
      resource_id: 'f-1',
      action: 'create',
      size: 10,
    })
    log.event('deployment', 'failed', { level: 'error', message: 'rollout failed' })
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      category: 'kb',
      event: 'file_upload_started',
      message: 'kb.file_upload_started',
      org_id: 'acme',
      resource_type: 'file',
      resource_id: 'f-1',
      action: 'create',
      attributes: { size: 10 },
    })
    expect(mem.events[1]).toMatchObject({
      category: 'deployment',
      event: 'failed',
      level: 'error',
      message: 'rollout failed',
    })
  })

  it('http() sets level from the status code', async () => {
    const { mem, log } = setup()
    log.http({
      method: 'GET',
      route: '/users/:id',
      path: '/users/1',
      status_code: 200,
      duration_ms: 3,
    })
    log.http({ method: 'POST', route: '/login', status_code: 401 })
    log.http({ method: 'GET', route: '/boom', status_code: 503, outcome: 'errored' })
    await log.flush()
    expect(mem.events.map((e) => e.level)).toEqual(['info', 'warn', 'error'])
    expect(mem.events[0]).toMatchObject({
      category: 'http',
      event: 'request',
      duration_ms: 3,
      message: 'GET /users/:id 200',
      http: { method: 'GET', route: '/users/:id', path: '/users/1', status_code: 200 },
    })
    expect(mem.events[2]?.http?.outcome).toBe('errored')
  })

  it('generation() records tokens and cost from the price table', async () => {
    const { mem, log } = setup()
    log.generation({
      model: 'gpt-4o',
      provider: 'openai',
      input_tokens: 1000,
      output_tokens: 500,
      ttft_ms: 120,
      duration_ms: 900,
      prompt: 'Hi',
    })
    await log.flush()
    const e = mem.events[0]!
    expect(e).toMatchObject({
      category: 'llm',
      event: 'generation',
      duration_ms: 900,
      llm: {
        model: 'gpt-4o',
        provider: 'openai',
        input_tokens: 1000,
        output_tokens: 500,
        total_tokens: 1500,
        ttft_ms: 120,
        usage_source: 'reported',
      },
    })
    expect(e.cost_usd).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6, 10)
    expect(e.attributes?.['prompt']).toBe('Hi')
  })

  it('generation() leaves cost and counts absent when unknown, never 0', async () => {
    const { mem, log } = setup()
    log.generation({ model: 'my-private-model', input_tokens: 10, output_tokens: 2 })
    log.generation({ model: 'gpt-4o' })
    await log.flush()
    expect('cost_usd' in mem.events[0]!).toBe(false)
    expect('cost_usd' in mem.events[1]!).toBe(false)
    expect(mem.events[1]?.llm).toEqual({ model: 'gpt-4o', operation: 'chat' })
  })

  it('uses a custom price table', async () => {
    const prices = createPriceTable({ 'house-model': { input: 1, output: 2, provider: 'acme' } })
    const { mem, log } = setup({ prices })
    log.generation({ model: 'house-model', input_tokens: 1_000_000, output_tokens: 1_000_000 })
    await log.flush()
    expect(mem.events[0]?.cost_usd).toBe(3)
  })

  it('auth(), admin() and audit() helpers', async () => {
    const { mem, log } = setup()
    log.auth('login', { user_id: 'u-1' })
    log.auth('login_failed', { user_id: 'u-1', reason: 'bad password' })
    log.admin('user_role_changed', {
      user_id: 'admin-1',
      resource_type: 'user',
      resource_id: 'u-2',
    })
    log.audit('delete', { user_id: 'u-1', resource_type: 'document', resource_id: 'd-9' })
    await log.flush()
    expect(mem.events.map((e) => [e.category, e.event, e.level])).toEqual([
      ['auth', 'login', 'info'],
      ['auth', 'login_failed', 'warn'],
      ['admin', 'user_role_changed', 'info'],
      ['audit', 'delete', 'info'],
    ])
    expect(mem.events[3]).toMatchObject({
      action: 'delete',
      resource_type: 'document',
      resource_id: 'd-9',
    })
  })

  it('emit() normalizes any input and applies the level filter', async () => {
    const { mem, log } = setup({ level: 'info' })
    log.emit({ level: 'debug', message: 'hidden' })
    log.emit({ level: 'critical', message: 'shown', custom: 1 })
    await log.flush()
    expect(mem.events).toHaveLength(1)
    expect(mem.events[0]).toMatchObject({
      level: 'fatal',
      message: 'shown',
      attributes: { custom: 1 },
    })
  })

  it('never throws into the caller, whatever the fields', async () => {
    const { mem, log } = setup()
    const seen: string[] = []
    const off = diag.subscribe((_l, m) => seen.push(m))
    const hostile = {
      get boom(): never {
        throw new Error('getter exploded')
      },
    }
    const revoked = Proxy.revocable({}, {})
    revoked.revoke()
    expect(() => log.info('hostile', hostile as never)).not.toThrow()
    expect(() => log.info('proxy', { p: revoked.proxy })).not.toThrow()
    expect(() => log.info(undefined as never)).not.toThrow()
    expect(() => log.info(Symbol('s') as never)).not.toThrow()
    off()
    await log.flush()
    expect(mem.events[0]?.attributes?.['boom']).toMatch(/^\[Throws: getter exploded\]$/)
    expect(mem.events).toHaveLength(4)
    expect(mem.events[1]?.attributes?.['p']).toMatch(/^\[Unreadable/)
    expect(seen).toEqual([])
  })

  it('rejects bad options with a typed error', () => {
    expect(() => createLogger({ level: 'loud' as never, hookProcess: false })).toThrow(
      ThreadlineConfigError,
    )
    expect(() => createLogger({ service: '', hookProcess: false })).toThrow(/service/)
    expect(() => createLogger({ exporters: [{} as never], hookProcess: false })).toThrow(
      ThreadlineConfigError,
    )
    expect(() =>
      createLogger({ batch: { maxBatchSize: 0 }, exporters: [], hookProcess: false }),
    ).toThrow(/maxBatchSize/)
    expect(() => createLogger({ limits: { maxDepth: -1 }, hookProcess: false })).toThrow(/maxDepth/)
  })

  it('reads the minimum level from THREADLINE_LEVEL', () => {
    const prev = process.env['THREADLINE_LEVEL']
    process.env['THREADLINE_LEVEL'] = 'error'
    try {
      const log = createLogger({ exporters: [], hookProcess: false })
      expect(log.level).toBe('error')
    } finally {
      if (prev === undefined) delete process.env['THREADLINE_LEVEL']
      else process.env['THREADLINE_LEVEL'] = prev
    }
  })
})

describe('emit() with a child logger', () => {
  it('applies bindings through the normalizer: known fields top-level, others under attributes', async () => {
    const { mem, log } = setup()
    log.child({ org_id: 'acme', component: 'ingest' }).emit({ message: 'raw', user_id: 'u' })
    await log.flush()
    expect(mem.events[0]).toMatchObject({
      org_id: 'acme',
      user_id: 'u',
      attributes: { component: 'ingest' },
    })
    expect((mem.events[0] as unknown as Record<string, unknown>)['component']).toBeUndefined()
  })
})

describe('emit() with an explicit context', () => {
  it('uses the given context, or none for null, instead of the active one', async () => {
    const { mem, log } = setup()
    const saved = {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      bindings: { request_id: 'r-then' },
    }
    await log.span('now', async () => {
      log.emit({ message: 'late line' }, { context: saved })
      log.emit({ message: 'contextless line' }, { context: null })
    })
    await log.flush()
    const [late, none] = mem.logs()
    expect(late).toMatchObject({
      trace_id: saved.trace_id,
      span_id: saved.span_id,
      request_id: 'r-then',
    })
    expect(none?.trace_id).toBeUndefined()
  })
})
