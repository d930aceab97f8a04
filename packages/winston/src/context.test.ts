import { PassThrough } from 'node:stream'
import { runWithContext } from '@threadline/core'
import { createTestLogger, waitFor } from '@threadline/test-utils'
import { describe, expect, it } from 'vitest'
import winston from 'winston'
import TransportStream from 'winston-transport'
import { threadlineContext, ThreadlineTransport } from './index.js'

const { format } = winston
const TRACE_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'
const TRACE_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2'
const TRACE_C = 'ccccccccccccccccccccccccccccccc3'
const SPAN = '00f067aa0ba902b7'

function streamLogger(fmt = threadlineContext()) {
  const out = new PassThrough()
  const lines: Record<string, unknown>[] = []
  out.on('data', (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n'))
      if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
  })
  const log = winston.createLogger({
    format: format.combine(fmt, format.json()),
    transports: [new winston.transports.Stream({ stream: out })],
  })
  return { log, lines }
}

describe('threadlineContext()', () => {
  it('adds trace_id, span_id and request_id inside a context, nothing outside', async () => {
    const { log, lines } = streamLogger()
    runWithContext({ trace_id: TRACE_A, span_id: SPAN, bindings: { request_id: 'req-9' } }, () =>
      log.info('inside'),
    )
    log.info('outside')
    await waitFor(() => lines.length === 2)
    expect(lines[0]).toMatchObject({
      message: 'inside',
      trace_id: TRACE_A,
      span_id: SPAN,
      request_id: 'req-9',
    })
    expect(Object.keys(lines[1]!).sort()).toEqual(['level', 'message'])
  })

  it('uses the ids of the current Threadline span, under custom keys', async () => {
    const t = createTestLogger()
    const { log, lines } = streamLogger(
      threadlineContext({ traceIdKey: 'traceId', spanIdKey: 'spanId', requestIdKey: 'rid' }),
    )
    t.logger.span('work', () => log.info('in span'))
    const [span] = await t.events()
    await waitFor(() => lines.length === 1)
    expect(lines[0]).toMatchObject({ traceId: span!.trace_id, spanId: span!.span_id })
    expect(lines[0]!['trace_id']).toBeUndefined()
    expect(lines[0]!['rid']).toBeUndefined()
  })

  it('keeps each line in its own trace when winston buffers writes (a slow transport)', async () => {
    const t = createTestLogger()
    const pending: (() => void)[] = []
    const slow = new TransportStream({ highWaterMark: 1 } as TransportStream.TransportStreamOptions)
    slow.log = (_info: unknown, next: () => void) => void pending.push(next)
    const log = winston.createLogger({
      format: format.combine(threadlineContext(), format.json()),
      transports: [slow, new ThreadlineTransport({ logger: t.logger })],
    })
    for (const [trace, message] of [
      [TRACE_A, 'a'],
      [TRACE_B, 'b'],
      [TRACE_A, 'a again'],
    ] as const)
      runWithContext({ trace_id: trace, bindings: { request_id: `req-${message}` } }, () =>
        log.info(message),
      )
    // the slow transport drains later, inside an unrelated request
    await runWithContext({ trace_id: TRACE_C, bindings: { request_id: 'req-c' } }, () =>
      waitFor(() => {
        while (pending.length) pending.shift()!()
        return t.logger.stats().emitted >= 3
      }),
    )
    const events = await t.events()
    expect(events.map((e) => [e.message, e.trace_id, e.request_id])).toEqual([
      ['a', TRACE_A, 'req-a'],
      ['b', TRACE_B, 'req-b'],
      ['a again', TRACE_A, 'req-a again'],
    ])
  })
})
