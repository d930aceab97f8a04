import { describe, it, expect } from 'vitest'
import {
  formatTraceparent,
  isValidSpanId,
  isValidTraceId,
  parseTraceparent,
  parseTracestate,
  type TraceParent,
} from './traceparent.js'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const SPEC_EXAMPLE = `00-${TRACE_ID}-${SPAN_ID}-01`

describe('parseTraceparent', () => {
  const valid: [string, string | string[], Partial<TraceParent>][] = [
    ['spec example, sampled', SPEC_EXAMPLE, { version: '00', traceFlags: '01', sampled: true }],
    ['spec example, not sampled', `00-${TRACE_ID}-${SPAN_ID}-00`, { sampled: false }],
    [
      'unknown flags kept, sampled bit read',
      `00-${TRACE_ID}-${SPAN_ID}-09`,
      { traceFlags: '09', sampled: true },
    ],
    [
      'unknown flags without sampled bit',
      `00-${TRACE_ID}-${SPAN_ID}-fe`,
      { traceFlags: 'fe', sampled: false },
    ],
    ['surrounding spaces and tabs', ` \t${SPEC_EXAMPLE}\t `, { version: '00' }],
    ['single-element array', [SPEC_EXAMPLE], { version: '00' }],
    ['future version, 55 chars', `cc-${TRACE_ID}-${SPAN_ID}-01`, { version: 'cc', sampled: true }],
    [
      'future version, extra fields',
      `cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`,
      { version: 'cc' },
    ],
    [
      'future version 01, trailing dash',
      `01-${TRACE_ID}-${SPAN_ID}-00-`,
      { version: '01', sampled: false },
    ],
    ['version fe', `fe-${TRACE_ID}-${SPAN_ID}-01`, { version: 'fe' }],
    ['max ids', `00-${'f'.repeat(32)}-${'f'.repeat(16)}-01`, { traceId: 'f'.repeat(32) }],
  ]

  it.each(valid)('accepts %s', (_name, header, expected) => {
    const parsed = parseTraceparent(header)
    expect(parsed).toBeDefined()
    expect(parsed).toMatchObject(expected)
  })

  it('returns every field of the spec example', () => {
    expect(parseTraceparent(SPEC_EXAMPLE)).toEqual({
      version: '00',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: '01',
      sampled: true,
    })
  })

  const invalid: [string, unknown][] = [
    ['empty string', ''],
    ['whitespace only', '   '],
    ['uppercase trace id', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['uppercase span id', `00-${TRACE_ID}-00F067AA0BA902B7-01`],
    ['uppercase flags', `00-${TRACE_ID}-${SPAN_ID}-0A`],
    ['uppercase version', `0A-${TRACE_ID}-${SPAN_ID}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['trace id too short', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['trace id too long', `00-${TRACE_ID}0-${SPAN_ID}-01`],
    ['span id too short', `00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`],
    ['span id too long', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['one-digit flags', `00-${TRACE_ID}-${SPAN_ID}-1`],
    ['three-digit flags', `00-${TRACE_ID}-${SPAN_ID}-011`],
    ['one-digit version', `0-${TRACE_ID}-${SPAN_ID}-01`],
    ['extra field on version 00', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
    ['trailing dash on version 00', `${SPEC_EXAMPLE}-`],
    ['future version without dash after flags', `cc-${TRACE_ID}-${SPAN_ID}-01x`],
    ['future version too short', `cc-${TRACE_ID}-${SPAN_ID}-1`],
    ['non-hex trace id', `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01`],
    ['non-hex span id', `00-${TRACE_ID}-${SPAN_ID.slice(0, 15)}z-01`],
    ['non-hex flags', `00-${TRACE_ID}-${SPAN_ID}-0x`],
    ['non-hex version', `0x-${TRACE_ID}-${SPAN_ID}-01`],
    ['missing dashes', `00${TRACE_ID}${SPAN_ID}01`],
    ['underscore separators', `00_${TRACE_ID}_${SPAN_ID}_01`],
    ['dash replaced by space', `00 ${TRACE_ID}-${SPAN_ID}-01`],
    ['inner whitespace', `00-${TRACE_ID}- ${SPAN_ID}-01`],
    ['newline padding', `\n${SPEC_EXAMPLE}`],
    ['two-element array', [SPEC_EXAMPLE, SPEC_EXAMPLE]],
    ['empty array', []],
    ['array of a non-string', [42]],
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['object', { traceparent: SPEC_EXAMPLE }],
    ['UUID-style trace id', `00-4bf92f35-77b3-4da6-a3ce-929d0e0e4736-${SPAN_ID}-01`],
  ]

  it.each(invalid)('rejects %s', (_name, header) => {
    expect(() => parseTraceparent(header as string)).not.toThrow()
    expect(parseTraceparent(header as string)).toBeUndefined()
  })

  it('has a table of at least 25 cases', () => {
    expect(valid.length + invalid.length).toBeGreaterThanOrEqual(25)
  })
})

describe('formatTraceparent', () => {
  it('formats version 00 and round-trips through parseTraceparent', () => {
    const header = formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, sampled: true })
    expect(header).toBe(SPEC_EXAMPLE)
    const parsed = parseTraceparent(header)!
    expect(formatTraceparent(parsed)).toBe(header)
  })

  it('downgrades a future version to 00, keeping ids and flags', () => {
    const parsed = parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`)!
    expect(formatTraceparent(parsed)).toBe(SPEC_EXAMPLE)
  })

  it('derives flags from traceFlags and sampled', () => {
    const ids = { traceId: TRACE_ID, spanId: SPAN_ID }
    expect(formatTraceparent(ids)).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`)
    expect(formatTraceparent({ ...ids, sampled: false })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`)
    expect(formatTraceparent({ ...ids, traceFlags: '01' })).toBe(`00-${TRACE_ID}-${SPAN_ID}-01`)
    expect(formatTraceparent({ ...ids, traceFlags: '03', sampled: false })).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-02`,
    )
    expect(formatTraceparent({ ...ids, traceFlags: '02', sampled: true })).toBe(
      `00-${TRACE_ID}-${SPAN_ID}-03`,
    )
  })

  it('round-trips random ids', () => {
    for (let i = 0; i < 50; i++) {
      const traceId = randomHex(32)
      const spanId = randomHex(16)
      const sampled = i % 2 === 0
      const parsed = parseTraceparent(formatTraceparent({ traceId, spanId, sampled }))
      expect(parsed).toEqual({
        version: '00',
        traceId,
        spanId,
        traceFlags: sampled ? '01' : '00',
        sampled,
      })
    }
  })

  it('throws a TypeError rather than format an invalid header', () => {
    expect(() => formatTraceparent({ traceId: '0'.repeat(32), spanId: SPAN_ID })).toThrow(TypeError)
    expect(() => formatTraceparent({ traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID })).toThrow(
      TypeError,
    )
    expect(() => formatTraceparent({ traceId: TRACE_ID, spanId: '0'.repeat(16) })).toThrow(
      TypeError,
    )
    expect(() =>
      formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: '1' }),
    ).toThrow(TypeError)
    expect(() =>
      formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 'FF' }),
    ).toThrow(TypeError)
  })
})

describe('isValidTraceId / isValidSpanId', () => {
  it('accept lowercase hex of the right length, not all zeros', () => {
    expect(isValidTraceId(TRACE_ID)).toBe(true)
    expect(isValidTraceId(TRACE_ID.toUpperCase())).toBe(false)
    expect(isValidTraceId('0'.repeat(32))).toBe(false)
    expect(isValidTraceId(TRACE_ID.slice(1))).toBe(false)
    expect(isValidTraceId(SPAN_ID)).toBe(false)
    expect(isValidTraceId(undefined)).toBe(false)
    expect(isValidTraceId(42)).toBe(false)
    expect(isValidSpanId(SPAN_ID)).toBe(true)
    expect(isValidSpanId(SPAN_ID.toUpperCase())).toBe(false)
    expect(isValidSpanId('0'.repeat(16))).toBe(false)
    expect(isValidSpanId(TRACE_ID)).toBe(false)
    expect(isValidSpanId(`${SPAN_ID}\n`)).toBe(false)
    expect(isValidSpanId(null)).toBe(false)
  })
})

describe('parseTracestate', () => {
  it.each([
    ['rojo=00f067aa0ba902b7', 'rojo=00f067aa0ba902b7'],
    ['rojo=00f067aa0ba902b7,congo=t61rcWkgMzE', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
    [' rojo=1 \t, \tcongo=2 ', 'rojo=1,congo=2'],
    ['rojo=1,,  ,congo=2,', 'rojo=1,congo=2'],
    ['fw529a3039@dt=abc, tenant_1@sys-2=x', 'fw529a3039@dt=abc,tenant_1@sys-2=x'],
    ['a_b-c*d/e=v', 'a_b-c*d/e=v'],
    ['k= leading space kept', 'k= leading space kept'],
    ['k=v  ', 'k=v'],
    ['k=!~"#$%&()+-./:;<>?@[\\]^_`{|}', 'k=!~"#$%&()+-./:;<>?@[\\]^_`{|}'],
    [`k=${'v'.repeat(256)}`, `k=${'v'.repeat(256)}`],
    [`${'k'.repeat(256)}=v`, `${'k'.repeat(256)}=v`],
    [`${'t'.repeat(241)}@${'s'.repeat(14)}=v`, `${'t'.repeat(241)}@${'s'.repeat(14)}=v`],
  ])('accepts %j', (header, expected) => {
    expect(parseTracestate(header)).toBe(expected)
  })

  it.each([
    ['missing equals', 'rojo'],
    ['empty key', '=v'],
    ['empty value', 'k='],
    ['uppercase key', 'Rojo=1'],
    ['key starting with a digit', '1rojo=1'],
    ['key with a dot', 'ro.jo=1'],
    ['key too long', `${'k'.repeat(257)}=v`],
    ['tenant too long', `${'t'.repeat(242)}@sys=v`],
    ['system too long', `t@${'s'.repeat(15)}=v`],
    ['system starting with a digit', 't@1sys=v'],
    ['two at signs', 'a@b@c=v'],
    ['value too long', `k=${'v'.repeat(257)}`],
    ['value with an equals sign', 'k=a=b'],
    ['value with a tab', 'k=a\tb'],
    ['value with a non-ASCII character', 'k=caf\u00e9'],
    ['space before equals', 'k =v'],
    ['duplicate keys', 'rojo=1,congo=2,rojo=3'],
    ['one bad member among good ones', 'rojo=1,bad key=2'],
    ['empty header', ''],
    ['only separators', ' , ,, '],
    ['undefined', undefined],
    ['null', null],
    ['number', 7],
  ])('rejects %s', (_name, header) => {
    expect(() => parseTracestate(header as string)).not.toThrow()
    expect(parseTracestate(header as string)).toBeUndefined()
  })

  it('truncates beyond 32 members, dropping from the end', () => {
    const members = Array.from({ length: 40 }, (_, i) => `k${i}=v${i}`)
    const parsed = parseTracestate(members.join(','))
    expect(parsed).toBe(members.slice(0, 32).join(','))
    expect(parsed?.split(',')).toHaveLength(32)
  })

  it('keeps exactly 32 members', () => {
    const members = Array.from({ length: 32 }, (_, i) => `k${i}=v${i}`)
    expect(parseTracestate(members.join(','))).toBe(members.join(','))
  })

  it('joins a repeated header with commas', () => {
    expect(parseTracestate(['rojo=1', 'congo=2'])).toBe('rojo=1,congo=2')
    expect(parseTracestate(['rojo=1', '', 'congo=2 '])).toBe('rojo=1,congo=2')
    expect(parseTracestate(['rojo=1', 'rojo=2'])).toBeUndefined()
    expect(parseTracestate([])).toBeUndefined()
    expect(parseTracestate(['rojo=1', 5 as unknown as string])).toBeUndefined()
  })
})

function randomHex(length: number): string {
  let out = ''
  while (out.length < length || /^0+$/.test(out)) {
    out = Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join('')
  }
  return out
}
