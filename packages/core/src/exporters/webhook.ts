/**
 * Webhook: batches POSTed as a JSON array of Threadline events, optionally signed with
 * HMAC-SHA-256 over a timestamp and the body, so a receiver can check both where the
 * request came from and that it is not a replay.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

import { ThreadlineConfigError } from '../errors.js'
import { positive } from './shared.js'
import { baseHeaders, createIntakeExporter, intakeUrl, secretOption } from './intake.js'
import type { Entry, VendorCommonOptions, VendorExporter } from './intake.js'

export interface WebhookExporterOptions extends VendorCommonOptions {
  /** The receiver's URL (required). @default — (required) */
  url?: string
  /**
   * Signing secret. When set, every request carries
   * `X-Threadline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256 of "<t>.<body>">`, computed
   * over the uncompressed body (check it with `verifyWebhookSignature`). Never logged.
   * @default undefined (unsigned)
   */
  secret?: string
  /** Gzip the body (`Content-Encoding: gzip`); many receivers do not accept it. @default false */
  gzip?: boolean
  /** Largest request body before compression, in bytes. @default 1048576 */
  maxRequestBytes?: number
  /** Most events per request. @default 1000 */
  maxEventsPerRequest?: number
  /** Statuses retried (besides network errors and timeouts). @default [408, 425, 429, 500, 502, 503, 504] */
  retryStatus?: readonly number[]
}

export const SIGNATURE_HEADER = 'x-threadline-signature'

export function signWebhook(
  body: string | Buffer,
  secret: string,
  t = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')
  return `t=${t},v1=${mac}`
}

/**
 * Check a webhook request: the signature must match the body and its timestamp must be
 * within `toleranceSec` of now (against replays). For receivers and tests.
 */
export function verifyWebhookSignature(
  body: string | Buffer,
  header: string | null | undefined,
  secret: string,
  toleranceSec = 300,
  now = Date.now(),
): boolean {
  if (!header) return false
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]))
  const t = Number(parts.get('t'))
  const v1 = parts.get('v1')
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false
  if (Math.abs(now / 1000 - t) > toleranceSec) return false
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest()
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'))
}

/**
 * Exporter to any HTTP endpoint: `POST <url>` with `Content-Type: application/json` and a
 * JSON array of events.
 *
 * Retry table: network errors, timeouts and `retryStatus` (408, 425, 429, 500, 502, 503,
 * 504 by default) are retried with jittered backoff and `Retry-After` inside `maxRetryMs`;
 * 413 halves the request; any other status drops it as `rejected`.
 */
export function webhookExporter(options: WebhookExporterOptions): VendorExporter {
  const {
    url,
    secret,
    gzip = false,
    maxRequestBytes = 1024 * 1024,
    maxEventsPerRequest = 1000,
    retryStatus = [408, 425, 429, 500, 502, 503, 504],
    headers,
  } = options ?? ({} as WebhookExporterOptions)
  if (url === undefined) throw new ThreadlineConfigError('url is required', 'url')
  const key = secretOption('secret', secret, false)
  positive('maxRequestBytes', maxRequestBytes)
  positive('maxEventsPerRequest', maxEventsPerRequest)
  if (typeof gzip !== 'boolean') throw new ThreadlineConfigError('gzip must be a boolean', 'gzip')
  const target = intakeUrl(url, '', '')
  const h = baseHeaders(headers)
  h.set('content-type', 'application/json')
  return createIntakeExporter(
    {
      name: 'webhook',
      target,
      limits: {
        maxEntries: maxEventsPerRequest,
        maxRequestBytes,
        maxEntryBytes: maxRequestBytes,
        entryOverhead: 0,
        frameBytes: 2,
        separatorBytes: 1,
      },
      gzip,
      ...(key === undefined ? {} : { secret: key }),
      encode: (_event, json) => json,
      body: (entries: readonly Entry[]) => '[' + entries.map((e) => e.text).join(',') + ']',
      headers: (body) => {
        const out = new Headers(h)
        if (key) out.set(SIGNATURE_HEADER, signWebhook(body, key))
        return out
      },
      retryStatus: new Set(retryStatus),
    },
    options,
    { maxBatchSize: 1000, flushIntervalMs: 1000, maxQueueSize: 20_000 },
  )
}
