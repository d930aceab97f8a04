// Ingest refuses events timestamped outside the accepted window, one by one.
import { ThreadlineConfigError } from '@threadline/core'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createServer } from '../src/index.js'
import { event } from './helpers.js'

const DAY = 86_400_000
let store: Store
beforeAll(async () => {
  store = await createStore({ dataDir: 'memory' })
}, 60_000)
afterAll(() => store.close())

it('refuses events older than a year or more than a day ahead, keeping their neighbours', async () => {
  const server = await createServer({ store, port: 0 })
  try {
    const now = Date.now()
    const events = [
      event({ message: 'ok 0' }),
      event({ timestamp: new Date(now - 400 * DAY).toISOString() }),
      event({ message: 'ok 2', timestamp: new Date(now - 300 * DAY).toISOString() }),
      event({ timestamp: new Date(now + 2 * DAY).toISOString() }),
      { ...event(), level: 'loud' }, // refused by the store, after the window
      event({ timestamp: '1970-01-02T00:00:00.000Z' }),
      event({ message: 'ok 6', timestamp: new Date(now + 3_600_000).toISOString() }),
    ]
    const r = await server.app.inject({ method: 'POST', url: '/v1/events', payload: events })
    expect(r.statusCode).toBe(200)
    const body = r.json() as {
      accepted: number
      rejected: { index: number; id: string; reason: string }[]
    }
    expect(body.accepted).toBe(3)
    // indexes are the request's, in order, whichever check refused the event
    expect(body.rejected.map((x) => x.index)).toEqual([1, 3, 4, 5])
    expect(body.rejected.map((x) => x.id)).toEqual([1, 3, 4, 5].map((i) => events[i]!.id))
    expect(body.rejected[0]!.reason).toMatch(/older than this server accepts/)
    expect(body.rejected[1]!.reason).toMatch(/ahead of this server's clock/)
    expect(body.rejected[2]!.reason).toMatch(/level/)
    const stored = await store.query({ limit: 10 })
    expect(stored.events.map((e) => e.message).sort()).toEqual(['ok 0', 'ok 2', 'ok 6'])
    // /metrics counts them as rejected
    const metrics = (await server.app.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(/outcome="rejected"[^\n]* 4\b/)
  } finally {
    await server.close()
  }
})

it('OTLP records outside the window count in the partial success', async () => {
  const server = await createServer({ store, port: 0 })
  try {
    const nano = (ms: number) => `${BigInt(ms) * 1_000_000n}`
    const r = await server.app.inject({
      method: 'POST',
      url: '/v1/logs',
      payload: {
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'otel' } }] },
            scopeLogs: [
              {
                logRecords: [
                  { timeUnixNano: nano(Date.now()), body: { stringValue: 'now' } },
                  { timeUnixNano: nano(Date.now() - 800 * DAY), body: { stringValue: 'old' } },
                ],
              },
            ],
          },
        ],
      },
    })
    expect(r.statusCode).toBe(200)
    expect(r.json()).toMatchObject({ partialSuccess: { rejectedLogRecords: 1 } })
    expect(r.json().partialSuccess.errorMessage).toMatch(/older than this server accepts/)
  } finally {
    await server.close()
  }
})

it('is configurable, and checks its options', async () => {
  const open = await createServer({ store, port: 0, maxEventAgeMs: Infinity })
  try {
    const old = event({ timestamp: '2001-09-09T01:46:40.000Z' })
    const r = await open.app.inject({ method: 'POST', url: '/v1/events', payload: [old] })
    expect(r.json()).toMatchObject({ accepted: 1, rejected: [] })
  } finally {
    await open.close()
  }
  await expect(createServer({ store, port: 0, maxEventAheadMs: -1 })).rejects.toThrow(
    ThreadlineConfigError,
  )
  await expect(createServer({ store, port: 0, maxEventAgeMs: Number.NaN })).rejects.toThrow(
    /maxEventAgeMs/,
  )
})

it('serve rejects a bad --max-event-age before opening anything', async () => {
  let err = ''
  const io = {
    stdout: { write: () => true },
    stderr: { write: (s: string) => ((err += s), true) },
    env: {},
    color: false,
  }
  expect(await main(['serve', '--port', '0', '--max-event-age', 'forever'], io)).toBe(2)
  expect(err).toMatch(/--max-event-age: expected a duration like 90m, 24h or 14d, got 'forever'/)
})
