import { describe, expect, it } from 'vitest'
import type { ThreadlineContext } from './context.js'
import { runWithContext } from './context.js'
import { memoryExporter } from './exporters/memory.js'
import { createLogger } from './logger.js'
import { buildLogEvent, buildSpanEvent, logLine, spanLine } from './normalize.js'
import type { EventSource } from './normalize.js'
import { serializeEvent } from './pipeline.js'
import { createSanitizer } from './sanitize.js'
import type { SanitizerOptions } from './sanitize.js'
import type { SpanRecord } from './span.js'
import { isoNow } from './time.js'
import type { EventInput, Level } from './types.js'

/*
 * Differential tests: a log line written directly (`logLine`) must be byte for
 * byte the line of the event the builder makes (`serializeEvent(buildLogEvent())`),
 * the way every log line was made before the direct path existed. Where the
 * direct path declines (undefined), the logger uses the builder, so a decline is
 * always correct; the tests also check that the common cases do not decline.
 */

const TRACE = { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7' }

// id and timestamp differ between two builds of one event; everything else may not
const stamp = (line: string): string =>
  line.replace(
    /^\{"id":"[^"]+","kind":"log","timestamp":"[^"]+"/,
    '{"id":"ID","kind":"log","timestamp":"TS"',
  )

function both(
  source: EventSource,
  level: Level,
  context: ThreadlineContext | undefined,
  bindings: Record<string, unknown> | undefined,
  message: unknown,
  fields: EventInput | undefined,
): { direct: string | undefined; built: string } {
  const owner = {}
  const direct = logLine(source, level, context, true, bindings, owner, message, fields)
  // a second call reads the per-scope cache
  const again = logLine(source, level, context, true, bindings, owner, message, fields)
  expect(again === undefined ? undefined : stamp(again)).toBe(
    direct === undefined ? undefined : stamp(direct),
  )
  const built = serializeEvent(
    buildLogEvent(source, level, context, bindings, message, fields, undefined, undefined),
  )
  return { direct: direct === undefined ? undefined : stamp(direct), built: stamp(built) }
}

function source(options: SanitizerOptions = {}, env?: string): EventSource {
  return {
    sanitizer: createSanitizer(options),
    resource: env
      ? { service: 'svc', environment: env, service_version: '1.2.3' }
      : { service: 'svc' },
  }
}

function record(i: number): Record<string, unknown> {
  return {
    user_id: `usr_${i}`,
    org_id: `org_${i % 7}`,
    session_id: `sess_${i}`,
    model: 'gpt-4o-mini',
    provider: 'openai',
    input_tokens: 800 + i,
    output_tokens: 40,
    latency_ms: 350.5,
    route: '/v1/chat/completions',
    status: i % 2 ? 'ok' : 'error',
    metadata: {
      prompt_template: 'rag-answer-v7',
      temperature: 0.7,
      tools: ['search_kb', 'create_ticket'],
      region: 'eu-west-1',
    },
  }
}

/** Inputs that have broken loggers: every one must give the builder's bytes. */
function nasty(): [string, Record<string, unknown>][] {
  const cyclic: Record<string, unknown> = { name: 'a' }
  cyclic['self'] = cyclic
  const list: unknown[] = [1]
  list.push(list)
  const shared = { x: 1 }
  const throwing = Object.defineProperty({ ok: 1 }, 'bad', {
    enumerable: true,
    get() {
      throw new Error('getter exploded')
    },
  })
  const throwsNonError = Object.defineProperty({}, 'bad', {
    enumerable: true,
    get() {
      throw 'plain string'
    },
  })
  const deep: Record<string, unknown> = {}
  let d = deep
  for (let i = 0; i < 12; i++)
    d = d['next'] = { level: i, password: `pw${i}` } as Record<string, unknown>
  const wide: Record<string, unknown> = {}
  for (let i = 0; i < 260; i++) wide[`k${i}`] = i
  const { proxy: revoked, revoke } = Proxy.revocable({}, {})
  revoke()
  class Point {
    constructor(
      public x: number,
      public y: number,
    ) {}
  }
  const big = 'x'.repeat(10 * 1024 * 1024)
  const err = Object.assign(new Error('boom: token=abc'), {
    code: 'E_BOOM',
    cause: new Error('inner'),
  })
  return [
    ['cycles', { cyclic, list, shared: { a: shared, b: shared } }],
    [
      'a function whose name throws',
      {
        fn: Object.defineProperty(function () {}, 'name', {
          get() {
            throw new Error('no name')
          },
        }),
        after: 1,
      },
    ],
    ['bigint', { n: 12345678901234567890n, nested: { n: -1n } }],
    ['getters that throw', { throwing, throwsNonError }],
    ['top-level getter that throws', throwing as Record<string, unknown>],
    ['10 MB string attribute', { body: big }],
    ['10 MB string in a wire field', { user_id: big, org_id: 'o' }],
    ['10 MB key', { [big.slice(0, 5000)]: 1 }],
    [
      'secrets at depth',
      {
        config: {
          db: { password: 'hunter2', url: 'postgres://u:p@h/db', nested: { apiKey: 'k' } },
        },
        headers: { Authorization: 'Bearer abc.def.ghi', cookie: 's=1' },
        items: [{ token: 't1' }, { secret: 's2', note: 'AKIAIOSFODNN7EXAMPLE' }],
        deep,
      },
    ],
    [
      'secret-looking values',
      {
        note: 'key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD here',
        jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
        card: '4111 1111 1111 1111',
        gh: 'ghp_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ',
      },
    ],
    ['a key renamed by a value pattern', { 'AKIAIOSFODNN7EXAMPLE-id': 1, ok: 2 }],
    [
      'exotic objects',
      {
        when: new Date(0),
        bad: new Date(NaN),
        map: new Map<unknown, unknown>([
          ['a', 1],
          [{ k: 1 }, 'obj key'],
        ]),
        set: new Set([1, 'two']),
        err,
        bytes: new Uint8Array([1, 2, 3]),
        buf: Buffer.from('hello'),
        ab: new ArrayBuffer(4),
        point: new Point(1, 2),
        json: { toJSON: () => ({ fromToJSON: true }) },
        jsonUndefined: { toJSON: () => undefined },
        jsonThrows: {
          toJSON() {
            throw new Error('no json')
          },
        },
        promise: Promise.resolve(1),
        weak: new WeakMap(),
        sym: Symbol('tag"quoted'),
        fn: function named() {},
        arrow: () => 1,
        revoked,
      },
    ],
    [
      'numbers',
      {
        nan: NaN,
        inf: Infinity,
        ninf: -Infinity,
        negzero: -0,
        big: 1e21,
        small: 5e-7,
        list: [NaN, -0],
      },
    ],
    [
      'arrays',
      {
        // eslint-disable-next-line no-sparse-arrays
        sparse: [1, , 3],
        holes: new Array(3),
        long: Array.from({ length: 250 }, (_, i) => i),
        withUndef: [undefined, () => 1],
      },
    ],
    ['wide object', { wide }],
    ['many top-level keys', wide],
    [
      'keys',
      {
        ...JSON.parse('{"__proto__":{"polluted":true}}'),
        nested: JSON.parse('{"__proto__":1,"a":2}'),
      },
    ],
    ['the truncation key', { '…': 'mine', nested: { '…': 1 } }],
    ['integer-like keys', { b: 1, 10: 'ten', 2: 'two', '01': 'zero-one', nested: { z: 1, 5: 5 } }],
    ['null prototype', { obj: Object.assign(Object.create(null), { a: 1 }) }],
    [
      'characters',
      {
        sep: 'line\u2028para\u2029end',
        ctrl: 'del\u007f c1\u0085 nul\u0000 tab\t',
        quote: 'say "hi" \\ back',
        emoji: '👩‍💻 ok',
        lone: 'bad \ud800 surrogate',
        'key\u2028with sep': 1,
        'quote"key': 2,
      },
    ],
    [
      'wire fields',
      {
        user_id: 42,
        org_id: { id: 'not a string' },
        session_id: 'x'.repeat(1500),
        request_id: NaN,
        category: 'kb',
        event: 'upload',
        resource_type: 'file',
        resource_id: 'f1',
        action: 'create',
      },
    ],
    ['span-only fields on a log', { name: 'n', span_kind: 'llm', status: 'ok' }],
    ['level', { level: 'error', a: 1 }],
    ['message field', { message: 'from fields', msg: 'also' }],
    [
      'ids',
      {
        trace_id: 'ffffffffffffffffffffffffffffffff',
        span_id: 'nothex',
        parent_span_id: 'aaaaaaaaaaaaaaaa',
      },
    ],
    [
      'http and llm',
      {
        http: { method: 'GET', status_code: 200, extra: 1 },
        llm: { model: 'm', input_tokens: -1 },
      },
    ],
    ['error field', { error: new Error('e'), err: 'string error' }],
    ['attributes and tags', { attributes: { a: 1, password: 'p' }, tags: ['x', 1, {}] }],
    ['resource fields', { service: 'other', environment: 'prod', service_version: '9' }],
    ['kind, id, timestamp, time', { kind: 'span', id: 'custom', timestamp: 0, time: 'bad' }],
    ['duration and cost', { duration_ms: 12.5, cost_usd: -1 }],
    [
      'content keys',
      { prompt: 'what is 2+2?', completion: 'four', messages: [{ role: 'user', content: 'hi' }] },
    ],
    ['undefined values', { a: undefined, b: 1, c: undefined }],
    ['empty', {}],
  ]
}

const nastyNamed = (name: string): Record<string, unknown> => nasty().find(([n]) => n === name)![1]

const CONTEXTS: [string, ThreadlineContext | undefined][] = [
  ['no scope', undefined],
  ['trace only', { ...TRACE, trace_flags: '01' }],
  [
    'scope bindings',
    {
      ...TRACE,
      bindings: { user_id: 'u-scope', request_id: 'req-1', tenant_plan: 'pro', route: 'r' },
    },
  ],
  [
    'scope binding holding an object',
    { ...TRACE, bindings: { org_id: 'o', feature: { flag: true } } },
  ],
  ['scope with a content mode', { ...TRACE, content_mode: 'off' }],
  ['scope binding the level', { ...TRACE, bindings: { level: 'warn' } }],
  ['scope binding a secret', { ...TRACE, bindings: { api_key: 'k', AKIAIOSFODNN7EXAMPLE: 'v' } }],
]

const BINDINGS: [string, Record<string, unknown> | undefined][] = [
  ['no bindings', undefined],
  ['wire bindings', { org_id: 'acme', session_id: 7 }],
  ['attribute bindings', { team: 'search', status: 'bound', password: 'p' }],
  ['binding the service', { service: 'child' }],
]

const OPTIONS: [string, SanitizerOptions, string?][] = [
  ['defaults', {}],
  ['with environment', {}, 'staging'],
  ['redaction off', { redact: false }],
  ['keys only', { redact: { patterns: false } }],
  ['remove', { redact: { remove: true } }],
  [
    'extra keys and pii',
    { redact: { extraKeys: ['tenant_plan', 'team'], patterns: ['email', 'phone', 'jwt'] } },
  ],
  ['censor function', { redact: { censor: (v) => `<${typeof v}>` } }],
  ['paths', { redact: { paths: ['metadata.region', 'http.method'] } }],
  [
    'small limits',
    { limits: { maxDepth: 2, maxStringLength: 10, maxArrayLength: 2, maxObjectKeys: 3 } },
  ],
  ['content truncated by default', { content: { mode: 'truncate', maxChars: 3 } }],
]

describe('log lines written directly', () => {
  it('give the builder’s bytes for the benchmark record in every set-up', () => {
    let direct = 0
    for (const [, opts, env] of OPTIONS) {
      const src = source(opts, env)
      for (const [, ctx] of CONTEXTS)
        for (const [, bindings] of BINDINGS)
          for (const level of ['info', 'error'] as const) {
            const r = both(src, level, ctx, bindings, 'llm call completed', record(3))
            if (r.direct !== undefined) {
              direct++
              expect(r.direct).toBe(r.built)
            }
          }
    }
    // the record's own keys collide with most bindings (the builder then takes
    // over); what remains is 6 redaction set-ups x 3 scopes x 2 levels
    expect(direct).toBeGreaterThanOrEqual(36)
  })

  it.each(nasty())('give the builder’s bytes for nasty input: %s', (_name, fields) => {
    for (const [, opts, env] of OPTIONS) {
      const src = source(opts, env)
      for (const [, ctx] of CONTEXTS)
        for (const [, bindings] of BINDINGS) {
          const r = both(src, 'info', ctx, bindings, 'msg', fields)
          if (r.direct !== undefined) expect(r.direct).toBe(r.built)
        }
    }
  })

  it('give the builder’s bytes for every kind of message', () => {
    const src = source()
    for (const message of [
      undefined,
      null,
      '',
      'plain',
      'x'.repeat(20_000),
      'tab\t\u2028',
      'Bearer abcdefghijklmnop1234',
      42,
      { a: 1 },
    ]) {
      for (const fields of [undefined, { a: 1 }]) {
        const r = both(src, 'warn', { ...TRACE }, undefined, message, fields)
        if (r.direct !== undefined) expect(r.direct).toBe(r.built)
      }
    }
  })

  it('take the direct path for the common shapes', () => {
    const src = source()
    const cases: [
      ThreadlineContext | undefined,
      Record<string, unknown> | undefined,
      unknown,
      EventInput | undefined,
    ][] = [
      [undefined, undefined, 'hello', undefined],
      [{ ...TRACE }, undefined, 'hello', record(1)],
      [
        { ...TRACE, bindings: { user_id: 'u', tenant: 't' } },
        { team: 'x' },
        'hi',
        { a: 1, b: 'two' },
      ],
      [undefined, undefined, 'with nasty values', nastyNamed('cycles')],
      [undefined, undefined, 'getter', nastyNamed('getters that throw')],
      [undefined, undefined, 'depth', nastyNamed('secrets at depth')],
    ]
    for (const [ctx, bindings, message, fields] of cases) {
      const r = both(src, 'info', ctx, bindings, message, fields)
      expect(r.direct).toBeDefined()
      expect(r.direct).toBe(r.built)
    }
  })

  it('decline what only the builder handles', () => {
    const src = source()
    const declines: [
      ThreadlineContext | undefined,
      Record<string, unknown> | undefined,
      EventInput,
    ][] = [
      [undefined, undefined, { level: 'warn' }],
      [undefined, undefined, { http: { method: 'GET' } }],
      [undefined, undefined, { attributes: { a: 1 } }],
      [{ ...TRACE, bindings: { user_id: 'u' } }, undefined, { user_id: 'again' }],
      [undefined, { org_id: 'o' }, { org_id: 'p' }],
      [undefined, { team: 'a' }, { team: 'b' }],
      [undefined, undefined, { 'AKIAIOSFODNN7EXAMPLE-id': 1 }],
      [{ ...TRACE, content_mode: 'hash' }, undefined, { a: 1 }],
    ]
    for (const [ctx, bindings, fields] of declines) {
      const r = both(src, 'info', ctx, bindings, 'm', fields)
      expect(r.direct).toBeUndefined()
    }
    expect(
      both(source({ redact: { censor: () => 'x' } }), 'info', undefined, undefined, 'm', {}).direct,
    ).toBeUndefined()
    expect(
      both(source({ redact: { paths: ['a.b'] } }), 'info', undefined, undefined, 'm', {}).direct,
    ).toBeUndefined()
  })

  it('read a scope binding that holds an object at each event, as the builder does', () => {
    const src = source()
    const feature = { flag: true }
    const ctx: ThreadlineContext = { ...TRACE, bindings: { feature } }
    const owner = {}
    const first = logLine(src, 'info', ctx, true, undefined, owner, 'm', undefined)
    feature.flag = false
    const second = logLine(src, 'info', ctx, true, undefined, owner, 'm', undefined)
    expect(first).toContain('"feature":{"flag":true}')
    expect(second).toContain('"feature":{"flag":false}')
  })
})

describe('timestamps', () => {
  it('isoNow gives toISOString for any millisecond, in any order (span starts reuse it)', () => {
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 990)
    const times = [
      base,
      base + 5,
      base - 1000,
      base + 1010,
      base + 1010,
      0,
      999,
      1000,
      base + 86_400_000,
    ]
    for (const ms of [...times, ...times.reverse()])
      expect(isoNow(ms)).toBe(new Date(ms).toISOString())
  })
})

describe('the logger with direct lines', () => {
  it('keeps the snapshot: a queued event never changes when the caller mutates its object', async () => {
    const mem = memoryExporter()
    const log = createLogger({ service: 'svc', exporters: [mem], hookProcess: false })
    const fields = { user_id: 'u1', meta: { step: 1, list: [1, 2] } }
    runWithContext({ ...TRACE }, () => log.info('before', fields))
    fields.user_id = 'u2'
    fields.meta.step = 2
    fields.meta.list.push(3)
    await log.flush()
    expect(mem.lines).toHaveLength(1)
    expect(mem.events[0]).toMatchObject({
      user_id: 'u1',
      attributes: { meta: { step: 1, list: [1, 2] } },
    })
    expect(JSON.parse(mem.lines[0]!)).toEqual(mem.events[0])
  })

  it('writes the same bytes as the builder through the whole logger', async () => {
    const lines: string[] = []
    const mem = memoryExporter()
    const log = createLogger({
      service: 'svc',
      exporters: [mem],
      hookProcess: false,
      bindings: { team: 't' },
    })
    const src: EventSource = { sanitizer: log.sanitizer, resource: log.resource }
    runWithContext({ ...TRACE, bindings: { org_id: 'o' } }, () => {
      for (let i = 0; i < 5; i++) {
        log.info('event', record(i))
        lines.push(
          serializeEvent(
            buildLogEvent(
              src,
              'info',
              { ...TRACE, bindings: { org_id: 'o' } },
              { team: 't' },
              'event',
              record(i),
              undefined,
              undefined,
            ),
          ),
        )
      }
    })
    await log.flush()
    expect(mem.lines.map(stamp)).toEqual(lines.map(stamp))
  })

  it('shrinks an oversized direct line exactly like a built one', async () => {
    const mem = memoryExporter()
    const log = createLogger({
      service: 'svc',
      exporters: [mem],
      hookProcess: false,
      limits: { maxEventBytes: 2048 },
    })
    const fields = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(100)]),
    )
    log.info('big', fields)
    log.pipeline.emit(
      buildLogEvent(
        { sanitizer: log.sanitizer, resource: log.resource },
        'info',
        undefined,
        undefined,
        'big',
        fields,
        undefined,
        undefined,
      ),
    )
    await log.flush()
    expect(mem.lines).toHaveLength(2)
    expect(stamp(mem.lines[0]!)).toBe(stamp(mem.lines[1]!))
    expect(mem.events[0]?.attributes?.['threadline.truncated']).toBeDefined()
  })

  it('keeps an event whose fields throw where the builder catches it', async () => {
    const mem = memoryExporter()
    const log = createLogger({ service: 'svc', exporters: [mem], hookProcess: false })
    const fn = Object.defineProperty(function () {}, 'name', {
      get() {
        throw new Error('no name')
      },
    })
    log.info('hostile', { fn, after: 1 })
    await log.flush()
    expect(mem.events).toHaveLength(1)
    expect(mem.events[0]?.attributes?.['threadline.unreadable_fields']).toBe('no name')
  })

  it('counts a direct line like any event (emitted = delivered + dropped + queued)', async () => {
    const mem = memoryExporter()
    const log = createLogger({ service: 'svc', exporters: [mem], hookProcess: false })
    for (let i = 0; i < 10; i++) log.info('x', { i })
    await log.shutdown()
    log.info('after shutdown', { i: 11 })
    const st = log.stats()
    expect(st.emitted).toBe(11)
    expect(st.exporters[0]?.delivered).toBe(10)
    expect(st.dropped['shutdown']).toBe(1)
  })
})

describe('span lines written directly', () => {
  const stampId = (line: string): string => line.replace(/^\{"id":"[^"]+"/, '{"id":"ID"')

  function record(over: Partial<SpanRecord> = {}): SpanRecord {
    return {
      name: 'GET /users/:id',
      kind: 'server',
      status: 'ok',
      level: undefined,
      startWall: Date.UTC(2026, 11, 3, 9, 0, 0, 123),
      durationMs: 4.321,
      context: { ...TRACE, trace_flags: '01' },
      parent_span_id: undefined,
      fields: [],
      attributes: undefined,
      error: undefined,
      ...over,
    }
  }

  function compare(
    src: EventSource,
    r: SpanRecord,
    bindings?: Record<string, unknown>,
  ): string | undefined {
    const direct = spanLine(src, r, bindings)
    const built = serializeEvent(buildSpanEvent(src, r, bindings))
    if (direct !== undefined) expect(stampId(direct)).toBe(stampId(built))
    return direct
  }

  const httpFields = (): EventInput[] => [
    { category: 'http', event: 'request', request_id: 'req-1' },
    {
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/42',
        outcome: 'completed',
        status_code: 200,
        request_bytes: 0,
        response_bytes: 57,
        client_address: '127.0.0.1',
        user_agent: 'curl/8.5.0',
      },
      level: 'info',
    },
  ]

  const CASES: [string, Partial<SpanRecord>][] = [
    ['the HTTP completion event', { fields: httpFields() }],
    [
      'with a query and headers',
      {
        fields: httpFields(),
        attributes: {
          'url.query': { q: 'x', token: 't' },
          'http.request.header.x-api-key': '[REDACTED]',
        },
      },
    ],
    [
      'a continued trace',
      {
        fields: httpFields(),
        parent_span_id: 'aaaaaaaaaaaaaaaa',
        context: { ...TRACE, trace_flags: '00', trace_state: 'k=v' },
      },
    ],
    ['no trace flags', { context: { ...TRACE } }],
    [
      'an LLM span',
      {
        kind: 'llm',
        name: 'chat gpt-4o-mini',
        fields: [
          { category: 'llm', event: 'generation' },
          {
            llm: {
              model: 'gpt-4o-mini',
              provider: 'openai',
              operation: 'chat',
              input_tokens: 12,
              output_tokens: 30,
              total_tokens: 42,
              ttft_ms: 3.5,
            },
            cost_usd: 0.00012,
          },
        ],
        attributes: {
          messages: [
            {
              role: 'user',
              content:
                'my password is hunter2 and key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD',
            },
          ],
          completion: { role: 'assistant', content: 'x'.repeat(20_000) },
          'gen_ai.usage.input_tokens': 12,
        },
      },
    ],
    [
      'invalid http and llm members',
      {
        fields: [
          {
            http: {
              method: 5,
              status_code: -1,
              outcome: 'weird',
              extra: { password: 'x' },
              nothing: null,
            },
            llm: { model: 7, input_tokens: NaN },
          },
        ],
      },
    ],
    ['http not an object', { fields: [{ http: 'GET /', llm: null }] }],
    ['levels', { status: 'error', fields: [{ level: 'loud' }, { level: 'warn' }] }],
    ['a cancelled span', { status: 'cancelled' }],
    ['an explicit level', { level: 'debug' }],
    [
      'wire strings of every type',
      {
        fields: [{ user_id: 42, org_id: { id: 1 }, session_id: 'x'.repeat(2000), action: 'read' }],
      },
    ],
    ['cost not a valid number', { fields: [{ cost_usd: -1 }] }],
    ['undefined attributes', { attributes: { a: undefined, b: 1, c: undefined } }],
    ['unicode names', { name: 'GET /caf\u00e9/\u2028', kind: 'client' }],
    ['a non-finite duration', { durationMs: NaN }],
    [
      'http and llm set twice (merged in place)',
      {
        fields: [
          { http: { method: 'GET', route: '/a' }, llm: { operation: 'chat', provider: 'p' } },
          {
            http: { status_code: 200, method: 'POST', bad: 1 },
            llm: { model: 'm', provider: 'q' },
          },
        ],
      },
    ],
  ]

  it.each(CASES)('give the builder’s bytes: %s', (_name, over) => {
    for (const [, opts, env] of OPTIONS) {
      const src = source(opts, env)
      compare(src, record(over))
    }
    expect(compare(source(), record(over))).toBeDefined()
  })

  it.each(nasty())('give the builder’s bytes for nasty attributes and fields: %s', (_n, value) => {
    for (const [, opts, env] of OPTIONS) {
      const src = source(opts, env)
      compare(src, record({ attributes: value }))
      compare(src, record({ fields: [value] }))
    }
  })

  it('decline what only the builder handles', () => {
    const src = source()
    const declines: Partial<SpanRecord>[] = [
      { error: new Error('x') },
      { context: { ...TRACE, bindings: { user_id: 'u' } } },
      { fields: [{ request_id: 'a' }, { request_id: 'b' }] },
      { fields: [{ duration_ms: 5 }] },
      { fields: [{ name: 'other' }] },
      { fields: [{ status: 'error' }] },
      { fields: [{ parent_span_id: 'bbbbbbbbbbbbbbbb' }] },
      { fields: [{ message: 'm' }] },
      { fields: [{ error: 'e' }] },
      { fields: [{ tags: ['t'] }] },
      { fields: [{ service: 's' }] },
      { fields: [{ a: 1 }], attributes: { a: 2 } },
      { context: { ...TRACE, content_mode: 'off' } },
    ]
    for (const over of declines) expect(compare(src, record(over))).toBeUndefined()
    expect(compare(src, record(), { org_id: 'o' })).toBeUndefined()
    expect(
      compare(source({ redact: { paths: ['http.user_agent'] } }), record({ fields: httpFields() })),
    ).toBeUndefined()
  })

  it('carry the HTTP completion event through a logger with the same bytes', async () => {
    const mem = memoryExporter()
    const log = createLogger({ service: 'svc', exporters: [mem], hookProcess: false })
    const span = log.startSpan('GET /users/42', { kind: 'server', fields: httpFields()[0]! })
    span.updateName('GET /users/:id')
    span.setAttributes({ 'url.query': { q: 'x' } })
    span.end(httpFields()[1])
    await log.flush()
    const line = mem.lines[0]!
    const e = JSON.parse(line) as Record<string, unknown>
    expect(e).toMatchObject({
      kind: 'span',
      name: 'GET /users/:id',
      span_kind: 'server',
      request_id: 'req-1',
    })
    expect(mem.events[0]).toEqual(e)
  })
})
