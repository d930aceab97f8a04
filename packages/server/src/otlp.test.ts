import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { context, SeverityNumber, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { errorFingerprint } from '@threadline/core'
import type { ThreadlineEvent } from '@threadline/core'
import { describe, expect, it } from 'vitest'
import { OtlpFormatError, otlpLogsToEvents, otlpTracesToEvents, partialSuccess } from './otlp.js'
import type { OtlpAnyValue, OtlpKeyValue, OtlpLogRecord, OtlpSpan } from './otlp-types.js'

const TRACE = '5b8efff798038103d269b633813fc60c'
const SPAN = 'eee19b7ec3c1b174'
const PARENT = 'eee19b7ec3c1b173'
const T0 = 1_700_000_000_000 // ms
const T0_NS = `${T0}000000`
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const SECRET = 'sk-live-abcdefghijklmnopqrstuvwx'
// the exporter's CompressionAlgorithm enum, whose package is not a direct dependency
type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>
const GZIP = 'gzip' as NonNullable<ExporterConfig['compression']>

const kv = (key: string, value: OtlpAnyValue): OtlpKeyValue => ({ key, value })
const str = (key: string, v: string): OtlpKeyValue => kv(key, { stringValue: v })
const int = (key: string, v: number | string): OtlpKeyValue => kv(key, { intValue: v })

/** A valid span; `over` may set any field to anything, wrong types included. */
function span(over: Record<string, unknown> = {}): OtlpSpan {
  return {
    traceId: TRACE,
    spanId: SPAN,
    name: 'work',
    kind: 1,
    startTimeUnixNano: T0_NS,
    endTimeUnixNano: `${T0 + 250}000000`,
    ...over,
  } as OtlpSpan
}

function traces(spans: unknown[], resource: OtlpKeyValue[] = [str('service.name', 'api')]) {
  return {
    resourceSpans: [
      { resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'lib' }, spans }] },
    ],
  }
}

function logs(records: unknown[], resource: OtlpKeyValue[] = [str('service.name', 'api')]) {
  return {
    resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ logRecords: records }] }],
  }
}

function one(body: unknown): ThreadlineEvent {
  const r = otlpTracesToEvents(body)
  expect(r.errors).toEqual([])
  expect(r.events).toHaveLength(1)
  return r.events[0]!
}

function oneLog(record: OtlpLogRecord | Record<string, unknown>, now?: Date): ThreadlineEvent {
  const r = otlpLogsToEvents(logs([record]), now ? { now } : {})
  expect(r.errors).toEqual([])
  expect(r.events).toHaveLength(1)
  return r.events[0]!
}

describe('body shape', () => {
  it('throws OtlpFormatError for a body that is not an object', () => {
    for (const body of [null, undefined, [], 'x', 42, true]) {
      expect(() => otlpTracesToEvents(body)).toThrow(OtlpFormatError)
      expect(() => otlpLogsToEvents(body)).toThrow(OtlpFormatError)
    }
  })

  it('names the bad container in the message', () => {
    expect(() => otlpTracesToEvents({ resourceSpans: {} })).toThrow(
      'resourceSpans: expected an array',
    )
    expect(() =>
      otlpTracesToEvents({ resourceSpans: [{ scopeSpans: [{ spans: [] }, 7] }] }),
    ).toThrow('resourceSpans[0].scopeSpans[1]: expected a JSON object')
    expect(() =>
      otlpLogsToEvents({ resourceLogs: [{ scopeLogs: [{ logRecords: 'no' }] }] }),
    ).toThrow('resourceLogs[0].scopeLogs[0].logRecords: expected an array')
    try {
      otlpTracesToEvents({ resourceSpans: 1 })
    } catch (err) {
      expect(err).toBeInstanceOf(OtlpFormatError)
      expect((err as OtlpFormatError).path).toBe('resourceSpans')
      expect((err as OtlpFormatError).name).toBe('OtlpFormatError')
    }
  })

  it('accepts empty requests and null containers', () => {
    expect(otlpTracesToEvents({})).toEqual({ events: [], rejected: 0, errors: [] })
    expect(otlpTracesToEvents({ resourceSpans: null })).toEqual({
      events: [],
      rejected: 0,
      errors: [],
    })
    expect(otlpLogsToEvents({ resourceLogs: [{ scopeLogs: [{}] }] }).events).toEqual([])
  })
})

describe('span ids and partial success', () => {
  it('rejects bad ids and keeps the good neighbours', () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [str('service.name', 'api')] },
          scopeSpans: [
            { spans: [span({ spanId: '0000000000000001' })] },
            {
              spans: [
                span({ spanId: '0000000000000002' }),
                span({ traceId: '0'.repeat(32) }),
                span({ spanId: 'xyz' }),
                span({ traceId: 'abc' }),
                span({ traceId: TRACE.toUpperCase(), spanId: SPAN.toUpperCase() }),
                span({ spanId: undefined }),
                span({ parentSpanId: '123' }),
              ],
            },
          ],
        },
      ],
    }
    const r = otlpTracesToEvents(body)
    expect(r.events.map((e) => e.span_id)).toEqual(['0000000000000001', '0000000000000002', SPAN])
    expect(r.events[2]!.trace_id).toBe(TRACE)
    expect(r.rejected).toBe(5)
    expect(r.errors).toEqual([
      'resourceSpans[0].scopeSpans[1].spans[1].traceId: must not be all zeros',
      'resourceSpans[0].scopeSpans[1].spans[2].spanId: expected 16 hex characters',
      'resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex characters',
      'resourceSpans[0].scopeSpans[1].spans[5].spanId: required',
      'resourceSpans[0].scopeSpans[1].spans[6].parentSpanId: expected 16 hex characters',
    ])
    expect(partialSuccess('traces', r)).toEqual({
      partialSuccess: {
        rejectedSpans: 5,
        errorMessage: expect.stringMatching(/^5 spans rejected: resourceSpans\[0\]/),
      },
    })
  })

  it('links parents, omits empty and all-zero parents', () => {
    expect(one(traces([span({ parentSpanId: PARENT.toUpperCase() })])).parent_span_id).toBe(PARENT)
    expect(one(traces([span({ parentSpanId: '' })]))).not.toHaveProperty('parent_span_id')
    expect(one(traces([span({ parentSpanId: '0'.repeat(16) })]))).not.toHaveProperty(
      'parent_span_id',
    )
  })

  it('accepts base64 ids from the generic protobuf JSON mapping', () => {
    const e = one(
      traces([
        span({
          traceId: Buffer.from(TRACE, 'hex').toString('base64'),
          spanId: Buffer.from(SPAN, 'hex').toString('base64'),
        }),
      ]),
    )
    expect([e.trace_id, e.span_id]).toEqual([TRACE, SPAN])
  })

  it('rejects records that are not objects or hold malformed values, never throws', () => {
    const deep: OtlpAnyValue = { stringValue: 'bottom' }
    let v: OtlpAnyValue = deep
    for (let i = 0; i < 200; i++) v = { kvlistValue: { values: [{ key: 'k', value: v }] } }
    const r = otlpTracesToEvents(
      traces([
        null,
        42,
        span({ attributes: {} }),
        span({ attributes: [{ value: { stringValue: 'no key' } }] }),
        span({ attributes: [int('n', 'ten')] }),
        span({ attributes: [kv('b', { boolValue: 'yes' } as unknown as OtlpAnyValue)] }),
        span({ attributes: [kv('x', 'plain' as unknown as OtlpAnyValue)] }),
        span({ name: 42 }),
        span({ events: [null] }),
        span({ status: 'bad' }),
        span({ attributes: [kv('deep', v)] }),
      ]),
    )
    expect(r.rejected).toBe(10)
    expect(r.events).toHaveLength(1)
    expect(JSON.stringify(r.events[0]!.attributes)).toContain('[Truncated: depth]')
    expect(r.errors[0]).toBe('resourceSpans[0].scopeSpans[0].spans[0]: expected a span object')
    expect(r.errors[4]).toBe(
      'resourceSpans[0].scopeSpans[0].spans[4].attributes[0].value.intValue: expected an integer or a decimal string',
    )
  })

  it('caps the error list and the records per request', () => {
    const bad = Array.from({ length: 15 }, () => span({ traceId: 'bad' }))
    const r = otlpTracesToEvents(traces(bad))
    expect(r.rejected).toBe(15)
    expect(r.errors).toHaveLength(10)

    const many = Array.from({ length: 5 }, (_, i) => span({ spanId: `000000000000000${i + 1}` }))
    const capped = otlpTracesToEvents(
      { resourceSpans: [traces(many).resourceSpans[0], traces(many).resourceSpans[0]] },
      { maxRecords: 3 },
    )
    expect(capped.events).toHaveLength(3)
    expect(capped.rejected).toBe(7)
    expect(capped.errors).toEqual(['too many records in one request (limit 3)'])
  })

  it('rejects everything under a resource whose attributes are malformed', () => {
    const body = {
      resourceSpans: [
        { resource: { attributes: 'nope' }, scopeSpans: [{ spans: [span(), span()] }] },
        traces([span()]).resourceSpans[0],
      ],
    }
    const r = otlpTracesToEvents(body)
    expect(r.events).toHaveLength(1)
    expect(r.rejected).toBe(2)
    expect(r.errors).toEqual(['resourceSpans[0].resource.attributes: expected an array'])
  })
})

describe('partialSuccess', () => {
  it('is empty when nothing was rejected', () => {
    expect(partialSuccess('traces', { rejected: 0, errors: [] })).toEqual({})
    expect(partialSuccess('logs', { rejected: 0, errors: [] })).toEqual({})
  })

  it('uses the OTLP JSON field names', () => {
    expect(partialSuccess('traces', { rejected: 1, errors: ['a: b'] })).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: '1 span rejected: a: b' },
    })
    expect(partialSuccess('logs', { rejected: 3, errors: ['x', 'y'] })).toEqual({
      partialSuccess: { rejectedLogRecords: 3, errorMessage: '3 log records rejected: x; y' },
    })
  })
})

describe('span fields', () => {
  it('maps times given as strings or numbers', () => {
    // strings keep nanosecond precision
    const a = one(traces([span({ startTimeUnixNano: T0_NS, endTimeUnixNano: `${T0}250500` })]))
    expect(a.timestamp).toBe(new Date(T0).toISOString())
    expect(a.timestamp).toMatch(/\.000Z$/)
    expect(a.duration_ms).toBe(0.2505)
    // numbers are JSON doubles: exact to a few hundred nanoseconds at today's epoch
    const b = one(
      traces([span({ startTimeUnixNano: T0 * 1e6, endTimeUnixNano: T0 * 1e6 + 250_000_000 })]),
    )
    expect(b.timestamp).toBe(a.timestamp)
    expect(b.duration_ms).toBeCloseTo(250, 3)
    expect(b.id).toBe(a.id)
  })

  it('rejects missing, malformed and inverted times', () => {
    const r = otlpTracesToEvents(
      traces([
        span({ startTimeUnixNano: undefined }),
        span({ startTimeUnixNano: '12a' }),
        span({ startTimeUnixNano: -1 }),
        span({ endTimeUnixNano: 1.5 }),
        span({ endTimeUnixNano: '0' }),
        span({ endTimeUnixNano: `${T0 - 1}000000` }),
        span({ startTimeUnixNano: '99999999999999999999999' }),
      ]),
    )
    expect(r.events).toEqual([])
    expect(r.rejected).toBe(7)
    expect(r.errors[5]).toBe(
      'resourceSpans[0].scopeSpans[0].spans[5].endTimeUnixNano: before startTimeUnixNano',
    )
  })

  it('maps the basic fields and a deterministic UUIDv7-shaped id', () => {
    const e = one(traces([span({ name: 'load', parentSpanId: PARENT, flags: 0x101 })]))
    expect(e).toMatchObject({
      kind: 'span',
      name: 'load',
      message: 'load',
      service: 'api',
      trace_id: TRACE,
      span_id: SPAN,
      parent_span_id: PARENT,
      trace_flags: '01',
      span_kind: 'internal',
      status: 'ok',
      level: 'info',
      category: 'otel',
      event: 'span',
      duration_ms: 250,
    })
    expect(e.id).toMatch(UUID7)
    expect(e.id.replace(/-/g, '').slice(0, 12)).toBe(T0.toString(16).padStart(12, '0'))
    expect(e.attributes).toEqual({ 'otel.scope.name': 'lib' })
    const other = one(traces([span({ spanId: PARENT })]))
    expect(other.id).not.toBe(e.id)
  })

  it('reads enums as numbers or names', () => {
    const kinds: [unknown, string][] = [
      [2, 'server'],
      ['SPAN_KIND_SERVER', 'server'],
      [3, 'client'],
      ['SPAN_KIND_CLIENT', 'client'],
      ['SPAN_KIND_INTERNAL', 'internal'],
      [0, 'internal'],
      [undefined, 'internal'],
      ['SPAN_KIND_WHATEVER', 'internal'],
    ]
    for (const [kind, expected] of kinds)
      expect(one(traces([span({ kind })])).span_kind).toBe(expected)

    const producer = one(traces([span({ kind: 'SPAN_KIND_PRODUCER' })]))
    expect(producer.span_kind).toBe('internal')
    expect(producer.attributes).toMatchObject({ 'otel.span_kind': 'producer' })
    expect(one(traces([span({ kind: 5 })])).attributes).toMatchObject({
      'otel.span_kind': 'consumer',
    })

    for (const code of [2, 'STATUS_CODE_ERROR']) {
      const e = one(traces([span({ status: { code, message: 'boom 42' } })]))
      expect(e).toMatchObject({ status: 'error', level: 'error' })
      expect(e.error).toMatchObject({ type: 'Error', message: 'boom 42' })
    }
    for (const code of [0, 1, 'STATUS_CODE_OK', 'STATUS_CODE_UNSET']) {
      const e = one(traces([span({ status: { code, message: 'fine' } })]))
      expect(e).toMatchObject({ status: 'ok', level: 'info' })
      expect(e.attributes).toMatchObject({ 'otel.status_description': 'fine' })
    }
  })

  it('flattens every AnyValue kind', () => {
    const e = one(
      traces([
        span({
          attributes: [
            str('s', 'text'),
            kv('b', { boolValue: false }),
            int('i_num', 7),
            int('i_str', '-12'),
            int('i_big', '9223372036854775807'),
            kv('d', { doubleValue: 1.5 }),
            kv('d_str', { doubleValue: '2.25' }),
            kv('d_nan', { doubleValue: 'NaN' }),
            kv('bytes', { bytesValue: 'aGVsbG8=' }),
            kv('arr', { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }, {}] } }),
            kv('empty_arr', { arrayValue: {} }),
            kv('kv', {
              kvlistValue: {
                values: [
                  str('x', 'y'),
                  kv('nested', { kvlistValue: { values: [kv('z', { boolValue: true })] } }),
                ],
              },
            }),
            kv('none', {}),
            { key: 'missing' },
          ],
        }),
      ]),
    )
    expect(e.attributes).toEqual({
      s: 'text',
      b: false,
      i_num: 7,
      i_str: -12,
      i_big: '9223372036854775807',
      d: 1.5,
      d_str: 2.25,
      d_nan: 'NaN',
      bytes: 'aGVsbG8=',
      arr: ['a', 2, null],
      empty_arr: [],
      kv: { x: 'y', nested: { z: true } },
      none: null,
      missing: null,
      'otel.scope.name': 'lib',
    })
  })

  it('maps the resource', () => {
    const e = one(
      traces(
        [span()],
        [
          str('service.name', 'shop'),
          str('service.version', '1.2.3'),
          str('deployment.environment', 'old'),
          str('deployment.environment.name', 'prod'),
          str('host.name', 'h1'),
          str('tenant.id', 'org-r'),
        ],
      ),
    )
    expect(e).toMatchObject({
      service: 'shop',
      service_version: '1.2.3',
      environment: 'prod',
      org_id: 'org-r',
    })
    expect(e.attributes).toEqual({
      'otel.scope.name': 'lib',
      'resource.host.name': 'h1',
      'resource.tenant.id': 'org-r',
    })
    const bare = one({ resourceSpans: [{ scopeSpans: [{ spans: [span()] }] }] })
    expect(bare.service).toBe('unknown_service')
    expect(bare).not.toHaveProperty('environment')
    expect(bare).not.toHaveProperty('attributes')
    expect(one(traces([span()], [str('deployment.environment', 'stage')])).environment).toBe(
      'stage',
    )
  })

  it('maps HTTP server spans (stable semconv)', () => {
    const e = one(
      traces([
        span({
          kind: 'SPAN_KIND_SERVER',
          name: 'GET /users/:id',
          attributes: [
            str('http.request.method', 'GET'),
            str('http.route', '/users/:id'),
            str('url.path', '/users/7'),
            int('http.response.status_code', '404'),
            str('client.address', '10.0.0.1'),
            str('user_agent.original', 'curl/8'),
            str('url.scheme', 'https'),
          ],
        }),
      ]),
    )
    expect(e).toMatchObject({ category: 'http', event: 'request', span_kind: 'server' })
    expect(e.http).toEqual({
      method: 'GET',
      route: '/users/:id',
      path: '/users/7',
      status_code: 404,
      outcome: 'completed',
      client_address: '10.0.0.1',
      user_agent: 'curl/8',
    })
    expect(e.attributes).toEqual({ 'url.scheme': 'https', 'otel.scope.name': 'lib' })
  })

  it('maps old HTTP attribute names and client spans', () => {
    const old = one(
      traces([
        span({
          kind: 2,
          attributes: [
            str('http.method', 'POST'),
            int('http.status_code', 500),
            str('http.target', '/pay?card=1#x'),
          ],
          status: { code: 2 },
        }),
      ]),
    )
    expect(old.http).toEqual({
      method: 'POST',
      path: '/pay',
      status_code: 500,
      outcome: 'completed',
    })
    expect(old).toMatchObject({ level: 'error', status: 'error', category: 'http' })
    expect(old).not.toHaveProperty('error')

    const client = one(
      traces([
        span({
          kind: 3,
          attributes: [
            str('http.request.method', 'GET'),
            str('url.full', 'https://x.test/a/b?q=1'),
          ],
        }),
      ]),
    )
    expect(client).toMatchObject({ category: 'http', event: 'client_request', span_kind: 'client' })
    expect(client.http).toEqual({ method: 'GET', path: '/a/b' })
    expect(client.attributes).toMatchObject({ 'url.full': 'https://x.test/a/b?q=1' })

    const internal = one(traces([span({ kind: 1, attributes: [str('http.method', 'GET')] })]))
    expect(internal).toMatchObject({ category: 'otel', event: 'span', http: { method: 'GET' } })
  })

  it('maps gen_ai spans to llm', () => {
    const e = one(
      traces([
        span({
          kind: 3,
          name: 'chat gpt-4o',
          attributes: [
            str('gen_ai.operation.name', 'chat'),
            str('gen_ai.provider.name', 'openai'),
            str('gen_ai.request.model', 'gpt-4o'),
            str('gen_ai.response.model', 'gpt-4o-2024-08-06'),
            int('gen_ai.usage.input_tokens', 1000),
            int('gen_ai.usage.output_tokens', '500'),
            int('gen_ai.usage.cache_read.input_tokens', 200),
            kv('gen_ai.request.temperature', { doubleValue: 0.2 }),
          ],
        }),
      ]),
    )
    expect(e).toMatchObject({ span_kind: 'llm', category: 'llm', event: 'generation' })
    expect(e.llm).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      operation: 'chat',
      input_tokens: 1000,
      output_tokens: 500,
      total_tokens: 1500,
      cache_read_tokens: 200,
      usage_source: 'reported',
    })
    expect(e.cost_usd).toBeGreaterThan(0)
    expect(e.attributes).toEqual({
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.request.temperature': 0.2,
      'otel.scope.name': 'lib',
    })

    const old = one(
      traces([
        span({
          attributes: [
            str('gen_ai.system', 'anthropic'),
            str('gen_ai.response.model', 'claude-x'),
            int('gen_ai.usage.prompt_tokens', 10),
            int('gen_ai.usage.completion_tokens', 5),
            int('gen_ai.usage.total_tokens', 16),
          ],
        }),
      ]),
    )
    expect(old.llm).toEqual({
      provider: 'anthropic',
      model: 'claude-x',
      input_tokens: 10,
      output_tokens: 5,
      total_tokens: 16,
      usage_source: 'reported',
    })
    expect(old.span_kind).toBe('llm')

    // a model alone, without an operation or usage, is not an llm span
    const plain = one(traces([span({ attributes: [str('gen_ai.request.model', 'm')] })]))
    expect(plain).toMatchObject({ span_kind: 'internal', category: 'otel' })
    expect(plain).not.toHaveProperty('llm')
  })

  it('lets threadline.category / threadline.event override, maps identity', () => {
    const e = one(
      traces([
        span({
          kind: 2,
          attributes: [
            str('http.request.method', 'GET'),
            str('threadline.category', 'kb'),
            str('threadline.event', 'search'),
            str('enduser.id', 'u-1'),
            str('session.id', 's-1'),
            str('threadline.org_id', 'org-1'),
            str('tenant.id', 'org-2'),
          ],
        }),
      ]),
    )
    expect(e).toMatchObject({
      category: 'kb',
      event: 'search',
      user_id: 'u-1',
      session_id: 's-1',
      org_id: 'org-1',
    })
    expect(e.attributes).toEqual({ 'otel.scope.name': 'lib' })
    expect(
      one(traces([span({ attributes: [str('user.id', 'u-2'), str('tenant.id', 't')] })])),
    ).toMatchObject({ user_id: 'u-2', org_id: 't' })
  })

  it('turns the exception event into error and keeps other events', () => {
    const stack = 'TypeError: bad thing 42\n    at run (/app/src/job.ts:10:5)'
    const e = one(
      traces([
        span({
          status: { code: 'STATUS_CODE_ERROR', message: 'failed' },
          events: [
            { name: 'retry', timeUnixNano: `${T0 + 5}000000`, attributes: [int('attempt', 2)] },
            {
              name: 'exception',
              timeUnixNano: `${T0 + 9}000000`,
              attributes: [
                str('exception.type', 'TypeError'),
                str('exception.message', 'bad thing 42'),
                str('exception.stacktrace', stack),
                kv('exception.escaped', { boolValue: true }),
              ],
            },
          ],
        }),
      ]),
    )
    expect(e.error).toEqual({
      type: 'TypeError',
      message: 'bad thing 42',
      stack,
      fingerprint: errorFingerprint('TypeError', 'bad thing 42', stack),
    })
    expect(e.level).toBe('error')
    expect(e.attributes).toMatchObject({
      'otel.events': [
        { name: 'retry', time: new Date(T0 + 5).toISOString(), attributes: { attempt: 2 } },
      ],
      'otel.status_description': 'failed',
    })
  })

  it('caps kept span events and keeps valid links', () => {
    const events = Array.from({ length: 40 }, (_, i) => ({ name: `e${i}` }))
    const e = one(
      traces([
        span({
          events,
          links: [
            { traceId: TRACE, spanId: PARENT, attributes: [] },
            { traceId: 'bad', spanId: PARENT },
          ],
        }),
      ]),
    )
    expect(e.attributes!['otel.events']).toHaveLength(32)
    expect(e.attributes!['otel.events_truncated']).toBe(true)
    expect(e.attributes!['otel.links']).toEqual([{ trace_id: TRACE, span_id: PARENT }])
    expect(one(traces([span({ events: events.slice(0, 32) })])).attributes).not.toHaveProperty(
      'otel.events_truncated',
    )
  })

  it('redacts secrets in attributes, names and errors', () => {
    const e = one(
      traces([
        span({
          name: `call ${SECRET}`,
          attributes: [str('api_key', 'plain-value'), str('note', `key=${SECRET}`)],
          events: [
            {
              name: 'exception',
              attributes: [str('exception.type', 'E'), str('exception.message', `bad ${SECRET}`)],
            },
          ],
        }),
      ]),
    )
    const json = JSON.stringify(e)
    expect(json).not.toContain(SECRET)
    expect(json).not.toContain('plain-value')
    expect(e.attributes!['api_key']).toBe('[REDACTED]')
  })
})

describe('log records', () => {
  it('maps severity numbers, names and text', () => {
    const cases: [Partial<OtlpLogRecord> | Record<string, unknown>, string][] = [
      [{ severityNumber: 1 }, 'trace'],
      [{ severityNumber: 4 }, 'trace'],
      [{ severityNumber: 5 }, 'debug'],
      [{ severityNumber: 9 }, 'info'],
      [{ severityNumber: 12 }, 'info'],
      [{ severityNumber: 13 }, 'warn'],
      [{ severityNumber: 17 }, 'error'],
      [{ severityNumber: 20 }, 'error'],
      [{ severityNumber: 21 }, 'fatal'],
      [{ severityNumber: 24 }, 'fatal'],
      [{ severityNumber: 'SEVERITY_NUMBER_WARN3' }, 'warn'],
      [{ severityNumber: 'SEVERITY_NUMBER_FATAL' }, 'fatal'],
      [{ severityNumber: 0, severityText: 'WARNING' }, 'warn'],
      [{ severityNumber: 99, severityText: 'critical' }, 'fatal'],
      [{ severityText: 'Error' }, 'error'],
      [{ severityText: 'loud' }, 'info'],
      [{}, 'info'],
      [{ attributes: [str('exception.type', 'E')] }, 'error'],
    ]
    for (const [rec, level] of cases)
      expect(oneLog({ timeUnixNano: T0_NS, body: { stringValue: 'm' }, ...rec }).level).toBe(level)
  })

  it('takes time, then observed time, then now', () => {
    const now = new Date(T0 + 60_000)
    expect(
      oneLog({ timeUnixNano: T0 * 1e6, observedTimeUnixNano: `${T0 + 1}000000` }).timestamp,
    ).toBe(new Date(T0).toISOString())
    expect(oneLog({ timeUnixNano: '0', observedTimeUnixNano: `${T0 + 1}000000` }).timestamp).toBe(
      new Date(T0 + 1).toISOString(),
    )
    expect(oneLog({}, now).timestamp).toBe(now.toISOString())
    const r = otlpLogsToEvents(logs([{ timeUnixNano: 'soon' }]))
    expect(r.rejected).toBe(1)
    expect(r.errors).toEqual([
      'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: expected nanoseconds since the epoch (decimal string or integer)',
    ])
  })

  it('maps the body to the message', () => {
    expect(oneLog({ body: { stringValue: 'hello' } }).message).toBe('hello')
    expect(oneLog({ body: { intValue: '3' } }).message).toBe('3')
    expect(
      oneLog({ body: { kvlistValue: { values: [str('a', 'b'), int('n', 1)] } } }).message,
    ).toBe('{"a":"b","n":1}')
    expect(oneLog({ body: { arrayValue: { values: [{ boolValue: true }] } } }).message).toBe(
      '[true]',
    )
    expect(oneLog({ body: {} }).message).toBe('')
    expect(oneLog({ eventName: 'user.login' }).message).toBe('user.login')
  })

  it('keeps valid trace context, drops invalid ids without rejecting', () => {
    const ok = oneLog({ traceId: TRACE.toUpperCase(), spanId: SPAN, flags: 1 })
    expect(ok).toMatchObject({ trace_id: TRACE, span_id: SPAN, trace_flags: '01' })
    for (const bad of [
      { traceId: 'abc', spanId: SPAN },
      { traceId: '0'.repeat(32), spanId: SPAN },
      { traceId: '', spanId: '' },
      { traceId: 5 },
    ]) {
      const e = oneLog(bad)
      expect(e).not.toHaveProperty('trace_id')
      expect(e).not.toHaveProperty('span_id')
    }
    const noSpan = oneLog({ traceId: TRACE, spanId: '0'.repeat(16) })
    expect(noSpan.trace_id).toBe(TRACE)
    expect(noSpan).not.toHaveProperty('span_id')
  })

  it('maps event names, exceptions, identity and category', () => {
    const stack = 'Error: nope\n    at f (/app/a.ts:1:1)'
    const e = oneLog({
      timeUnixNano: T0_NS,
      severityNumber: 17,
      eventName: 'ignored.when.attribute.present',
      attributes: [
        str('event.name', 'payment.failed'),
        str('exception.type', 'PaymentError'),
        str('exception.message', 'card declined'),
        str('exception.stacktrace', stack),
        str('user.id', 'u-9'),
        str('session.id', 's-9'),
        str('tenant.id', 'org-9'),
        int('amount', 12),
      ],
    })
    expect(e).toMatchObject({
      kind: 'log',
      level: 'error',
      category: 'otel',
      event: 'payment.failed',
      message: 'card declined',
      user_id: 'u-9',
      session_id: 's-9',
      org_id: 'org-9',
      error: {
        type: 'PaymentError',
        message: 'card declined',
        stack,
        fingerprint: errorFingerprint('PaymentError', 'card declined', stack),
      },
    })
    expect(e.attributes).toEqual({ amount: 12 })
    expect(oneLog({ eventName: 'user.login' }).event).toBe('user.login')
    expect(oneLog({}).event).toBe('log')

    const overridden = oneLog({
      eventName: 'otel.name',
      attributes: [str('threadline.category', 'auth'), str('threadline.event', 'login')],
    })
    expect(overridden).toMatchObject({ category: 'auth', event: 'login' })
    expect(overridden.attributes).toEqual({ 'event.name': 'otel.name' })
  })

  it('gives deterministic ids that change with the content', () => {
    const rec = {
      timeUnixNano: T0_NS,
      severityNumber: 9,
      body: { stringValue: 'x' },
      attributes: [str('a', '1')],
    }
    const a = oneLog(rec)
    expect(a.id).toMatch(UUID7)
    expect(oneLog(structuredClone(rec)).id).toBe(a.id)
    expect(oneLog({ ...rec, body: { stringValue: 'y' } }).id).not.toBe(a.id)
    expect(oneLog({ ...rec, attributes: [str('a', '2')] }).id).not.toBe(a.id)
    expect(oneLog({ ...rec, severityNumber: 13 }).id).not.toBe(a.id)
    expect(oneLog({ ...rec, traceId: TRACE, spanId: SPAN }).id).not.toBe(a.id)
    expect(oneLog({ ...rec, timeUnixNano: `${T0}000001` }).id).not.toBe(a.id)
  })

  it('redacts secrets in bodies and attributes', () => {
    const e = oneLog({
      body: { stringValue: `using ${SECRET}` },
      attributes: [str('password', 'hunter2'), str('config', `token: ${SECRET}`)],
    })
    const json = JSON.stringify(e)
    expect(json).not.toContain(SECRET)
    expect(json).not.toContain('hunter2')
    expect(e.message).toContain('using ')
  })

  it('rejects malformed records, keeps neighbours, reports partial success', () => {
    const r = otlpLogsToEvents(
      logs([
        { body: { stringValue: 'ok' } },
        'nope',
        { body: { intValue: 1.5 } },
        { severityText: 7 },
        { attributes: [{ key: 1 }] },
        { body: { stringValue: 'ok too' } },
      ]),
    )
    expect(r.events.map((e) => e.message)).toEqual(['ok', 'ok too'])
    expect(r.rejected).toBe(4)
    expect(partialSuccess('logs', r)).toEqual({
      partialSuccess: {
        rejectedLogRecords: 4,
        errorMessage: expect.stringContaining('logRecords[1]: expected a log record object'),
      },
    })
  })
})

// ---------------------------------------------------------------------------------------------
// payloads produced by the OpenTelemetry SDK and its OTLP/HTTP JSON exporters

interface Captured {
  path: string
  encoding: string | undefined
  contentType: string | undefined
  body: unknown
}

async function collector(): Promise<{
  url: string
  bodies: Captured[]
  close: () => Promise<void>
}> {
  const bodies: Captured[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let raw = Buffer.concat(chunks)
      const encoding = req.headers['content-encoding']
      if (encoding === 'gzip') raw = gunzipSync(raw)
      bodies.push({
        path: req.url ?? '',
        encoding,
        contentType: req.headers['content-type'],
        body: JSON.parse(raw.toString('utf8')),
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe('payloads from the OpenTelemetry SDK exporters', () => {
  it('maps a server span, a failing gen_ai child span and a log in its context', async () => {
    const sink = await collector()
    const resource = resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'k8s.pod.name': 'pod-1',
    })
    const tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${sink.url}/v1/traces`, compression: GZIP }),
        }),
      ],
    })
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({
          exporter: new OTLPLogExporter({ url: `${sink.url}/v1/logs` }),
        }),
      ],
    })
    try {
      const tracer = tracerProvider.getTracer('checkout-http', '0.1.0')
      const logger = loggerProvider.getLogger('checkout-log')

      const server = tracer.startSpan('POST /v1/chat/:id', {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/v1/chat/:id',
          'url.path': '/v1/chat/42',
          'url.scheme': 'http',
          'enduser.id': 'user-7',
          'tenant.id': 'org-3',
        },
      })
      const serverCtx = trace.setSpan(context.active(), server)
      const llm = tracer.startSpan(
        'chat gpt-4o-mini',
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o-mini',
            'gen_ai.usage.input_tokens': 120,
            'gen_ai.usage.output_tokens': 30,
          },
        },
        serverCtx,
      )
      const llmCtx = trace.setSpan(serverCtx, llm)
      const failure = new RangeError('rate limited after 3 tries')
      llm.recordException(failure)
      llm.setStatus({ code: SpanStatusCode.ERROR, message: failure.message })
      logger.emit({
        context: llmCtx,
        severityNumber: SeverityNumber.WARN,
        severityText: 'WARN',
        body: 'retrying the completion',
        eventName: 'llm.retry',
        attributes: { 'config.key': `openai ${SECRET}`, attempt: 3, ratio: 0.5 },
      })
      llm.end()
      server.setAttribute('http.response.status_code', 200)
      server.end()

      await tracerProvider.forceFlush()
      await loggerProvider.forceFlush()

      const traceBodies = sink.bodies.filter((b) => b.path === '/v1/traces')
      const logBodies = sink.bodies.filter((b) => b.path === '/v1/logs')
      expect(traceBodies.length).toBeGreaterThan(0)
      expect(logBodies.length).toBeGreaterThan(0)
      expect(traceBodies[0]!.encoding).toBe('gzip')
      expect(logBodies[0]!.contentType).toBe('application/json')

      const spans = traceBodies.flatMap((b) => {
        const r = otlpTracesToEvents(b.body)
        expect(r.rejected).toBe(0)
        expect(partialSuccess('traces', r)).toEqual({})
        return r.events
      })
      const logEvents = logBodies.flatMap((b) => {
        const r = otlpLogsToEvents(b.body)
        expect(r.rejected).toBe(0)
        return r.events
      })
      expect(spans).toHaveLength(2)
      expect(logEvents).toHaveLength(1)

      const srv = spans.find((e) => e.span_kind === 'server')!
      const gen = spans.find((e) => e.span_kind === 'llm')!
      const log = logEvents[0]!
      const serverIds = server.spanContext()
      const llmIds = llm.spanContext()

      for (const e of [srv, gen, log]) {
        expect(e.id).toMatch(UUID7)
        expect(e).toMatchObject({
          service: 'checkout',
          service_version: '1.2.3',
          environment: 'test',
          trace_id: serverIds.traceId,
        })
      }
      expect(new Set([srv.id, gen.id, log.id]).size).toBe(3)

      expect(srv).toMatchObject({
        kind: 'span',
        span_id: serverIds.spanId,
        name: 'POST /v1/chat/:id',
        message: 'POST /v1/chat/:id',
        status: 'ok',
        level: 'info',
        category: 'http',
        event: 'request',
        user_id: 'user-7',
        org_id: 'org-3',
        trace_flags: '01',
        http: { method: 'POST', route: '/v1/chat/:id', path: '/v1/chat/42', status_code: 200 },
      })
      expect(srv).not.toHaveProperty('parent_span_id')
      expect(srv.duration_ms).toBeGreaterThanOrEqual(gen.duration_ms!)
      expect(srv.attributes).toMatchObject({
        'url.scheme': 'http',
        'otel.scope.name': 'checkout-http',
        'otel.scope.version': '0.1.0',
        'resource.k8s.pod.name': 'pod-1',
      })

      expect(gen).toMatchObject({
        span_id: llmIds.spanId,
        parent_span_id: serverIds.spanId,
        span_kind: 'llm',
        status: 'error',
        level: 'error',
        category: 'llm',
        event: 'generation',
        llm: {
          provider: 'openai',
          model: 'gpt-4o-mini',
          operation: 'chat',
          input_tokens: 120,
          output_tokens: 30,
          total_tokens: 150,
          usage_source: 'reported',
        },
        error: {
          type: 'RangeError',
          message: 'rate limited after 3 tries',
          fingerprint: errorFingerprint('RangeError', failure.message, failure.stack),
        },
      })
      expect(gen.error!.stack).toContain('rate limited after 3 tries')
      expect(gen.cost_usd).toBeGreaterThan(0)
      expect(Date.parse(gen.timestamp)).toBeGreaterThanOrEqual(Date.parse(srv.timestamp))

      expect(log).toMatchObject({
        kind: 'log',
        level: 'warn',
        message: 'retrying the completion',
        event: 'llm.retry',
        category: 'otel',
        span_id: llmIds.spanId,
        trace_flags: '01',
      })
      expect(log.attributes).toMatchObject({
        attempt: 3,
        ratio: 0.5,
        'otel.scope.name': 'checkout-log',
      })
      expect(log.attributes!['config.key']).toContain('openai ')
      expect(JSON.stringify([...spans, ...logEvents])).not.toContain(SECRET)

      // a retried batch maps to the same ids (the store dedupes on them)
      const again = otlpTracesToEvents(traceBodies[0]!.body).events.map((e) => e.id)
      expect(again.every((id) => [srv.id, gen.id].includes(id))).toBe(true)
      expect(otlpLogsToEvents(logBodies[0]!.body).events[0]!.id).toBe(log.id)
    } finally {
      await tracerProvider.shutdown()
      await loggerProvider.shutdown()
      await sink.close()
    }
  })
})
