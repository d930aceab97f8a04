import { describe, expect, it } from 'vitest'
import {
  formatCost,
  formatInt,
  formatMs,
  formatPercent,
  formatTime,
  painter,
  renderTable,
  stripAnsi,
  truncate,
} from './format.js'
import { formatEventLine } from './commands/query.js'

describe('format helpers', () => {
  it('format numbers for people', () => {
    expect(formatCost(0.000123)).toBe('$0.000123')
    expect(formatCost(0.5)).toBe('$0.5000')
    expect(formatCost(12.345)).toBe('$12.35')
    expect(formatCost(undefined)).toBe('-')
    expect(formatMs(0)).toBe('0ms')
    expect(formatMs(0.25)).toBe('0.25ms')
    expect(formatMs(35)).toBe('35.0ms')
    expect(formatMs(1234.4)).toBe('1234ms')
    expect(formatMs(12_500)).toBe('12.5s')
    expect(formatMs(null)).toBe('-')
    expect(formatInt(1234567)).toBe('1,234,567')
    expect(formatPercent(0.125)).toBe('12.5%')
    expect(formatTime('2026-11-20T10:00:00.123Z')).toBe('2026-11-20 10:00:00.123')
  })

  it('truncate with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…')
    expect(truncate('abc', 4)).toBe('abc')
  })

  it('paint only when colour is on', () => {
    expect(painter(false)('red', 'x')).toBe('x')
    expect(painter(true)('red', 'x')).toBe('\x1b[31mx\x1b[0m')
  })

  it('align table columns, ignoring colour codes', () => {
    const paint = painter(true)
    const out = renderTable(
      [{ header: 'NAME' }, { header: 'COUNT', align: 'right' }],
      [
        ['alpha', paint('red', '7')],
        ['b', '1,234'],
      ],
      paint,
    )
    expect(stripAnsi(out)).toBe('NAME   COUNT\nalpha      7\nb      1,234\n')
  })

  it('print an event line with escaped text', () => {
    const line = formatEventLine(
      {
        id: '01937b2c-0001-7000-8000-000000000001',
        kind: 'log',
        timestamp: '2026-11-20T10:00:00.000Z',
        level: 'error',
        message: 'boom\n\x1b[2Jfake line',
        service: 'api',
        category: 'http',
        event: 'request',
        trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
        duration_ms: 12,
        http: { status_code: 503 },
      },
      painter(false),
    )
    expect(line).toBe(
      '2026-11-20 10:00:00.000  ERROR  api  http/request  boom\\n\\u001b[2Jfake line  trace=4bf92f35 12.0ms 503',
    )
  })
})
