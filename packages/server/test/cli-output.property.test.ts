// Property: whatever the store (or a server) holds, the CLI prints one line per event, never
// throws, and no control character reaches the terminal: not in tables, the waterfall, the
// error groups, stats, nor in --json output. Events are generated with hostile values in every
// field (escape sequences, BEL, CR/LF, C1 controls, line separators, numbers where strings
// go, objects where numbers go), as rows written before the schema was enforced can be.
import type { ThreadlineEvent } from '@threadline/core'
import type { StoreReader } from '@threadline/store'
import { runCli } from '@threadline/store/cli'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildTrace } from '../../store/src/trace.js'

/** Anything a terminal acts on, except the newline that ends each line. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/

const hostileChar = fc.constantFrom(
  '\x1b',
  '\x1b[2J',
  '\x1b]0;pwned\x07',
  '\x07',
  '\r',
  '\n',
  '\t',
  '\x00',
  '\x7f',
  '\u0085',
  '\u009b',
  '\u2028',
  '\u2029',
  'a',
  ' ',
  'é',
  '😀',
)
const hostileString = fc.array(hostileChar, { maxLength: 12 }).map((xs) => xs.join(''))
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  fc.integer({ min: -1000, max: 1000 }),
  fc.double(),
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.dictionary(hostileString, hostileString, { maxKeys: 2 }),
  fc.array(hostileString, { maxLength: 2 }),
)
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
const hostileEvent = fc
  .record({
    id: hostileString,
    kind: fc.constantFrom('log', 'span', 7, undefined),
    timestamp: fc.oneof(fc.constant(new Date().toISOString()), anyValue),
    level: fc.oneof(fc.constantFrom('info', 'error', 30, 50), anyValue),
    message: anyValue,
    service: anyValue,
    category: anyValue,
    event: anyValue,
    name: anyValue,
    span_id: fc.oneof(fc.constantFrom('00f067aa0ba902b7', 'b7ad6b7169203331'), anyValue),
    parent_span_id: anyValue,
    status: anyValue,
    duration_ms: anyValue,
    cost_usd: anyValue,
    user_id: anyValue,
    http: fc.record({ status_code: anyValue, method: anyValue, route: anyValue }),
    llm: fc.record({ model: anyValue, input_tokens: anyValue, output_tokens: anyValue }),
    error: fc.oneof(fc.constant(undefined), fc.record({ type: anyValue, message: anyValue })),
  })
  .map((e) => ({ ...e, trace_id: traceId }) as unknown as ThreadlineEvent)

function reader(events: ThreadlineEvent[]): StoreReader {
  const info = { engine: 'postgres' as const, schema: 'x', location: 'x', migrations: [] }
  const e0 = events[0] as unknown as Record<string, unknown>
  return {
    engine: 'postgres',
    schema: 'x',
    query: async () => ({ events, next_cursor: e0?.message as string, limit: 100, offset: 0 }),
    trace: async () => buildTrace(traceId, events),
    errors: async () =>
      events.map((e) => {
        const x = e as unknown as Record<string, unknown>
        return {
          fingerprint: x.id,
          type: x.name,
          message: x.message,
          category: x.category,
          service: x.service,
          count: x.duration_ms,
          first_seen: x.timestamp,
          last_seen: x.timestamp,
          affected_users: 1,
          users: [],
          sample_trace_id: x.user_id,
          services: [],
          levels: [],
        }
      }) as never,
    stats: async () =>
      events.map((e) => ({
        group: { service: (e as unknown as Record<string, unknown>).service },
        count: 1,
      })) as never,
    async *export() {},
    facets: async (field) => ({ field, values: [] }),
    sessions: async () => [],
    session: async () => undefined,
    users: async () => [],
    count: async () => events.length,
    info: async () => info,
    close: async () => {},
  }
}

async function run(argv: string[], events: ThreadlineEvent[]) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => ((stderr += s), true) },
    env: {},
    openReader: async () => reader(events),
  })
  return { code, stdout, stderr }
}

describe('CLI output, whatever the store holds', () => {
  it('one event, one line, no control character reaches the terminal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileEvent, { minLength: 1, maxLength: 6 }), async (events) => {
        const query = await run(['query', '--no-color'], events)
        expect(query.code).toBe(0)
        const lines = query.stdout.split('\n')
        expect(lines.at(-1)).toBe('')
        expect(lines).toHaveLength(events.length + 2) // the events, the footer, the final ''
        for (const argv of [
          ['query', '--no-color'],
          ['trace', traceId, '--no-color'],
          ['errors', '--no-color'],
          ['stats', '--by', 'service', '--no-color'],
        ]) {
          const r = await run(argv, events)
          expect(r.code, argv.join(' ') + r.stderr).toBe(0)
          expect(r.stdout, argv.join(' ')).not.toMatch(CONTROL)
          expect(r.stderr, argv.join(' ')).not.toMatch(CONTROL)
        }
        for (const argv of [
          ['query', '--json'],
          ['errors', '--json'],
          ['trace', traceId, '--json'],
        ]) {
          const r = await run(argv, events)
          expect(r.code, argv.join(' ') + r.stderr).toBe(0)
          expect(r.stdout, argv.join(' ')).not.toMatch(CONTROL)
          for (const line of r.stdout.trimEnd().split('\n'))
            expect(() => JSON.parse(line)).not.toThrow()
        }
        const json = await run(['query', '--json'], events)
        expect(json.stdout.trimEnd().split('\n')).toHaveLength(events.length)
      }),
      { numRuns: 150, interruptAfterTimeLimit: 15_000 },
    )
  })
})
