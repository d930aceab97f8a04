import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createLogger } from '../logger.js'
import { consoleExporter, escapeForTerminal, formatPretty } from './console.js'
import type { ThreadlineEvent } from '../types.js'

function sink(isTTY = false) {
  const chunks: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  }) as Writable & { isTTY?: boolean }
  stream.isTTY = isTTY
  return { stream, text: () => chunks.join('') }
}

const HOSTILE =
  'ok\r\n{"level":"info","message":"forged"}\u001b[2J\u001b]0;title\u0007\u2028\u2029\u0085\u009b31m\u0000end'

describe('console exporter', () => {
  it('writes JSON lines when not a TTY', async () => {
    const { stream, text } = sink(false)
    const log = createLogger({
      service: 'c',
      exporters: [consoleExporter({ stream })],
      hookProcess: false,
    })
    log.info('hello', { a: 1 })
    log.warn(HOSTILE)
    await log.flush()
    const lines = text().split('\n').filter(Boolean)
    expect(lines).toHaveLength(2)
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: 'hello', attributes: { a: 1 } })
    expect(JSON.parse(lines[1]!).message).toBe(HOSTILE)
    expect(lines[1]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
  })

  it('writes one pretty line per event on a TTY, whatever the event holds', async () => {
    const { stream, text } = sink(true)
    const log = createLogger({
      service: 'c',
      exporters: [consoleExporter({ stream, format: 'pretty', colors: true })],
      hookProcess: false,
    })
    log.error(HOSTILE, { [HOSTILE]: HOSTILE, err: new Error(HOSTILE) })
    log.generation({ model: 'gpt-4o', input_tokens: 10, output_tokens: 5, user_id: HOSTILE })
    log.span('work\nnext', () => 1, { kind: 'tool' })
    await log.flush()
    const out = text()
    const lines = out.split('\n').filter(Boolean)
    expect(lines).toHaveLength(3)
    for (const line of lines) {
      // only our own SGR color codes survive; no other escape, control or separator
      const stripped = line.replace(/\u001b\[[\d;]*m/g, '')
      expect(stripped).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
    }
    expect(lines[0]).toContain('\\r\\n{"level":"info","message":"forged"}\\u001b[2J')
    expect(lines[1]).toContain('model=gpt-4o')
    expect(lines[1]).toContain('tokens=10/5')
    expect(lines[1]).toMatch(/cost=\$0\.0000\d+/)
    expect(lines[2]).toContain('tool work\\nnext')
  })

  it('formatPretty without colors has no escape codes', () => {
    const e: ThreadlineEvent = {
      id: '1',
      kind: 'log',
      timestamp: '2026-01-01T10:11:12.345Z',
      level: 'info',
      message: 'm',
      service: 's',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      http: { method: 'GET', route: '/x', status_code: 200 },
    }
    const line = formatPretty(e, false)
    expect(line).toBe('10:11:12.345 INFO  s [4bf92f35] m GET /x status=200')
  })

  it('picks pretty for TTYs and JSON in production', () => {
    const prev = process.env['NODE_ENV']
    try {
      process.env['NODE_ENV'] = 'production'
      const { stream, text } = sink(true)
      const ex = consoleExporter({ stream })
      ex.exportSync!([
        {
          event: {
            id: '1',
            kind: 'log',
            timestamp: 't',
            level: 'info',
            message: 'm',
            service: 's',
          },
          json: '{"j":1}',
        },
      ])
      expect(text()).toBe('{"j":1}\n')
    } finally {
      if (prev === undefined) delete process.env['NODE_ENV']
      else process.env['NODE_ENV'] = prev
    }
  })

  it('escapeForTerminal leaves clean text alone and escapes the rest', () => {
    const clean = 'plain text 123'
    expect(escapeForTerminal(clean)).toBe(clean)
    expect(escapeForTerminal('a\nb\tc\u001bd\u2028')).toBe('a\\nb\\tc\\u001bd\\u2028')
  })

  it('reports a failing stream as an export error, never a throw', async () => {
    const stream = new Writable({ write: (_c, _e, cb) => cb(new Error('EPIPE')) })
    stream.on('error', () => {})
    const log = createLogger({
      exporters: [consoleExporter({ stream, format: 'json' })],
      hookProcess: false,
    })
    log.info('x')
    await log.flush()
    expect(log.stats().exporters[0]!.dropped['exporter_error']).toBe(1)
  })
})
