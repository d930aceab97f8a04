/**
 * The vendor exporters against contract fakes of their intakes (see vendor-fakes.ts: no
 * real Datadog, Splunk or CloudWatch can run here). Every behaviour common to the four is
 * checked for each; the intake-specific limits and formats below.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'

import { createLogger } from '../src/logger.js'
import type { Logger } from '../src/logger.js'
import { serializeEvent } from '../src/pipeline.js'
import { uuidv7 } from '../src/ids.js'
import { cloudwatchExporter } from '../src/exporters/cloudwatch.js'
import { datadogExporter, datadogId } from '../src/exporters/datadog.js'
import type { VendorCommonOptions, VendorExporter } from '../src/exporters/intake.js'
import { splunkExporter } from '../src/exporters/splunk.js'
import { signWebhook, verifyWebhookSignature, webhookExporter } from '../src/exporters/webhook.js'
import { vendorExporter } from '../src/exporters/vendor.js'
import { ThreadlineConfigError } from '../src/errors.js'
import type { ExportRecord, ExportResult, ThreadlineEvent } from '../src/types.js'
import {
  accountingErrors,
  waitFor,
  AWS_CREDS,
  DD_KEY,
  SPLUNK_TOKEN,
  WEBHOOK_SECRET,
  closeFakes,
  cloudwatchFake,
  datadogFake,
  splunkFake,
  webhookFake,
} from './vendor-fakes.js'
import type { Fake } from './vendor-fakes.js'

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

const loggers: Logger[] = []
afterEach(async () => {
  for (const l of loggers.splice(0)) await l.shutdown(1000)
  await closeFakes()
})

function record(over: Partial<ThreadlineEvent> = {}): ExportRecord {
  const event: ThreadlineEvent = {
    id: uuidv7(),
    kind: 'log',
    timestamp: new Date().toISOString(),
    level: 'info',
    message: 'hello',
    service: 'svc',
    ...over,
  }
  return { event, json: serializeEvent(event) }
}
const records = (n: number, over: Partial<ThreadlineEvent> = {}): ExportRecord[] =>
  Array.from({ length: n }, () => record(over))

function failure(r: ExportResult): Extract<ExportResult, { ok: false }> {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`)
  return r
}

/** Fast retries for tests. */
const FAST: VendorCommonOptions = {
  initialBackoffMs: 5,
  maxBackoffMs: 20,
  maxRetryMs: 5000,
  timeoutMs: 2000,
}

interface Case {
  name: string
  fake(): Promise<Fake>
  make(fake: Fake, o?: Record<string, unknown>): VendorExporter
  /** Options that make `fourInTwo` go as 2 requests, the first of `first` events. */
  twoParts: Record<string, unknown>
  first?: number
  /** Timestamps of the batch for `twoParts` (CloudWatch splits by time span). */
  partsOver?: Partial<ThreadlineEvent>[]
}

const CASES: Case[] = [
  {
    name: 'datadog',
    fake: datadogFake,
    make: (f, o = {}) => datadogExporter({ ...FAST, apiKey: DD_KEY, url: f.url, ...o }),
    // 1,000 entries per payload at most
    twoParts: {},
    first: 1000,
  },
  {
    name: 'splunk',
    fake: () => splunkFake(),
    make: (f, o = {}) => splunkExporter({ ...FAST, token: SPLUNK_TOKEN, url: f.url, ...o }),
    twoParts: { maxEventsPerRequest: 2 },
  },
  {
    name: 'cloudwatch',
    fake: () => cloudwatchFake({ group: 'app', stream: 's1' }),
    make: (f, o = {}) =>
      cloudwatchExporter({
        ...FAST,
        logGroupName: 'app',
        logStreamName: 's1',
        region: 'eu-west-1',
        credentials: AWS_CREDS,
        url: f.url,
        ...o,
      }),
    twoParts: {},
    // two days apart: no request may span more than 24 h
    partsOver: [
      { timestamp: new Date(Date.now() - 49 * 3600e3).toISOString() },
      { timestamp: new Date(Date.now() - 48.5 * 3600e3).toISOString() },
      { timestamp: new Date(Date.now() - 1000).toISOString() },
      { timestamp: new Date(Date.now() - 500).toISOString() },
    ],
  },
  {
    name: 'webhook',
    fake: () => webhookFake({ secret: WEBHOOK_SECRET }),
    make: (f, o = {}) => webhookExporter({ ...FAST, url: f.url, secret: WEBHOOK_SECRET, ...o }),
    twoParts: { maxEventsPerRequest: 2 },
  },
]

/** A 4-event batch that the case sends as 2 requests of 2. */
function fourInTwo(c: Case): ExportRecord[] {
  return c.partsOver ? c.partsOver.map((o) => record(o)) : records(c.first ? c.first + 2 : 4)
}

describe.each(CASES)('$name exporter (contract fake)', (c) => {
  it('delivers a batch the intake accepts, with every id', async () => {
    const fake = await c.fake()
    const ex = c.make(fake)
    const batch = records(5)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(fake.ids).toEqual(batch.map((r) => r.event.id))
    expect(ex.stats()).toMatchObject({ name: c.name, delivered: 5, breaker: 'closed', requests: 1 })
  })

  it('retries 429 and 5xx, and a reset connection, then delivers', async () => {
    const fake = await c.fake()
    const ex = c.make(fake)
    fake.script.push(
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 503 },
      { reset: true },
    )
    const batch = records(3)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(fake.ids).toEqual(batch.map((r) => r.event.id))
    expect(ex.stats().retries).toBe(3)
  })

  it('gives up at once when Retry-After is past the retry budget', async () => {
    const fake = await c.fake()
    const ex = c.make(fake, { maxRetryMs: 1000 })
    fake.script.push({ status: 429, headers: { 'retry-after': '120' } })
    const r = failure(await ex.export(records(2)))
    expect(r.reason).toBe('retry_exhausted')
    expect(String(r.error)).toContain('Retry-After')
    expect(fake.requests).toHaveLength(1)
  })

  it('retries a response slower than timeoutMs', async () => {
    const fake = await c.fake()
    const ex = c.make(fake, { timeoutMs: 150 })
    fake.script.push({ delayMs: 1000 }, { pass: true })
    const batch = records(2)
    expect(await ex.export(batch)).toEqual({ ok: true })
    for (const r of batch) expect(fake.ids).toContain(r.event.id)
  })

  it('does not retry a rejection, and says why without the credential', async () => {
    const fake = await c.fake()
    const ex = c.make(fake)
    fake.script.push({ status: 400, body: { message: 'bad payload' } })
    const r = failure(await ex.export(records(2)))
    expect(r.reason).toBe('rejected')
    expect(fake.requests).toHaveLength(1)
    const text = JSON.stringify(ex.stats()) + String(r.error)
    for (const secret of [DD_KEY, SPLUNK_TOKEN, AWS_CREDS.secretAccessKey, WEBHOOK_SECRET])
      expect(text).not.toContain(secret)
    expect(ex.stats().dropped).toEqual({ rejected: 2 })
  })

  it('reports a partial failure: the parts already sent count as delivered', async () => {
    const fake = await c.fake()
    const ex = c.make(fake, c.twoParts)
    fake.script.push({ pass: true }, { status: 400, body: {} })
    const batch = fourInTwo(c)
    const r = failure(await ex.export(batch))
    const first = c.first ?? 2
    expect(r).toMatchObject({ reason: 'rejected', delivered: first })
    expect(fake.requests).toHaveLength(2)
    expect(fake.ids).toHaveLength(first)
    expect(ex.stats()).toMatchObject({ delivered: first, dropped: { rejected: 2 } })
  })

  it('opens the breaker after repeated failures, refuses at once, probes half-open, closes', async () => {
    const fake = await c.fake()
    const ex = c.make(fake, { maxAttempts: 1, breaker: { failureThreshold: 2, openMs: 30 } })
    fake.always = { status: 503 }
    expect(failure(await ex.export(records(1))).reason).toBe('retry_exhausted')
    expect(failure(await ex.export(records(1))).reason).toBe('retry_exhausted')
    expect(ex.stats().breaker).toBe('open')
    const before = fake.requests.length
    expect(failure(await ex.export(records(3))).reason).toBe('breaker_open')
    expect(fake.requests.length).toBe(before)
    await waitFor(() => ex.stats().breaker === 'half_open')
    // a failed probe opens it again
    expect(failure(await ex.export(records(1))).reason).toBe('retry_exhausted')
    expect(ex.stats().breaker).toBe('open')
    fake.always = undefined
    await waitFor(() => ex.stats().breaker === 'half_open', 5000)
    expect(await ex.export(records(1))).toEqual({ ok: true })
    expect(ex.stats()).toMatchObject({
      breaker: 'closed',
      breakerOpened: 2,
      consecutiveFailures: 0,
    })
    expect(ex.stats().dropped).toEqual({ retry_exhausted: 3, breaker_open: 3 })
  })

  it('through a logger: a burst over the queue is dropped and counted, the rest delivered', async () => {
    const fake = await c.fake()
    const ex = c.make(fake)
    const log = createLogger({
      service: 'burst',
      exporters: [ex],
      hookProcess: false,
      batch: { maxQueueSize: 100, maxBatchSize: 50, flushIntervalMs: 10_000 },
    })
    loggers.push(log)
    for (let i = 0; i < 500; i++) log.info('burst', { i })
    await log.flush(10_000)
    const stats = log.stats()
    expect(accountingErrors(stats)).toEqual([])
    const s = stats.exporters[0]!
    expect(s.dropped['queue_full']).toBeGreaterThan(0)
    expect(s.delivered).toBe(fake.ids.length)
    expect(s.delivered + (s.dropped['queue_full'] ?? 0)).toBe(500)
  })

  it('through a logger: an intake down for good ends in counted drops, and the identity holds', async () => {
    const fake = await c.fake()
    fake.always = { status: 500 }
    const ex = c.make(fake, { maxAttempts: 2, breaker: { failureThreshold: 1, openMs: 60_000 } })
    const log = createLogger({
      service: 'down',
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 10, flushIntervalMs: 10_000 },
    })
    loggers.push(log)
    for (let i = 0; i < 35; i++) log.info('x', { i })
    await log.flush(10_000)
    const stats = log.stats()
    expect(accountingErrors(stats)).toEqual([])
    expect(stats.exporters[0]!.dropped).toEqual({ retry_exhausted: 10, breaker_open: 25 })
    expect(ex.stats().dropped).toEqual({ retry_exhausted: 10, breaker_open: 25 })
  })
})

// ---------------------------------------------------------------- Datadog specifics

describe('datadogExporter', () => {
  it('sends DD-API-KEY, gzip, ddsource/service/hostname/ddtags/status and dd.trace_id/dd.span_id', async () => {
    const fake = await datadogFake()
    const ex = datadogExporter({
      apiKey: DD_KEY,
      url: fake.url,
      hostname: 'h1',
      ddtags: 'team:obs',
    })
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const spanId = '00f067aa0ba902b7'
    const r = record({
      trace_id: traceId,
      span_id: spanId,
      environment: 'prod',
      service_version: '1.2',
      tags: ['a', 'b'],
      level: 'warn',
    })
    expect(await ex.export([r])).toEqual({ ok: true })
    const req = fake.requests[0]!
    expect(req.headers['content-encoding']).toBe('gzip')
    expect(req.path).toBe('/api/v2/logs')
    const [entry] = JSON.parse(req.raw) as Record<string, unknown>[]
    expect(entry).toMatchObject({
      ddsource: 'nodejs',
      service: 'svc',
      hostname: 'h1',
      ddtags: 'team:obs,env:prod,version:1.2,a,b',
      status: 'warn',
      message: 'hello',
      'dd.trace_id': BigInt('0xa3ce929d0e0e4736').toString(),
      'dd.span_id': BigInt('0x00f067aa0ba902b7').toString(),
      trace_id: traceId,
    })
    expect(datadogId('0000000000000000')).toBeUndefined()
  })

  it('selects the intake host from the site, and url overrides it', () => {
    expect(() => datadogExporter({ apiKey: 'k', site: 'datadoghq.eu' })).not.toThrow()
    expect(() => datadogExporter({ apiKey: 'k', site: 'bad site/' })).toThrow(ThreadlineConfigError)
    expect(() => datadogExporter({ apiKey: '' })).toThrow(/apiKey is required/)
  })

  it('splits at 1,000 entries and at 5 MB per payload, never above', async () => {
    const fake = await datadogFake()
    const ex = datadogExporter({ ...FAST, apiKey: DD_KEY, url: fake.url })
    expect(await ex.export(records(2500))).toEqual({ ok: true })
    expect(fake.requests.map((r) => (JSON.parse(r.raw) as unknown[]).length)).toEqual([
      1000, 1000, 500,
    ])
    fake.requests.length = 0
    const big = records(12, { message: 'x'.repeat(900 * 1024) })
    expect(await ex.export(big)).toEqual({ ok: true })
    for (const r of fake.requests)
      expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(5 * 1024 * 1024)
    expect(fake.requests.length).toBe(3)
    expect(fake.ids).toHaveLength(2500 + 12)
  })

  it('truncates an entry over 1 MB with a marker, or drops and counts it', async () => {
    const fake = await datadogFake()
    const ex = datadogExporter({ apiKey: DD_KEY, url: fake.url })
    const huge = record({ message: 'y'.repeat(2 * 1024 * 1024), attributes: { a: 1 } })
    expect(await ex.export([huge, record()])).toEqual({ ok: true })
    const [entry] = JSON.parse(fake.requests[0]!.raw) as Record<string, unknown>[]
    expect((entry!['attributes'] as Record<string, string>)['threadline.truncated']).toMatch(
      /exceeded the datadog limit/,
    )
    expect(String(entry!['message'])).toMatch(/…\[truncated \d+ chars\]$/)
    expect(ex.stats().truncated).toBe(1)

    const dropper = datadogExporter({ apiKey: DD_KEY, url: fake.url, oversized: 'drop' })
    expect(await dropper.export([huge, record()])).toEqual({ ok: true, rejected: 1 })
    expect(dropper.stats()).toMatchObject({ delivered: 1, dropped: { too_large: 1 } })
  })

  it('halves a request the intake answers 413', async () => {
    const fake = await datadogFake()
    const ex = datadogExporter({ ...FAST, apiKey: DD_KEY, url: fake.url })
    fake.script.push({ status: 413 })
    const batch = records(10)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(fake.requests.map((r) => r.status)).toEqual([413, 202, 202])
    expect(fake.ids).toEqual(batch.map((r) => r.event.id))
  })

  it('a wrong key is a rejection (403) that also counts towards the breaker', async () => {
    const fake = await datadogFake()
    const ex = datadogExporter({ apiKey: 'wrong', url: fake.url, breaker: { failureThreshold: 1 } })
    expect(failure(await ex.export(records(1))).reason).toBe('rejected')
    expect(ex.stats().breaker).toBe('open')
  })
})

// ---------------------------------------------------------------- Splunk specifics

describe('splunkExporter', () => {
  it('sends newline-separated event objects with time in seconds, host/source/sourcetype/index', async () => {
    const fake = await splunkFake()
    const ex = splunkExporter({ token: SPLUNK_TOKEN, url: fake.url, index: 'main', host: 'h1' })
    const batch = records(3)
    expect(await ex.export(batch)).toEqual({ ok: true })
    const req = fake.requests[0]!
    expect(req.path).toBe('/services/collector/event')
    expect(req.headers['authorization']).toBe(`Splunk ${SPLUNK_TOKEN}`)
    const lines = req.raw.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatchObject({
      host: 'h1',
      source: 'threadline',
      sourcetype: '_json',
      index: 'main',
      event: batch[0]!.event,
    })
    expect(lines[0]!['time']).toBeCloseTo(Date.parse(batch[0]!.event.timestamp) / 1000, 3)
  })

  it('with indexer acknowledgement, counts a batch delivered only once acknowledged', async () => {
    const fake = await splunkFake({ ack: true })
    fake.ackDelayPolls = 2
    const ex = splunkExporter({ token: SPLUNK_TOKEN, url: fake.url, ack: true, ackPollMs: 5 })
    expect(await ex.export(records(2))).toEqual({ ok: true })
    const acks = fake.requests.filter((r) => r.path.startsWith('/services/collector/ack'))
    expect(acks).toHaveLength(3)
    expect(fake.requests[0]!.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f-]{36}$/)
    expect(acks[0]!.path).toContain(
      `channel=${String(fake.requests[0]!.headers['x-splunk-request-channel'])}`,
    )
  })

  it('retries a batch never acknowledged within timeoutMs', async () => {
    const fake = await splunkFake({ ack: true })
    fake.ackDelayPolls = 1_000_000
    const ex = splunkExporter({
      ...FAST,
      token: SPLUNK_TOKEN,
      url: fake.url,
      ack: true,
      ackPollMs: 5,
      timeoutMs: 100,
      maxAttempts: 2,
    })
    const r = failure(await ex.export(records(1)))
    expect(r.reason).toBe('retry_exhausted')
    expect(fake.requests.filter((q) => q.path === '/services/collector/event')).toHaveLength(2)
  })

  it('halves on 413 below its own request cap, and refuses a wrong token (403) with the HEC message', async () => {
    const fake = await splunkFake({ maxContentLength: 2000 })
    const ex = splunkExporter({ ...FAST, token: SPLUNK_TOKEN, url: fake.url })
    const batch = records(20)
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(fake.ids).toEqual(batch.map((r) => r.event.id))
    expect(fake.requests.some((r) => r.status === 413)).toBe(true)
    const bad = splunkExporter({ token: 'nope', url: fake.url })
    expect(String(failure(await bad.export(records(1))).error)).toContain('Invalid token (code 4)')
  })

  it.runIf(hasOpenssl)(
    'verifies TLS certificates: a self-signed HEC is refused, not trusted',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tl-tls-'))
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-keyout',
          join(dir, 'k.pem'),
          '-out',
          join(dir, 'c.pem'),
        ],
        { stdio: 'ignore' },
      )
      let requests = 0
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
        (_req, res) => {
          requests++
          res.end('{"text":"Success","code":0}')
        },
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
      const port = (server.address() as AddressInfo).port
      try {
        const ex = splunkExporter({
          token: SPLUNK_TOKEN,
          url: `https://127.0.0.1:${port}`,
          maxAttempts: 1,
        })
        const r = failure(await ex.export(records(1)))
        expect(r.reason).toBe('retry_exhausted')
        expect(String(r.error)).toMatch(/self[- ]signed|SELF_SIGNED/i)
        expect(requests).toBe(0)
      } finally {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  it('needs a url and a token', () => {
    expect(() => splunkExporter({ token: 't' })).toThrow(/url is required/)
    expect(() => splunkExporter({ url: 'https://splunk:8088', token: '' })).toThrow(
      /token is required/,
    )
  })
})

// ---------------------------------------------------------------- CloudWatch specifics

describe('cloudwatchExporter', () => {
  const make = (f: Fake, o: Record<string, unknown> = {}): VendorExporter =>
    cloudwatchExporter({
      ...FAST,
      logGroupName: 'app',
      logStreamName: 's1',
      region: 'eu-west-1',
      credentials: AWS_CREDS,
      url: f.url,
      ...o,
    })

  it('signs with SigV4, creates the missing group and stream, sorts events by time', async () => {
    const fake = await cloudwatchFake()
    const ex = make(fake)
    const t = Date.now()
    const batch = [2, 0, 1].map((k) =>
      record({ timestamp: new Date(t - 1000 + k).toISOString(), message: `m${k}` }),
    )
    expect(await ex.export(batch)).toEqual({ ok: true })
    expect(fake.groups.has('app')).toBe(true)
    expect(fake.streams.has('app/s1')).toBe(true)
    expect(fake.events.map((e) => (JSON.parse(e.message) as ThreadlineEvent).message)).toEqual([
      'm0',
      'm1',
      'm2',
    ])
    expect(fake.events[0]!.timestamp).toBe(t - 1000)
  })

  it('a wrong secret fails the signature check (403, rejected)', async () => {
    const fake = await cloudwatchFake({ group: 'app', stream: 's1' })
    const ex = make(fake, { credentials: { ...AWS_CREDS, secretAccessKey: 'wrong' } })
    const r = failure(await ex.export(records(1)))
    expect(r.reason).toBe('rejected')
    expect(String(r.error)).toContain('InvalidSignatureException')
  })

  it('splits exactly at 1,048,576 bytes counting 26 bytes per event, and at 10,000 events', async () => {
    const fake = await cloudwatchFake({ group: 'app', stream: 's1' })
    const ex = make(fake)
    // lines of exactly 4070 bytes: 4096 with the overhead, so 256 fill a request to the byte
    const base = record({ message: '' })
    const pad = 4070 - Buffer.byteLength(base.json)
    const batch = records(300, { message: 'z'.repeat(pad) })
    for (const r of batch) expect(Buffer.byteLength(r.json)).toBe(4070)
    expect(await ex.export(batch)).toEqual({ ok: true })
    const sizes = fake.requests.map(
      (r) => (JSON.parse(r.raw) as { logEvents: unknown[] }).logEvents.length,
    )
    expect(sizes).toEqual([256, 44])
    fake.requests.length = 0
    // short lines, so the count limit binds before the byte limit
    const tiny = records(12_000).map((r, i) => ({ event: r.event, json: `{"id":"${i}"}` }))
    expect(await ex.export(tiny)).toEqual({ ok: true })
    expect(
      fake.requests.map((r) => (JSON.parse(r.raw) as { logEvents: unknown[] }).logEvents.length),
    ).toEqual([10_000, 2000])
  })

  it('retries ThrottlingException, and counts events CloudWatch refuses as too old', async () => {
    const fake = await cloudwatchFake({ group: 'app', stream: 's1' })
    const ex = make(fake)
    fake.script.push({
      status: 400,
      body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
    })
    const old = record({ timestamp: new Date(Date.now() - 20 * 24 * 3600e3).toISOString() })
    expect(await ex.export([old, record(), record()])).toEqual({ ok: true, rejected: 1 })
    expect(ex.stats()).toMatchObject({ delivered: 2, retries: 1, dropped: { rejected: 1 } })
  })

  it('truncates an event over 256 KB with a marker', async () => {
    const fake = await cloudwatchFake({ group: 'app', stream: 's1' })
    const ex = make(fake)
    expect(await ex.export([record({ message: 'q'.repeat(300 * 1024) })])).toEqual({ ok: true })
    const ev = JSON.parse(fake.events[0]!.message) as ThreadlineEvent
    expect(ev.attributes?.['threadline.truncated']).toMatch(/cloudwatch limit of 262118 bytes/)
  })
})

// ---------------------------------------------------------------- webhook specifics

describe('webhookExporter', () => {
  it('posts a JSON array signed over timestamp and body; a receiver checks it', async () => {
    const fake = await webhookFake({ secret: WEBHOOK_SECRET })
    const ex = webhookExporter({ url: fake.url, secret: WEBHOOK_SECRET })
    const batch = records(2)
    expect(await ex.export(batch)).toEqual({ ok: true })
    const req = fake.requests[0]!
    expect(JSON.parse(req.raw)).toEqual(batch.map((r) => r.event))
    expect(req.headers['x-threadline-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    const wrong = webhookExporter({ url: fake.url, secret: 'other' })
    expect(failure(await wrong.export(records(1))).reason).toBe('rejected')
  })

  it('refuses a replayed (old) or altered signature', () => {
    const body = '[{"id":"1"}]'
    const old = signWebhook(body, 's', Math.floor(Date.now() / 1000) - 3600)
    expect(verifyWebhookSignature(body, old, 's')).toBe(false)
    const now = signWebhook(body, 's')
    expect(verifyWebhookSignature(body, now, 's')).toBe(true)
    expect(verifyWebhookSignature(body + ' ', now, 's')).toBe(false)
    expect(verifyWebhookSignature(body, undefined, 's')).toBe(false)
  })
})

// ---------------------------------------------------------------- vendorExporter

describe('vendorExporter (for the server integrations)', () => {
  it('builds each type from snake_case config and credentials', async () => {
    const dd = await datadogFake()
    const ex = vendorExporter(
      'datadog',
      { url: dd.url, ddtags: 'a:b', breaker_failure_threshold: 3 },
      { api_key: DD_KEY },
    )
    expect(ex.name).toBe('datadog')
    expect(await ex.export(records(1))).toEqual({ ok: true })
    const cw = await cloudwatchFake()
    const c = vendorExporter(
      'cloudwatch',
      { url: cw.url, region: 'eu-west-1', log_group_name: 'g', log_stream_name: 's' },
      { access_key_id: AWS_CREDS.accessKeyId, secret_access_key: AWS_CREDS.secretAccessKey },
    )
    expect(await c.export(records(1))).toEqual({ ok: true })
    expect(
      vendorExporter('splunk', { url: 'https://s:8088', ack: true }, { token: 't' }).name,
    ).toBe('splunk')
    expect(vendorExporter('webhook', { url: 'https://example.com/h' }).name).toBe('webhook')
  })

  it('refuses unknown keys, wrong types and missing credentials without echoing secrets', () => {
    expect(() => vendorExporter('datadog', { sitee: 'x' }, { api_key: 'k' })).toThrow(
      /unknown config key "sitee"/,
    )
    expect(() => vendorExporter('datadog', { site: 3 }, { api_key: 'k' })).toThrow(
      /config.site must be a string/,
    )
    expect(() => vendorExporter('splunk', { url: 'https://s' }, {})).toThrow(
      /credentials.token is required/,
    )
    expect(() => vendorExporter('otlp' as 'datadog')).toThrow(/integration type/)
    expect(() =>
      vendorExporter(
        'cloudwatch',
        { log_group_name: 'g' },
        { access_key_id: 'a', secret_access_key: 's' },
      ),
    ).toThrow(/config.region is required/)
    expect(() => vendorExporter('webhook', {})).toThrow(/config.url is required/)
    try {
      vendorExporter('datadog', {}, { api_key: 'k\nsecret-value' })
    } catch (err) {
      expect(String(err)).not.toContain('secret-value')
    }
  })
})
