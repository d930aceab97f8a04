/**
 * Contract fakes of the vendor intakes, on loopback (node:http, port 0). Real Datadog,
 * Splunk and CloudWatch cannot run here, so each fake implements its intake as documented:
 * authentication, payload shape and the documented limits (answered with the status the
 * vendor documents), and can be scripted to answer 429 with `Retry-After`, 5xx, slowly, or
 * by resetting the connection.
 */
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

import aws4 from 'aws4'

import { verifyWebhookSignature } from '../src/exporters/webhook.js'
import type { PipelineStats } from '../src/types.js'

/** One scripted answer, used for the next request instead of the normal handling. */
export type Step =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  | { reset: true }
  /** Wait, then take the next step (or handle normally). */
  | { delayMs: number }
  /** Handle normally. */
  | { pass: true }

export interface FakeRequest {
  path: string
  headers: IncomingHttpHeaders
  /** The body, decompressed. */
  raw: string
  status: number
}

export interface Fake {
  url: string
  port: number
  requests: FakeRequest[]
  /** Event ids accepted, in order of arrival. */
  ids: string[]
  /** Answers for the next requests, in order (then normal handling). */
  script: Step[]
  /** Answer every request with this while set. */
  always: Step | undefined
  /** Called as each request arrives, before any scripted delay. */
  onRequest: (() => void) | undefined
  close(): Promise<void>
}

interface Answer {
  status: number
  body: unknown
  headers?: Record<string, string>
  ids?: string[]
}

type Handle = (path: string, headers: IncomingHttpHeaders, raw: string, fake: Fake) => Answer

const fakes: Fake[] = []

export async function closeFakes(): Promise<void> {
  for (const f of fakes.splice(0)) await f.close()
}

async function startFake(handle: Handle): Promise<Fake> {
  const fake: Fake = {
    url: '',
    port: 0,
    requests: [],
    ids: [],
    script: [],
    always: undefined,
    onRequest: undefined,
    close: async () => undefined,
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    fake.onRequest?.()
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => undefined)
    req.on('end', () => {
      void (async () => {
        let step = fake.always ?? fake.script.shift()
        while (step && 'delayMs' in step) {
          await new Promise((r) => setTimeout(r, step && 'delayMs' in step ? step.delayMs : 0))
          step = fake.always && !('delayMs' in fake.always) ? fake.always : fake.script.shift()
        }
        if (res.destroyed) return
        if (step && 'pass' in step) step = undefined
        if (step && 'reset' in step) {
          req.socket.destroy()
          return
        }
        let raw: string
        try {
          const buf = Buffer.concat(chunks)
          raw = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(buf) : buf).toString()
        } catch {
          raw = ''
        }
        const path = req.url ?? '/'
        const a: Answer = step
          ? {
              status: step.status,
              body: step.body ?? {},
              ...(step.headers ? { headers: step.headers } : {}),
            }
          : handle(path, req.headers, raw, fake)
        fake.requests.push({ path, headers: req.headers, raw, status: a.status })
        if (a.ids) fake.ids.push(...a.ids)
        res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
        res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body))
      })()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  fake.port = (server.address() as AddressInfo).port
  fake.url = `http://127.0.0.1:${fake.port}`
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  fakes.push(fake)
  return fake
}

const MB = 1024 * 1024

// ---------------------------------------------------------------- Datadog logs intake v2

export const DD_KEY = 'dd-test-key-0123456789'

/**
 * Datadog `POST /api/v2/logs`: `DD-API-KEY` (403 otherwise), a JSON array of at most 1,000
 * entries, at most 5 MB uncompressed (413 above), at most 1 MB per entry; answers 202 `{}`.
 * (The real intake truncates an entry over 1 MB; the fake refuses it with 400, so a test
 * notices one being sent.)
 */
export function datadogFake(): Promise<Fake> {
  return startFake((path, headers, raw) => {
    if (path !== '/api/v2/logs') return { status: 404, body: { errors: ['Not found'] } }
    if (headers['dd-api-key'] !== DD_KEY) return { status: 403, body: { errors: ['Forbidden'] } }
    if (Buffer.byteLength(raw) > 5 * MB)
      return { status: 413, body: { errors: ['Payload too large'] } }
    let arr: unknown
    try {
      arr = JSON.parse(raw)
    } catch {
      return { status: 400, body: { errors: ['Bad Request: invalid JSON'] } }
    }
    if (!Array.isArray(arr)) return { status: 400, body: { errors: ['Bad Request: not an array'] } }
    if (arr.length > 1000)
      return { status: 400, body: { errors: ['Bad Request: over 1000 entries'] } }
    const ids: string[] = []
    for (const e of arr as Record<string, unknown>[]) {
      if (Buffer.byteLength(JSON.stringify(e)) > MB)
        return { status: 400, body: { errors: ['Bad Request: entry over 1 MB'] } }
      if (typeof e['message'] !== 'string' || typeof e['ddsource'] !== 'string')
        return { status: 400, body: { errors: ['Bad Request: message and ddsource expected'] } }
      ids.push(String(e['id']))
    }
    return { status: 202, body: {}, ids }
  })
}

// ---------------------------------------------------------------- Splunk HEC

export const SPLUNK_TOKEN = '11111111-2222-3333-4444-555555555555'

export interface SplunkFake extends Fake {
  /** With ack on: ack ids answered `false` this many polls before `true`. */
  ackDelayPolls: number
}

/**
 * Splunk HEC `POST /services/collector/event`: `Authorization: Splunk <token>` (401 code 2
 * when missing, 403 code 4 when wrong), event objects concatenated (newlines allowed), each
 * with an `event` field (400 code 12), body at most `maxContentLength` (413). With `ack`,
 * `X-Splunk-Request-Channel` is required (400 code 10), answers carry an `ackId`, and
 * `POST /services/collector/ack?channel=` answers `{"acks":{"<id>":true}}`.
 */
export async function splunkFake(
  opts: { ack?: boolean; maxContentLength?: number } = {},
): Promise<SplunkFake> {
  const { ack = false, maxContentLength = 1_000_000 } = opts
  let nextAck = 0
  const polls = new Map<number, number>()
  const f = (await startFake((path, headers, raw, fake) => {
    const auth = headers['authorization']
    if (!auth) return { status: 401, body: { text: 'Token is required', code: 2 } }
    if (auth !== `Splunk ${SPLUNK_TOKEN}`)
      return { status: 403, body: { text: 'Invalid token', code: 4 } }
    const channel = headers['x-splunk-request-channel']
    if (path.startsWith('/services/collector/ack')) {
      const { acks } = JSON.parse(raw) as { acks: number[] }
      const out: Record<string, boolean> = {}
      for (const id of acks) {
        const n = (polls.get(id) ?? 0) + 1
        polls.set(id, n)
        out[String(id)] = n > (fake as SplunkFake).ackDelayPolls
      }
      return { status: 200, body: { acks: out } }
    }
    if (path !== '/services/collector/event')
      return {
        status: 404,
        body: { text: 'The requested URL was not found on this server.', code: 404 },
      }
    if (ack && !channel) return { status: 400, body: { text: 'Data channel is missing', code: 10 } }
    if (Buffer.byteLength(raw) > maxContentLength)
      return { status: 413, body: { text: 'Content length too large', code: 413 } }
    const lines = raw.split('\n').filter((l) => l.trim() !== '')
    if (lines.length === 0) return { status: 400, body: { text: 'No data', code: 5 } }
    const ids: string[] = []
    for (let i = 0; i < lines.length; i++) {
      let o: Record<string, unknown>
      try {
        o = JSON.parse(lines[i]!) as Record<string, unknown>
      } catch {
        return {
          status: 400,
          body: { text: 'Invalid data format', code: 6, 'invalid-event-number': i },
        }
      }
      if (o['event'] === undefined)
        return {
          status: 400,
          body: { text: 'Event field is required', code: 12, 'invalid-event-number': i },
        }
      if (typeof o['time'] !== 'number')
        return {
          status: 400,
          body: { text: 'Invalid data format', code: 6, 'invalid-event-number': i },
        }
      ids.push(String((o['event'] as { id?: unknown }).id))
    }
    return ack
      ? { status: 200, body: { text: 'Success', code: 0, ackId: nextAck++ }, ids }
      : { status: 200, body: { text: 'Success', code: 0 }, ids }
  })) as SplunkFake
  f.ackDelayPolls = 0
  return f
}

// ---------------------------------------------------------------- CloudWatch Logs

export const AWS_CREDS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}

export interface CloudWatchFake extends Fake {
  groups: Set<string>
  streams: Set<string>
  /** Events by stream, in arrival order: `{ timestamp, message }`. */
  events: { timestamp: number; message: string }[]
}

const cwError = (type: string, message: string, status = 400): Answer => ({
  status,
  body: { __type: type, message },
})

/**
 * CloudWatch Logs JSON 1.1 API on `POST /`: SigV4 checked by signing the request again with
 * the same secret (403 `InvalidSignatureException`), `PutLogEvents` limits answered with 400
 * `InvalidParameterException` (over 10,000 events, over 1,048,576 bytes counting 26 per
 * event, an event over 256 KB, events out of order, a batch over 24 h), 400
 * `ResourceNotFoundException` for an unknown group or stream; `CreateLogGroup` and
 * `CreateLogStream` (400 `ResourceAlreadyExistsException` when present).
 */
export async function cloudwatchFake(
  opts: { group?: string; stream?: string; region?: string } = {},
): Promise<CloudWatchFake> {
  const region = opts.region ?? 'eu-west-1'
  const f = (await startFake((path, headers, raw, fake) => {
    const cw = fake as CloudWatchFake
    const target = String(headers['x-amz-target'] ?? '')
    const h: Record<string, string> = {
      'Content-Type': String(headers['content-type']),
      'X-Amz-Target': target,
      Host: String(headers['host']),
      'X-Amz-Date': String(headers['x-amz-date']),
    }
    const again = aws4.sign(
      {
        host: String(headers['host']),
        path,
        method: 'POST',
        service: 'logs',
        region,
        headers: h,
        body: raw,
      },
      AWS_CREDS,
    )
    if (!headers['authorization'] || again.headers?.['Authorization'] !== headers['authorization'])
      return cwError(
        'InvalidSignatureException',
        'The request signature we calculated does not match',
        403,
      )
    if (headers['content-type'] !== 'application/x-amz-json-1.1')
      return cwError('SerializationException', 'bad content type')
    const body = JSON.parse(raw) as {
      logGroupName: string
      logStreamName?: string
      logEvents?: { timestamp: number; message: string }[]
    }
    const key = `${body.logGroupName}/${body.logStreamName}`
    if (target === 'Logs_20140328.CreateLogGroup') {
      if (cw.groups.has(body.logGroupName))
        return cwError('ResourceAlreadyExistsException', 'exists')
      cw.groups.add(body.logGroupName)
      return { status: 200, body: {} }
    }
    if (target === 'Logs_20140328.CreateLogStream') {
      if (!cw.groups.has(body.logGroupName)) return cwError('ResourceNotFoundException', 'no group')
      if (cw.streams.has(key)) return cwError('ResourceAlreadyExistsException', 'exists')
      cw.streams.add(key)
      return { status: 200, body: {} }
    }
    if (target !== 'Logs_20140328.PutLogEvents') return cwError('UnknownOperationException', target)
    if (!cw.groups.has(body.logGroupName) || !cw.streams.has(key))
      return cwError('ResourceNotFoundException', 'The specified log group/stream does not exist.')
    const evs = body.logEvents ?? []
    if (evs.length === 0 || evs.length > 10_000)
      return cwError('InvalidParameterException', 'between 1 and 10000 log events')
    let size = 0
    for (let i = 0; i < evs.length; i++) {
      const e = evs[i]!
      const b = Buffer.byteLength(e.message) + 26
      if (b > 262_144) return cwError('InvalidParameterException', 'Log event too large')
      if (i > 0 && e.timestamp < evs[i - 1]!.timestamp)
        return cwError(
          'InvalidParameterException',
          'Log events in a single PutLogEvents request must be in chronological order.',
        )
      size += b
    }
    if (size > 1_048_576) return cwError('InvalidParameterException', 'Upload too large')
    if (evs[evs.length - 1]!.timestamp - evs[0]!.timestamp > 24 * 3600 * 1000)
      return cwError(
        'InvalidParameterException',
        'A batch of log events in a single request cannot span more than 24 hours.',
      )
    // the documented partial rejection: events older than 14 days
    const tooOld = evs.findLastIndex((e) => e.timestamp < Date.now() - 14 * 24 * 3600 * 1000)
    const kept = evs.slice(tooOld + 1)
    cw.events.push(...kept)
    return {
      status: 200,
      body: {
        nextSequenceToken: '1',
        ...(tooOld >= 0 ? { rejectedLogEventsInfo: { tooOldLogEventEndIndex: tooOld } } : {}),
      },
      ids: kept.map((e) => String((JSON.parse(e.message) as { id: string }).id)),
    }
  })) as CloudWatchFake
  f.groups = new Set(opts.group ? [opts.group] : [])
  f.streams = new Set(opts.group && opts.stream ? [`${opts.group}/${opts.stream}`] : [])
  f.events = []
  return f
}

// ---------------------------------------------------------------- webhook

export const WEBHOOK_SECRET = 'whsec-test'

/** A receiver of a JSON array, checking the HMAC signature when `secret` is set (401 otherwise). */
export function webhookFake(opts: { secret?: string; maxBytes?: number } = {}): Promise<Fake> {
  return startFake((_path, headers, raw) => {
    if (
      opts.secret &&
      !verifyWebhookSignature(raw, headers['x-threadline-signature'] as string, opts.secret)
    )
      return { status: 401, body: { error: 'bad signature' } }
    if (opts.maxBytes && Buffer.byteLength(raw) > opts.maxBytes)
      return { status: 413, body: { error: 'too large' } }
    let arr: unknown
    try {
      arr = JSON.parse(raw)
    } catch {
      return { status: 400, body: { error: 'invalid JSON' } }
    }
    if (!Array.isArray(arr)) return { status: 400, body: { error: 'not an array' } }
    return { status: 200, body: { ok: true }, ids: (arr as { id: string }[]).map((e) => e.id) }
  })
}

// ---------------------------------------------------------------- test helpers

/** emitted = delivered + dropped + queued, per exporter; the mismatches. */
export function accountingErrors(stats: PipelineStats): string[] {
  const errors: string[] = []
  for (const ex of stats.exporters) {
    const dropped = Object.values(ex.dropped).reduce((a, b) => a + b, 0)
    const total = ex.delivered + dropped + ex.queued
    if (total !== stats.emitted)
      errors.push(`${ex.name}: ${ex.delivered} + ${dropped} + ${ex.queued} != ${stats.emitted}`)
  }
  return errors
}

/** Poll `check` until true (no timing is asserted; the deadline only ends a hung test). */
export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}
