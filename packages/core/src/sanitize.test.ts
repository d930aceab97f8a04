import { describe, expect, it } from 'vitest'
import { memoryExporter } from './exporters/memory.js'
import { createLogger } from './logger.js'
import type { LoggerOptions } from './logger.js'
import { createSanitizer } from './sanitize.js'

async function logged(fields: Record<string, unknown>, opts: LoggerOptions = {}, message = 'm') {
  const mem = memoryExporter()
  const log = createLogger({ service: 's', exporters: [mem], hookProcess: false, ...opts })
  log.info(message, fields)
  await log.flush()
  return { event: mem.events[0]!, line: mem.lines[0]! }
}

const SECRETS = {
  openai: 'sk-proj-Abc123Def456Ghi789Jkl012Mno345Pqr678',
  aws: 'AKIAIOSFODNN7EXAMPLE',
  github: 'ghp_0123456789abcdefghijABCDEFGHIJ012345',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
  card: '4111 1111 1111 1111',
  password: 'hunter2-correct-horse',
}

describe('key-based redaction', () => {
  it('censors default keys at any depth, case- and separator-insensitive', async () => {
    const { event, line } = await logged({
      password: SECRETS.password,
      headers: {
        Authorization: 'Bearer abc.def',
        Cookie: 'sid=1',
        'X-API-KEY': 'k1',
        'set-cookie': ['a=1'],
      },
      deep: {
        a: { b: { c: { apiKey: 'k2', db_password: 'p', clientSecret: 's', refresh_token: 't' } } },
      },
      list: [{ token: 'k3' }],
      input_tokens: 12,
    })
    expect(line).not.toContain(SECRETS.password)
    for (const s of ['abc.def', 'sid=1', 'k1', 'a=1', 'k2', 'k3']) expect(line).not.toContain(s)
    expect((event.attributes?.['deep'] as any).a.b.c).toEqual({
      apiKey: '[REDACTED]',
      db_password: '[REDACTED]',
      clientSecret: '[REDACTED]',
      refresh_token: '[REDACTED]',
    })
    expect(event.attributes?.['password']).toBe('[REDACTED]')
    expect(event.attributes?.['input_tokens']).toBe(12)
    expect((event.attributes?.['list'] as { token: string }[])[0]?.token).toBe('[REDACTED]')
  })

  it('supports extra keys, custom censor functions and removal', async () => {
    const a = await logged(
      { ssn_last4: '1234', nested: { internal_id: 'x' } },
      { redact: { extraKeys: ['internal_id'] } },
    )
    expect(a.event.attributes?.['nested']).toEqual({ internal_id: '[REDACTED]' })
    const b = await logged(
      { password: 'abcdef' },
      { redact: { censor: (v, p) => `[${p.join('.')}:${String(v).length}]` } },
    )
    expect(b.event.attributes?.['password']).toBe('[attributes.password:6]')
    const c = await logged({ password: 'x', keep: 1 }, { redact: { remove: true } })
    expect(c.event.attributes).toEqual({ keep: 1 })
  })

  it('can be turned off', async () => {
    const { event } = await logged({ password: 'visible' }, { redact: false })
    expect(event.attributes?.['password']).toBe('visible')
  })
})

describe('path-based redaction', () => {
  it('matches pino-style paths with wildcards and brackets', async () => {
    const { event } = await logged(
      {
        user: { name: 'bob', ssn_full: '123' },
        items: [
          { card: 'c1', sku: 'a' },
          { card: 'c2', sku: 'b' },
        ],
        headers: { 'x-custom': 'h' },
        any: { thing: { secretish: 1 } },
      },
      {
        redact: {
          paths: ['user.ssn_full', 'items[*].card', 'headers["x-custom"]', '*.thing.secretish'],
        },
      },
    )
    expect(event.attributes).toEqual({
      user: { name: 'bob', ssn_full: '[REDACTED]' },
      items: [
        { card: '[REDACTED]', sku: 'a' },
        { card: '[REDACTED]', sku: 'b' },
      ],
      headers: { 'x-custom': '[REDACTED]' },
      any: { thing: { secretish: '[REDACTED]' } },
    })
  })

  it('matches wire fields too (http.user_agent, llm.model)', async () => {
    const mem = memoryExporter()
    const log = createLogger({
      exporters: [mem],
      hookProcess: false,
      redact: { paths: ['http.user_agent', 'llm.model'] },
    })
    log.http({ method: 'GET', route: '/', status_code: 200, user_agent: 'curl/8' })
    log.generation({ model: 'secret-model', input_tokens: 1 })
    await log.flush()
    expect(mem.events[0]?.http).toMatchObject({ method: 'GET', user_agent: '[REDACTED]' })
    expect(mem.events[1]?.llm?.model).toBe('[REDACTED]')
  })

  it('rejects malformed paths at setup', () => {
    expect(() => createSanitizer({ redact: { paths: ['a..b'] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: ['a[b'] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: ['.a'] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: ['a.'] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: [''] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: ['a[x]'] } })).toThrow(TypeError)
    expect(() => createSanitizer({ redact: { paths: ['a["b"].c[0][*]'] } })).not.toThrow()
  })
})

describe('value-pattern redaction', () => {
  it('finds secrets in messages, nested values, error messages and stacks', async () => {
    const err = new Error(`call failed with key ${SECRETS.openai}`)
    const mem = memoryExporter()
    const log = createLogger({ exporters: [mem], hookProcess: false })
    log.error(`token ${SECRETS.github} leaked`, {
      note: `aws ${SECRETS.aws}`,
      deep: [{ jwt: `x ${SECRETS.jwt}` }],
      err,
      url: 'postgres://admin:s3cret@db:5432/app',
    })
    await log.flush()
    const line = mem.lines[0]!
    for (const s of [SECRETS.openai, SECRETS.github, SECRETS.aws, SECRETS.jwt, 's3cret'])
      expect(line).not.toContain(s)
    expect(line).toContain('db:5432/app')
  })

  it('redacts Luhn-valid card numbers and keeps others', async () => {
    const { line } = await logged({ a: `card ${SECRETS.card}`, b: 'order 4111 1111 1111 1112' })
    expect(line).not.toContain('4111 1111 1111 1111')
    expect(line).toContain('4111 1111 1111 1112')
  })

  it('keeps emails and phones unless PII patterns are on', async () => {
    const plain = await logged({ who: 'jane@example.com +14155552671' })
    expect(plain.line).toContain('jane@example.com')
    const pii = await logged(
      { who: 'jane@example.com +14155552671' },
      { redact: { patterns: ['email', 'phone'] } },
    )
    expect(pii.line).not.toContain('jane@example.com')
    expect(pii.line).not.toContain('4155552671')
  })

  it('scans secrets hidden in odd places: Map keys, Set items, error causes, arrays of arrays', async () => {
    const { line } = await logged({
      m: new Map([[`k ${SECRETS.aws}`, 1]]),
      s: new Set([SECRETS.github]),
      e: new Error('outer', { cause: new Error(`inner ${SECRETS.openai}`) }),
      aa: [[[SECRETS.jwt]]],
    })
    for (const s of [SECRETS.openai, SECRETS.github, SECRETS.aws, SECRETS.jwt])
      expect(line).not.toContain(s)
  })
})

describe('LLM content modes', () => {
  const prompt = 'Summarize the contract for jane@example.com'
  it.each([
    ['full', (v: unknown) => expect(v).toBe(prompt)],
    ['off', (v: unknown) => expect(v).toBeUndefined()],
    ['hash', (v: unknown) => expect(v).toMatch(/^sha256:[0-9a-f]{64}$/)],
    ['truncate', (v: unknown) => expect(v).toBe('Summarize …[truncated 33 chars]')],
    ['mask', (v: unknown) => expect(v).toBe('Summarize the contract for [REDACTED]')],
  ] as const)('%s', async (mode, check) => {
    const { event } = await logged(
      { prompt, messages: [{ role: 'user', content: prompt }], other: prompt },
      { content: { mode, maxChars: 10 } },
    )
    check(event.attributes?.['prompt'])
    expect(event.attributes?.['other']).toBe(prompt)
  })

  it('hash is stable for equal content', async () => {
    const a = await logged({ prompt: 'x' }, { content: { mode: 'hash' } })
    const b = await logged({ prompt: 'x' }, { content: { mode: 'hash' } })
    expect(a.event.attributes?.['prompt']).toBe(b.event.attributes?.['prompt'])
  })
})

describe('safe serialization', () => {
  it('handles circular refs, BigInt, Errors with cause, Buffers, typed arrays, Map, Set, Date, functions, symbols', async () => {
    const circ: Record<string, unknown> = { name: 'loop' }
    circ['self'] = circ
    circ['arr'] = [circ]
    const { event, line } = await logged({
      circ,
      big: 123n,
      err: new TypeError('outer', { cause: new Error('root cause') }),
      buf: Buffer.from('hello'),
      u8: new Uint8Array([1, 2, 3]),
      map: new Map<unknown, unknown>([
        ['a', 1],
        [2, 'b'],
      ]),
      set: new Set([1, 'two']),
      date: new Date('2026-01-01T00:00:00Z'),
      bad: new Date('x'),
      fn: function named() {},
      sym: Symbol('s'),
      undef: undefined,
      nan: NaN,
    })
    expect(() => JSON.parse(line)).not.toThrow()
    const a = event.attributes!
    expect(a['circ']).toEqual({ name: 'loop', self: '[Circular]', arr: ['[Circular]'] })
    expect(a['big']).toBe('123')
    expect(event.error).toMatchObject({ type: 'TypeError', message: 'outer' })
    expect(event.error?.stack).toContain('caused by: Error: root cause')
    expect(a['buf']).toBe('[Buffer 5 bytes 68656c6c6f]')
    expect(a['u8']).toBe('[Uint8Array 3 bytes 010203]')
    expect(a['map']).toEqual({ a: 1, '2': 'b' })
    expect(a['set']).toEqual([1, 'two'])
    expect(a['date']).toBe('2026-01-01T00:00:00.000Z')
    expect(a['bad']).toBe('Invalid Date')
    expect(a['fn']).toBe('[Function named]')
    expect(a['sym']).toBe('Symbol(s)')
    expect('undef' in a).toBe(false)
    expect(a['nan']).toBe('NaN')
  })

  it('an Error nested in fields keeps type, message, stack and cause', async () => {
    const { event } = await logged({ failure: new RangeError('r', { cause: 'why' }) })
    expect(event.attributes?.['failure']).toMatchObject({
      type: 'RangeError',
      message: 'r',
      cause: 'why',
    })
  })

  it('caps depth, string length, array length and key count with explicit markers', async () => {
    let deep: Record<string, unknown> = { leaf: 1 }
    for (let i = 0; i < 20; i++) deep = { d: deep }
    const many: Record<string, number> = {}
    for (let i = 0; i < 300; i++) many[`k${i}`] = i
    const { event, line } = await logged(
      { deep, long: 'x'.repeat(50_000), arr: Array.from({ length: 1000 }, (_, i) => i), many },
      { limits: { maxDepth: 5, maxStringLength: 100, maxArrayLength: 10, maxObjectKeys: 50 } },
    )
    expect(line).toContain('[Truncated: depth]')
    expect(event.attributes?.['long']).toBe('x'.repeat(100) + '…[truncated 49900 chars]')
    const arr = event.attributes?.['arr'] as unknown[]
    expect(arr).toHaveLength(11)
    expect(arr[10]).toBe('[… 990 more items]')
    expect(Object.keys(event.attributes?.['many'] as object)).toHaveLength(51)
    expect((event.attributes?.['many'] as Record<string, unknown>)['…']).toBe(
      '[truncated 250 keys]',
    )
  })

  it('shrinks events over maxEventBytes with a marker, and drops what still does not fit', async () => {
    const mem = memoryExporter()
    const log = createLogger({
      exporters: [mem],
      hookProcess: false,
      limits: { maxEventBytes: 4096, maxStringLength: 100_000 },
    })
    log.info('big', { blob: 'y'.repeat(20_000) })
    log.info('z'.repeat(100_000))
    await log.flush()
    expect(mem.events).toHaveLength(2)
    expect(mem.events[0]?.attributes?.['threadline.truncated']).toMatch(/exceeded 4096/)
    for (const l of mem.lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(4096)
    expect(mem.events[1]?.message).toMatch(/…\[truncated \d+ chars\]$/)
  })

  it('does not change when the caller mutates its object after logging', async () => {
    const mem = memoryExporter()
    const log = createLogger({ exporters: [mem], hookProcess: false })
    const obj = { step: 1, nested: { v: 'a' } }
    log.info('snapshot', obj)
    obj.step = 2
    obj.nested.v = 'b'
    await log.flush()
    expect(mem.events[0]?.attributes).toEqual({ step: 1, nested: { v: 'a' } })
  })

  it('keeps JSON lines one line: U+2028, DEL and C1 controls are escaped', async () => {
    const { line, event } = await logged({ x: 'a\u2028b\u2029c\u007fd\u0085e\nf' }, {}, 'm\u2028n')
    expect(line).not.toMatch(/[\u2028\u2029\u007f\u0085\n]/)
    expect(JSON.parse(line).attributes.x).toBe(event.attributes?.['x'])
    expect(JSON.parse(line).message).toBe('m\u2028n')
  })

  it('produces valid JSON for lone surrogates (invalid UTF-16)', async () => {
    const { line } = await logged({ bad: 'a\ud800b' })
    expect(() => JSON.parse(line)).not.toThrow()
    expect(Buffer.from(line, 'utf8').toString('utf8')).toBe(line)
  })
})
