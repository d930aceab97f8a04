import type { ThreadlineEvent } from '@threadline/core'
import { describe, expect, it } from 'vitest'
import type { SpanNode, TraceResult } from '../types.js'
import { barGeometry, renderBar, stripAnsi } from './format.js'
import { renderWaterfall } from './waterfall.js'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const T0 = Date.parse('2026-11-20T10:00:00.000Z')
const RED = '\x1b[31m'

function span(
  spanId: string,
  name: string,
  startOffset: number,
  duration: number,
  extra: Partial<ThreadlineEvent> = {},
): ThreadlineEvent {
  return {
    id: `0193${spanId.slice(0, 4)}-0000-7000-8000-${spanId.slice(0, 12)}`,
    kind: 'span',
    timestamp: new Date(T0 + startOffset).toISOString(),
    level: 'info',
    message: name,
    name,
    service: 'api',
    trace_id: TRACE,
    span_id: spanId,
    span_kind: 'internal',
    status: 'ok',
    duration_ms: duration,
    ...extra,
  }
}

function node(
  e: ThreadlineEvent,
  depth: number,
  children: SpanNode[] = [],
  more: Partial<SpanNode> = {},
): SpanNode {
  const start = Date.parse(e.timestamp)
  return {
    span: e,
    start_ms: start,
    end_ms: start + (e.duration_ms ?? 0),
    depth,
    children,
    logs: [],
    orphan: false,
    ...more,
  }
}

function trace(roots: SpanNode[], more: Partial<TraceResult> = {}): TraceResult {
  const all: SpanNode[] = []
  const walk = (ns: SpanNode[]): void => {
    for (const n of ns) {
      all.push(n)
      walk(n.children)
    }
  }
  walk(roots)
  const start = Math.min(...all.map((n) => n.start_ms))
  const end = Math.max(...all.map((n) => n.end_ms))
  return {
    trace_id: TRACE,
    events: all.map((n) => n.span),
    roots,
    unattached_logs: [],
    services: [...new Set(all.map((n) => n.span.service))],
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    duration_ms: end - start,
    critical_path: [],
    span_count: all.length,
    error_count: all.filter((n) => n.span.status === 'error').length,
    input_tokens: 0,
    output_tokens: 0,
    total_tokens: 0,
    cost_usd: undefined,
    ...more,
  }
}

/** The line of the waterfall whose span name (after indentation) is `name`. */
function lineOf(out: string, name: string): string {
  const line = stripAnsi(out)
    .split('\n')
    .find((l) => new RegExp(`^.{4}\\s*${name}\\s`).test(l))
  if (!line) throw new Error(`no line for ${name} in\n${out}`)
  return line
}

function bar(line: string): string {
  const m = /│(.*)│/.exec(line)
  if (!m) throw new Error(`no bar in ${line}`)
  return m[1]!
}

describe('renderWaterfall', () => {
  const root = span('a1a1a1a1a1a1a1a1', 'POST /chat', 0, 1000, {
    span_kind: 'server',
    category: 'http',
    http: { method: 'POST', route: '/chat', status_code: 200 },
  })
  const retrieve = span('b2b2b2b2b2b2b2b2', 'retrieve', 0, 250, {
    parent_span_id: 'a1a1a1a1a1a1a1a1',
    service: 'search',
  })
  const embed = span('c3c3c3c3c3c3c3c3', 'embed', 50, 100, { parent_span_id: 'b2b2b2b2b2b2b2b2' })
  const generate = span('d4d4d4d4d4d4d4d4', 'generate', 500, 500, {
    parent_span_id: 'a1a1a1a1a1a1a1a1',
    span_kind: 'llm',
    category: 'llm',
    llm: { provider: 'openai', model: 'gpt-4o-mini', input_tokens: 1200, output_tokens: 340 },
    cost_usd: 0.000123,
  })
  const tree = trace(
    [
      node(root, 0, [
        node(retrieve, 1, [node(embed, 2)]),
        node(generate, 1, [], {
          logs: [
            {
              id: '01937000-0000-7000-8000-000000000001',
              kind: 'log',
              timestamp: new Date(T0 + 600).toISOString(),
              level: 'warn',
              message: 'slow first token',
              service: 'api',
              trace_id: TRACE,
              span_id: 'd4d4d4d4d4d4d4d4',
            },
          ],
        }),
      ]),
    ],
    {
      critical_path: ['a1a1a1a1a1a1a1a1', 'd4d4d4d4d4d4d4d4'],
      input_tokens: 1200,
      output_tokens: 340,
      total_tokens: 1540,
      cost_usd: 0.000123,
    },
  )

  it('prints a header with trace id, services, counts, duration, tokens and cost', () => {
    const out = renderWaterfall(tree)
    expect(out).toContain(`Trace ${TRACE}`)
    expect(out).toContain('services: api, search')
    expect(out).toContain('spans: 4')
    expect(out).toContain('duration: 1000ms')
    expect(out).toContain('errors: 0')
    expect(out).toContain('tokens: 1,540 (1,200 in / 340 out)')
    expect(out).toContain('cost: $0.000123')
  })

  it('indents two spaces per depth', () => {
    const out = renderWaterfall(tree)
    const nameAt = (name: string): number => lineOf(out, name).indexOf(name)
    expect(nameAt('retrieve') - nameAt('POST /chat')).toBe(2)
    expect(nameAt('embed') - nameAt('retrieve')).toBe(2)
    expect(nameAt('generate') - nameAt('POST /chat')).toBe(2)
  })

  it('positions bars by start offset and sizes them by duration', () => {
    const out = renderWaterfall(tree, { barWidth: 40 })
    expect(bar(lineOf(out, 'POST /chat'))).toBe('█'.repeat(40))
    expect(bar(lineOf(out, 'retrieve'))).toBe('█'.repeat(10) + ' '.repeat(30))
    expect(bar(lineOf(out, 'embed'))).toBe('  ' + '████' + ' '.repeat(34))
    expect(bar(lineOf(out, 'generate'))).toBe(' '.repeat(20) + '█'.repeat(20))
    expect(lineOf(out, 'generate')).toMatch(/│\s+500ms/)
  })

  it('shows model, tokens and cost of LLM spans', () => {
    const line = lineOf(renderWaterfall(tree), 'generate')
    expect(line).toContain('gpt-4o-mini')
    expect(line).toContain('1,200 in / 340 out tok')
    expect(line).toContain('$0.000123')
  })

  it('marks the critical path and lists logs under their span', () => {
    const out = stripAnsi(renderWaterfall(tree))
    expect(lineOf(out, 'POST /chat').slice(0, 3)).toBe(' * ')
    expect(lineOf(out, 'generate').slice(0, 3)).toBe(' * ')
    expect(lineOf(out, 'retrieve').slice(0, 3)).toBe('   ')
    const lines = out.split('\n')
    const gen = lines.findIndex((l) => l.includes('generate'))
    expect(lines[gen + 1]).toMatch(/^\s+\[WARN\] slow first token \+600ms$/)
  })

  it('paints errored spans red with colour, marks them ✗ without', () => {
    const failing = span('e5e5e5e5e5e5e5e5', 'tool.search', 100, 50, {
      status: 'error',
      level: 'error',
      error: { type: 'TimeoutError', message: 'search timed out', fingerprint: '9f86d081884c7d65' },
    })
    const ok = span('f6f6f6f6f6f6f6f6', 'tool.ok', 200, 50)
    const t = trace([node(failing, 0), node(ok, 0)], { error_count: 1 })

    const colored = renderWaterfall(t, { color: true })
    const redLine = colored.split('\n').find((l) => l.includes('tool.search'))!
    expect(redLine).toContain(RED)
    expect(redLine).toContain('✗')
    expect(redLine).toContain('TimeoutError: search timed out')
    const okLine = colored.split('\n').find((l) => l.includes('tool.ok'))!
    expect(okLine).not.toContain(RED)

    const plain = renderWaterfall(t, { color: false })
    expect(plain).not.toContain('\x1b[')
    expect(lineOf(plain, 'tool.search').startsWith('✗')).toBe(true)
    expect(lineOf(plain, 'tool.ok').startsWith('✗')).toBe(false)
    expect(plain).toContain('errors: 1')
  })

  it('flags orphans with the missing parent', () => {
    const lost = span('0a0a0a0a0a0a0a0a', 'worker.job', 0, 80, {
      parent_span_id: 'ffffffffffffffff',
      service: 'worker',
    })
    const out = renderWaterfall(trace([node(lost, 0, [], { orphan: true })]))
    const line = lineOf(out, 'worker.job')
    expect(line.slice(0, 3)).toBe('  ?')
    expect(line).toContain('orphan: parent ffffffffffffffff not stored')
  })

  it('gives a short non-zero span at least one column and zero spans a dot', () => {
    const long = span('1111111111111111', 'long', 0, 10_000)
    const tiny = span('2222222222222222', 'tiny', 5000, 1)
    const zero = span('3333333333333333', 'zero', 10_000, 0)
    const out = renderWaterfall(trace([node(long, 0, [node(tiny, 1), node(zero, 1)])]))
    expect(bar(lineOf(out, 'tiny'))).toBe(' '.repeat(20) + '█' + ' '.repeat(19))
    expect(bar(lineOf(out, 'zero'))).toBe(' '.repeat(39) + '·')
  })

  it('escapes control characters in span names', () => {
    const evil = span('4444444444444444', 'bad\x1b[2Jname\nnext', 0, 10)
    const out = renderWaterfall(trace([node(evil, 0)]))
    expect(out).not.toContain('\x1b[2J')
    expect(out).toContain('bad\\u001b[2Jname\\nnext')
  })

  it('lists logs attached to no stored span', () => {
    const s = span('5555555555555555', 'root', 0, 10)
    const out = renderWaterfall(
      trace([node(s, 0)], {
        unattached_logs: [
          {
            id: '01937000-0000-7000-8000-000000000009',
            kind: 'log',
            timestamp: new Date(T0 + 5).toISOString(),
            level: 'error',
            message: 'lost log',
            service: 'api',
            trace_id: TRACE,
            span_id: '9999999999999999',
          },
        ],
      }),
    )
    expect(out).toContain('Logs outside any stored span')
    expect(out).toMatch(/✗\s+\[ERROR\] lost log \+5\.0ms/)
  })
})

describe('bars', () => {
  it('never overflow the timeline', () => {
    expect(barGeometry({ offsetMs: 999, durationMs: 1, totalMs: 1000, width: 40 })).toEqual({
      start: 39,
      length: 1,
    })
    expect(renderBar({ offsetMs: 0, durationMs: 0, totalMs: 0, width: 5 })).toBe('·    ')
    expect(renderBar({ offsetMs: 0, durationMs: 5, totalMs: 0, width: 5 })).toBe('█████')
  })
})
