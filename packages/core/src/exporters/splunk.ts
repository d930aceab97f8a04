/**
 * Splunk HTTP Event Collector (`POST <url>/services/collector/event`).
 *
 * Events are sent batched, as event objects concatenated with newlines; `Authorization:
 * Splunk <token>`; gzip. With indexer acknowledgement on, every request carries an
 * `X-Splunk-Request-Channel` and a batch counts as delivered only once
 * `/services/collector/ack` says it was indexed.
 */
import { randomUUID } from 'node:crypto'
import { hostname as osHostname } from 'node:os'

import { ThreadlineConfigError } from '../errors.js'
import type { ThreadlineEvent } from '../types.js'
import { abortableWait, positive } from './shared.js'
import { baseHeaders, createIntakeExporter, intakeUrl, secretOption } from './intake.js'
import type { Entry, IntakeAnswer, Outcome, VendorCommonOptions, VendorExporter } from './intake.js'

export interface SplunkExporterOptions extends VendorCommonOptions {
  /**
   * HEC base URL, e.g. `https://splunk.example.com:8088` (required here: HEC has no single
   * public address). `/services/collector/event` is appended to a bare origin.
   * @default process.env.SPLUNK_HEC_URL (required)
   */
  url?: string
  /** HEC token, sent as `Authorization: Splunk <token>`. Never logged. @default process.env.SPLUNK_HEC_TOKEN (required) */
  token?: string
  /** Target index; the token's default index when unset. @default undefined */
  index?: string
  /** `source` of every event. @default 'threadline' */
  source?: string
  /** `sourcetype` of every event. @default '_json' */
  sourcetype?: string
  /** `host` of every event. @default os.hostname() */
  host?: string
  /**
   * Indexer acknowledgement: a request counts as delivered only when
   * `/services/collector/ack` reports its `ackId` indexed (polled every `ackPollMs`, within
   * `timeoutMs`; not acknowledged in time is retried, so delivery stays at least once).
   * Requires acknowledgement to be enabled on the token.
   * @default false
   */
  ack?: boolean
  /** Channel id sent as `X-Splunk-Request-Channel` (a GUID). @default a random UUID per exporter */
  channel?: string
  /** Poll interval of the acknowledgement endpoint, in ms. @default 500 */
  ackPollMs?: number
  /**
   * Largest request body before compression, in bytes: a conservative default; raise it to
   * your HEC's `max_content_length` (limits.conf `[http_input]` on your own indexers). A 413
   * halves the request either way.
   * @default 1000000
   */
  maxRequestBytes?: number
  /** Most events per request. @default 1000 */
  maxEventsPerRequest?: number
}

/** Retried: timeouts, throttling, server busy (HEC code 9) and other server errors. */
export const SPLUNK_RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/**
 * Exporter to a Splunk HTTP Event Collector. Each event becomes
 * `{"time":<epoch seconds>,"host","source","sourcetype","index"?,"event":<Threadline event>}`.
 *
 * Retry table: network errors, timeouts, 408, 429, 500, 502, 503 (HEC "server is busy"),
 * 504 and a missing acknowledgement are retried with jittered backoff and `Retry-After`
 * inside `maxRetryMs`; 413 halves the request; 400 (invalid data, incorrect index), 401
 * and 403 (token missing, invalid or disabled) drop it as `rejected`. TLS certificates are
 * verified (Splunk's own client turns this off by default; we do not).
 */
export function splunkExporter(options: SplunkExporterOptions = {}): VendorExporter {
  const {
    url = process.env['SPLUNK_HEC_URL'],
    token = process.env['SPLUNK_HEC_TOKEN'],
    index,
    source = 'threadline',
    sourcetype = '_json',
    host = osHostname(),
    ack = false,
    channel = randomUUID(),
    ackPollMs = 500,
    maxRequestBytes = 1_000_000,
    maxEventsPerRequest = 1000,
    headers,
  } = options
  if (url === undefined)
    throw new ThreadlineConfigError(
      'url is required (the HEC address, e.g. https://splunk:8088)',
      'url',
    )
  const secret = secretOption('token', token, true)!
  positive('ackPollMs', ackPollMs)
  positive('maxRequestBytes', maxRequestBytes)
  positive('maxEventsPerRequest', maxEventsPerRequest)
  if (typeof channel !== 'string' || !/^[0-9a-f-]{8,64}$/i.test(channel))
    throw new ThreadlineConfigError('channel must be a GUID', 'channel')
  const target = intakeUrl(url, '', '/services/collector/event')
  const ackUrl = new URL('/services/collector/ack', target)
  ackUrl.searchParams.set('channel', channel)
  const h = baseHeaders(headers)
  h.set('content-type', 'application/json')
  h.set('authorization', `Splunk ${secret}`)
  if (ack) h.set('x-splunk-request-channel', channel)
  const fixed =
    `"host":${JSON.stringify(host)},"source":${JSON.stringify(source)},"sourcetype":${JSON.stringify(sourcetype)},` +
    (index === undefined ? '' : `"index":${JSON.stringify(index)},`)

  function encode(event: ThreadlineEvent, json: string): string {
    const t = Date.parse(event.timestamp)
    const time = Number.isFinite(t) ? (t / 1000).toFixed(3) : (Date.now() / 1000).toFixed(3)
    return `{"time":${time},${fixed}"event":${json}}`
  }

  async function waitForAck(id: number, signal: AbortSignal): Promise<Outcome> {
    for (;;) {
      if (!(await abortableWait(ackPollMs, signal)))
        return { kind: 'retry', error: new Error(`Splunk did not acknowledge ackId ${id} in time`) }
      const res = await fetch(ackUrl, {
        method: 'POST',
        headers: new Headers(h),
        body: JSON.stringify({ acks: [id] }),
        signal,
      })
      const text = await res.text()
      if (res.status !== 200)
        return {
          kind: 'retry',
          error: new Error(`Splunk ack endpoint answered ${res.status}`),
          status: res.status,
        }
      try {
        const acks = (JSON.parse(text) as { acks?: Record<string, boolean> }).acks
        if (acks?.[String(id)] === true) return { kind: 'delivered' }
      } catch {
        // keep polling
      }
    }
  }

  function interpret(
    a: IntakeAnswer,
    _part: readonly Entry[],
    signal: AbortSignal,
  ): Promise<Outcome | undefined> | undefined {
    if (!ack || a.status < 200 || a.status >= 300) return undefined
    let id: unknown
    try {
      id = (JSON.parse(a.text) as { ackId?: unknown }).ackId
    } catch {
      id = undefined
    }
    if (typeof id !== 'number')
      return Promise.resolve({
        kind: 'rejected',
        status: a.status,
        message: 'no ackId in the answer: is indexer acknowledgement enabled on this token?',
      })
    return waitForAck(id, signal)
  }

  return createIntakeExporter(
    {
      name: 'splunk',
      target,
      limits: {
        maxEntries: maxEventsPerRequest,
        maxRequestBytes,
        maxEntryBytes: maxRequestBytes,
        entryOverhead: 0,
        frameBytes: 0,
        separatorBytes: 1,
      },
      gzip: true,
      secret,
      encode,
      body: (entries: readonly Entry[]) => entries.map((e) => e.text).join('\n'),
      headers: () => new Headers(h),
      retryStatus: SPLUNK_RETRY_STATUS,
      interpret,
      errorMessage: (a) => {
        try {
          const p = JSON.parse(a.text) as { text?: unknown; code?: unknown }
          if (typeof p.text === 'string') return `${p.text} (code ${String(p.code)})`
        } catch {
          // not JSON
        }
        return a.text.trim()
      },
    },
    options,
    { maxBatchSize: 1000, flushIntervalMs: 1000, maxQueueSize: 20_000 },
  )
}
