import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPglite, openPostgres, type Engine } from '../src/engine.js'
import { migrate } from '../src/migrate.js'
import { partitions } from '../src/partitions.js'
import { exportEvents } from '../src/query.js'
import { StoreQueryError } from '../src/index.js'
import { describeEngines, dropSchema, PG_URL, uniqueSchema } from './engines.js'
import { event, hex } from './fixtures.js'

/** Minimal RFC 4180 parser for the assertions (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  return rows
}

const collect = async (it: AsyncIterable<string>) => {
  let out = ''
  for await (const chunk of it) out += chunk
  return out
}

describeEngines('store.export', (store) => {
  it('writes RFC 4180 CSV with formula cells neutralised', async () => {
    const trace_id = hex(16)
    const messages = [
      '=HYPERLINK("http://evil")',
      '+1+2',
      '-2+3',
      '@SUM(A1)',
      '\tcmd',
      '\rcr',
      'a,b',
      'say "hi"',
      'two\nlines',
      'plain',
    ]
    await store().insert(
      messages.map((message, i) =>
        event({
          trace_id,
          message,
          cost_usd: i === 0 ? 0.5 : 1 + i,
          user_id: i === 0 ? '=cmd|calc' : 'u',
          timestamp: new Date(Date.now() - 1000 + i).toISOString(),
        }),
      ),
    )
    const rows = parseCsv(await collect(store().export({ trace_id, format: 'csv' })))
    const header = rows[0]!
    const col = (name: string) => header.indexOf(name)
    expect(rows).toHaveLength(11)
    expect(rows.slice(1).map((r) => r[col('message')])).toEqual([
      `'=HYPERLINK("http://evil")`,
      "'+1+2",
      "'-2+3",
      "'@SUM(A1)",
      "'\tcmd",
      "'\rcr",
      'a,b',
      'say "hi"',
      'two\nlines',
      'plain',
    ])
    expect(rows[1]![col('user_id')]).toBe("'=cmd|calc")
    // Numbers are numbers, not text to neutralise.
    expect(rows[1]![col('cost_usd')]).toBe('0.5')
    expect(rows.every((r) => r.length === header.length)).toBe(true)
  })

  it('writes JSON lines of the stored events, oldest first by default', async () => {
    const trace_id = hex(16)
    const events = [event({ trace_id }), event({ trace_id, attributes: { k: 'v' } })]
    await store().insert(events)
    const lines = (await collect(store().export({ trace_id, format: 'jsonl' }))).trim().split('\n')
    expect(lines.map((l) => JSON.parse(l))).toEqual(events)
    const desc = await collect(
      store().export({ trace_id, format: 'jsonl', sort_order: 'desc', limit: 1 }),
    )
    expect(JSON.parse(desc).id).toBe(events[1]!.id)
  })

  it('rejects a bad option or filter when called, before streaming anything', () => {
    expect(() => store().export({ format: 'xlsx' as never })).toThrow(StoreQueryError)
    expect(() => store().export({ level: 'nope' as never })).toThrow(
      expect.objectContaining({ field: 'level' }),
    )
    for (const [options, field] of [
      [{ limit: -1 }, 'limit'],
      [{ limit: 'lots' }, 'limit'],
      [{ sort_by: 'duration_ms' }, 'sort_by'],
      [{ sort_by: 'nope' }, 'sort_by'],
      [{ sort_order: 'sideways' }, 'sort_order'],
    ] as const)
      expect(() => store().export(options as never), field).toThrow(
        expect.objectContaining({ field }),
      )
  })
})

/** 100k rows made by the database itself (ingest speed is not what this measures). */
const GENERATE = `INSERT INTO events (id, "timestamp", kind, level, level_value, message, service, tags, body)
  SELECT 'id-' || g, ts, 'log', 'info', 30, 'event ' || g, 'svc', ARRAY[$1::text],
         jsonb_build_object('id', 'id-' || g, 'kind', 'log', 'timestamp', ts, 'level', 'info',
           'message', 'event ' || g, 'service', 'svc', 'tags', jsonb_build_array($1::text),
           'attributes', jsonb_build_object('pad', $2::text, 'n', g))
    FROM (SELECT g, $3::timestamptz + g * interval '1 ms' AS ts FROM generate_series(1, 100000) g) s`

const exportSchema = uniqueSchema()
const engines: [string, () => Promise<Engine>][] = [
  ['pglite', () => openPglite('memory', exportSchema)],
]
const pgUrl = PG_URL
if (pgUrl) engines.push(['postgres', () => openPostgres(pgUrl, exportSchema, 2)])

describe.each(engines)('store.export of 100k rows [%s]', (name, open) => {
  let engine: Engine
  beforeAll(async () => {
    engine = await open()
    await migrate(engine, exportSchema)
    const day = new Date().toISOString().slice(0, 10)
    await partitions(engine, exportSchema).ensure([day])
    await engine.query(GENERATE, ['bulk', 'x'.repeat(800), `${day}T00:00:00Z`])
    await engine.exec('ANALYZE events')
  }, 120_000)
  afterAll(async () => {
    await engine.close()
    if (name === 'postgres') await dropSchema(exportSchema)
  })

  it('streams in pages, with live memory bounded far below the export size', async () => {
    // Live heap, not garbage awaiting collection: collect before each sample.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    const before = process.memoryUsage().heapUsed
    let peak = 0
    let bytes = 0
    let rows = 0
    let chunks = 0
    for await (const chunk of exportEvents(engine, { tags: 'bulk', format: 'csv' }, new Date())) {
      chunks++
      bytes += chunk.length
      rows += chunk.split('\r\n').length - 1
      if (chunks % 10 === 0) {
        gc()
        peak = Math.max(peak, process.memoryUsage().heapUsed - before)
      }
    }
    expect(rows).toBe(100_001)
    expect(chunks).toBeGreaterThanOrEqual(50)
    expect(bytes).toBeGreaterThan(90_000_000)
    // Holding the export would take > 90 MB of string; one page is about 2 MB.
    expect(peak).toBeLessThan(20_000_000)
  }, 120_000)
})
