import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsImport from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { normalizeEvent } from './normalize.js'
import { createSanitizer } from './sanitize.js'
import type { ThreadlineEvent } from './types.js'

const schema = JSON.parse(readFileSync(new URL('../schema/event.v1.json', import.meta.url), 'utf8'))
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false })
const addFormats = addFormatsImport as unknown as (a: Ajv2020) => void
addFormats(ajv)
const validate = ajv.compile(schema)
const sanitizer = createSanitizer()
const norm = (input: unknown): ThreadlineEvent =>
  normalizeEvent(input, { sanitizer, resource: { service: 'svc' } })

function expectValid(e: ThreadlineEvent): void {
  const ok = validate(JSON.parse(JSON.stringify(e)))
  expect(validate.errors ?? [], JSON.stringify(e)).toEqual([])
  expect(ok).toBe(true)
}

class Weird {
  toJSON(): never {
    throw new Error('nope')
  }
}

const INPUTS: [string, unknown][] = [
  ['empty object', {}],
  ['a string', 'just a message'],
  ['a number', 42],
  ['null', null],
  ['undefined', undefined],
  ['an array', [1, 2, 3]],
  ['an Error', new TypeError('bad thing')],
  ['critical level', { level: 'critical', message: 'down' }],
  ['uppercase WARNING', { level: 'WARNING', msg: 'careful' }],
  ['pino numeric level', { level: 50, msg: 'err' }],
  ['unknown level', { level: 'loud', message: 'x' }],
  [
    'full valid event',
    {
      id: '0190a8f2-7c2e-7000-8000-000000000001',
      kind: 'log',
      timestamp: '2026-01-02T03:04:05.006Z',
      level: 'info',
      message: 'hi',
      service: 'api',
      environment: 'prod',
      service_version: '1.2.3',
      category: 'http',
      event: 'request',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      parent_span_id: '00f067aa0ba902b8',
      trace_flags: '01',
      request_id: 'r-1',
      org_id: 'acme',
      user_id: 'u-1',
      session_id: 's-1',
      resource_type: 'doc',
      resource_id: 'd-1',
      action: 'read',
      duration_ms: 12.5,
      cost_usd: 0.002,
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/1',
        status_code: 200,
        outcome: 'completed',
      },
      llm: { provider: 'openai', model: 'gpt-4o', input_tokens: 10, output_tokens: 5 },
      attributes: { 'http.route': '/users/:id' },
      tags: ['a', 'b'],
    },
  ],
  [
    'wrong types everywhere',
    {
      trace_id: 'XYZ',
      span_id: 12,
      duration_ms: -1,
      cost_usd: 'free',
      http: 'GET /',
      llm: { input_tokens: '10', model: 3 },
      tags: 'one',
      status: 'weird',
      span_kind: 'banana',
      kind: 'metric',
      timestamp: 'yesterday',
      id: '',
    },
  ],
  ['uppercase trace id', { trace_id: '4BF92F3577B34DA6A3CE929D0E0E4736' }],
  ['all-zero trace id', { trace_id: '00000000000000000000000000000000' }],
  ['err as string', { err: 'it broke' }],
  ['error as object', { error: { type: 'Timeout', message: 'took 30s' } }],
  ['error null', { error: null, message: 'no error' }],
  ['thrown undefined', { error: undefined }],
  ['span without ids', { kind: 'span', name: 'work', duration_ms: 3 }],
  [
    'span with status',
    {
      kind: 'span',
      name: 'x',
      status: 'cancelled',
      span_kind: 'tool',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      duration_ms: 1,
    },
  ],
  ['unknown top-level keys', { foo: 1, bar: { baz: [1, 2] }, 'dotted.key': true }],
  [
    'circular',
    (() => {
      const a: Record<string, unknown> = { message: 'c' }
      a['self'] = a
      return a
    })(),
  ],
  ['bigint and symbols', { n: 10n, s: Symbol('x'), f: () => 1 }],
  ['timestamp as Date', { timestamp: new Date(0) }],
  ['timestamp as number', { timestamp: 1700000000000 }],
  ['message object', { message: { nested: true } }],
  ['toJSON that throws', { w: new Weird() }],
  ['huge message', { message: 'x'.repeat(100_000) }],
  ['NaN and Infinity', { a: NaN, b: Infinity, duration_ms: NaN }],
  ['control chars', { message: 'line1\r\nline2\u2028\u001b[31mred' }],
  ['tags mixed', { tags: ['ok', 1, null, { a: 1 }] }],
]

describe('normalizeEvent', () => {
  it.each(INPUTS)('turns %s into a valid event', (_name, input) => {
    const e = norm(input)
    expectValid(e)
  })

  it('maps critical to fatal, and warning to warn', () => {
    expect(norm({ level: 'critical' }).level).toBe('fatal')
    expect(norm({ level: 'WARNING' }).level).toBe('warn')
    expect(norm({ level: 'loud' }).level).toBe('info')
    expect(norm({ err: new Error('x') }).level).toBe('error')
  })

  it('generates a UUIDv7 id and an ISO timestamp', () => {
    const e = norm({})
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Date(e.timestamp).toISOString()).toBe(e.timestamp)
  })

  it('turns errors into type, message, stack and fingerprint', () => {
    const e = norm(new TypeError('bad thing'))
    expect(e.error).toMatchObject({ type: 'TypeError', message: 'bad thing' })
    expect(e.error?.stack).toContain('TypeError: bad thing')
    expect(e.error?.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(e.message).toBe('bad thing')
    expect(norm({ err: 'it broke' }).error).toMatchObject({ type: 'Error', message: 'it broke' })
  })

  it('moves unknown top-level keys under attributes, and mistyped known ones too', () => {
    const e = norm({ foo: 1, user_id: 'u', trace_id: 'XYZ', duration_ms: -1 })
    expect(e.user_id).toBe('u')
    expect(e.trace_id).toBeUndefined()
    expect(e.duration_ms).toBeUndefined()
    expect(e.attributes).toEqual({ foo: 1, trace_id: 'XYZ', duration_ms: -1 })
  })

  it('keeps a missing count absent, never 0', () => {
    const e = norm({ llm: { model: 'm', input_tokens: 5 } })
    expect(e.llm).toEqual({ model: 'm', input_tokens: 5 })
    expect('output_tokens' in (e.llm ?? {})).toBe(false)
    expect('cost_usd' in e).toBe(false)
  })

  it('completes spans: name, kind, status, ids and duration', () => {
    const e = norm({ kind: 'span', message: 'work' })
    expect(e).toMatchObject({
      kind: 'span',
      name: 'work',
      span_kind: 'internal',
      status: 'ok',
      duration_ms: 0,
    })
    expect(e.trace_id).toMatch(/^[0-9a-f]{32}$/)
    expect(e.span_id).toMatch(/^[0-9a-f]{16}$/)
    expect(norm({ kind: 'span', name: 'f', error: new Error('x') }).status).toBe('error')
  })

  it('keeps the given ids of a span', () => {
    const e = norm({
      kind: 'span',
      name: 'x',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
    })
    expect(e.trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(e.span_id).toBe('00f067aa0ba902b7')
  })
})

describe('span-only fields on logs', () => {
  it('keeps status, name and span_kind of a log under attributes', () => {
    const e = norm({ message: 'm', status: 'error', name: 'n', span_kind: 'tool' })
    expect(e.status).toBeUndefined()
    expect(e.name).toBeUndefined()
    expect(e.attributes).toEqual({ status: 'error', name: 'n', span_kind: 'tool' })
    expectValid(e)
  })
})
