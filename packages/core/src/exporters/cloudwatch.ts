/**
 * CloudWatch Logs `PutLogEvents`, over HTTPS with AWS Signature Version 4 (signed with the
 * `aws4` library), JSON 1.1 protocol (`X-Amz-Target: Logs_20140328.PutLogEvents`).
 *
 * Documented limits, enforced before sending: at most 1,048,576 bytes per call, counted as
 * the sum of each message's UTF-8 bytes plus 26 bytes per event; at most 10,000 events per
 * call; events in chronological order; no call spanning more than 24 hours; at most 256 KB
 * per event (message plus its 26 bytes).
 */
import { hostname as osHostname } from 'node:os'

import aws4 from 'aws4'

import { ThreadlineConfigError } from '../errors.js'
import type { ThreadlineEvent } from '../types.js'
import { baseHeaders, createIntakeExporter, intakeUrl, secretOption } from './intake.js'
import type { Entry, IntakeAnswer, Outcome, VendorCommonOptions, VendorExporter } from './intake.js'

export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

export interface CloudWatchExporterOptions extends VendorCommonOptions {
  /** Log group (required). @default — (required) */
  logGroupName: string
  /** Log stream. @default `threadline-<hostname>` */
  logStreamName?: string
  /** AWS region; selects `https://logs.<region>.amazonaws.com/` (`url` overrides it). @default process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION (required) */
  region?: string
  /**
   * Static credentials. Instance, container and SSO credentials are not resolved here:
   * pass them in (for example from `@aws-sdk/credential-providers`), refreshed by
   * re-creating the exporter.
   * @default from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (required)
   */
  credentials?: AwsCredentials
  /**
   * On `ResourceNotFoundException`, create the log group (if missing) and the stream, then
   * retry. Needs `logs:CreateLogGroup` and `logs:CreateLogStream`.
   * @default true
   */
  createIfMissing?: boolean
}

/** CloudWatch Logs' documented PutLogEvents limits. */
export const CLOUDWATCH_LIMITS = {
  maxEntries: 10_000,
  maxRequestBytes: 1_048_576,
  maxEntryBytes: 262_144 - 26,
  entryOverhead: 26,
  frameBytes: 0,
  separatorBytes: 0,
  maxSpanMs: 24 * 60 * 60 * 1000,
} as const

/** Retried statuses (throttling is a 400 with `ThrottlingException`, handled apart). */
export const CLOUDWATCH_RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

function errorType(a: IntakeAnswer): string {
  let t = a.headers.get('x-amzn-errortype') ?? ''
  if (!t) {
    try {
      t = String((JSON.parse(a.text) as { __type?: unknown }).__type ?? '')
    } catch {
      t = ''
    }
  }
  return t.split(':')[0]!.split('#').pop()!
}

/**
 * Exporter to CloudWatch Logs. Each event is one log event: `timestamp` (epoch ms of the
 * event) and `message` (its Threadline JSON line). Batches are sorted by time and split by
 * the limits above.
 *
 * Retry table: network errors, timeouts, `ThrottlingException` (400),
 * `ServiceUnavailableException` and 408, 429, 500, 502, 503, 504 are retried with jittered
 * backoff inside `maxRetryMs`; `ResourceNotFoundException` creates the group and stream once
 * (with `createIfMissing`) and retries; `DataAlreadyAcceptedException` counts as delivered;
 * `InvalidParameterException`, 403 (signature, permissions) and other errors drop the request
 * as `rejected`. Events CloudWatch refuses in a 200 (`rejectedLogEventsInfo`: too old, too
 * new, expired) are counted as `rejected`.
 */
export function cloudwatchExporter(options: CloudWatchExporterOptions): VendorExporter {
  const {
    logGroupName,
    logStreamName = `threadline-${osHostname()}`,
    region = process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'],
    credentials = {
      accessKeyId: process.env['AWS_ACCESS_KEY_ID'] ?? '',
      secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'] ?? '',
      ...(process.env['AWS_SESSION_TOKEN']
        ? { sessionToken: process.env['AWS_SESSION_TOKEN'] }
        : {}),
    },
    createIfMissing = true,
    url,
    headers,
  } = options ?? ({} as CloudWatchExporterOptions)
  for (const [k, v] of [
    ['logGroupName', logGroupName],
    ['logStreamName', logStreamName],
  ] as const)
    if (typeof v !== 'string' || v === '' || v.length > 512 || /[:*]/.test(v))
      throw new ThreadlineConfigError(`${k} must be a non-empty name (no ':' or '*')`, k)
  if (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region))
    throw new ThreadlineConfigError('region is required (or AWS_REGION)', 'region')
  const awsRegion: string = region
  const accessKeyId = secretOption('credentials.accessKeyId', credentials?.accessKeyId, true)!
  const secretAccessKey = secretOption(
    'credentials.secretAccessKey',
    credentials?.secretAccessKey,
    true,
  )!
  const sessionToken = secretOption('credentials.sessionToken', credentials?.sessionToken, false)
  const creds = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
  const target = intakeUrl(url, `https://logs.${region}.amazonaws.com/`, '')
  const extra = baseHeaders(headers)
  const prefix = `{"logGroupName":${JSON.stringify(logGroupName)},"logStreamName":${JSON.stringify(logStreamName)},"logEvents":[`

  function sign(action: string, body: string | Buffer): Headers {
    const h: Record<string, string> = {}
    extra.forEach((v, k) => (h[k] = v))
    h['Content-Type'] = 'application/x-amz-json-1.1'
    h['X-Amz-Target'] = `Logs_20140328.${action}`
    h['Host'] = target.host
    const signed = aws4.sign(
      {
        host: target.host,
        path: target.pathname + target.search,
        method: 'POST',
        service: 'logs',
        region: awsRegion,
        headers: h,
        body: typeof body === 'string' ? body : body.toString('utf8'),
      },
      creds,
    )
    const out = new Headers()
    for (const [k, v] of Object.entries(signed.headers ?? {}))
      if (k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length') out.set(k, String(v))
    return out
  }

  /** CreateLogGroup / CreateLogStream; "already exists" is fine. */
  async function create(
    action: string,
    body: string,
    signal: AbortSignal,
  ): Promise<Error | undefined> {
    const res = await fetch(target, { method: 'POST', headers: sign(action, body), body, signal })
    const text = await res.text()
    if (res.ok) return undefined
    const type = errorType({ status: res.status, headers: res.headers, text })
    if (type === 'ResourceAlreadyExistsException') return undefined
    return new Error(`${action} answered ${res.status} ${type}`)
  }

  async function interpret(
    a: IntakeAnswer,
    part: readonly Entry[],
    signal: AbortSignal,
  ): Promise<Outcome | undefined> {
    if (a.status === 200) {
      let info: Record<string, unknown> | undefined
      try {
        info = (JSON.parse(a.text) as { rejectedLogEventsInfo?: Record<string, unknown> })
          .rejectedLogEventsInfo
      } catch {
        info = undefined
      }
      if (!info) return { kind: 'delivered' }
      const n = part.length
      const idx = (k: string): number | undefined =>
        typeof info[k] === 'number' ? (info[k] as number) : undefined
      const old =
        Math.max(idx('tooOldLogEventEndIndex') ?? -1, idx('expiredLogEventEndIndex') ?? -1) + 1
      const tooNew = idx('tooNewLogEventStartIndex')
      const rejected = Math.min(n, old + (tooNew === undefined ? 0 : Math.max(0, n - tooNew)))
      return { kind: 'delivered', rejected }
    }
    const type = errorType(a)
    if (type === 'DataAlreadyAcceptedException') return { kind: 'delivered' }
    if (type === 'ThrottlingException' || type === 'ServiceUnavailableException')
      return { kind: 'retry', error: new Error(`PutLogEvents: ${type}`), status: a.status }
    if (type === 'ResourceNotFoundException' && createIfMissing) {
      const group = JSON.stringify({ logGroupName })
      const err =
        (await create('CreateLogGroup', group, signal)) ??
        (await create('CreateLogStream', JSON.stringify({ logGroupName, logStreamName }), signal))
      return {
        kind: 'retry',
        error: err ?? new Error('PutLogEvents: created the missing log group/stream'),
        retryAfterMs: 0,
      }
    }
    return undefined
  }

  return createIntakeExporter(
    {
      name: 'cloudwatch',
      target,
      limits: CLOUDWATCH_LIMITS,
      sortByTime: true,
      gzip: false,
      secret: secretAccessKey,
      encode: (event: ThreadlineEvent, json: string) => {
        const t = Date.parse(event.timestamp)
        return `{"timestamp":${Number.isFinite(t) ? t : Date.now()},"message":${JSON.stringify(json)}}`
      },
      measure: (_text, json) => Buffer.byteLength(json),
      body: (entries: readonly Entry[]) => prefix + entries.map((e) => e.text).join(',') + ']}',
      headers: (body) => sign('PutLogEvents', body),
      retryStatus: CLOUDWATCH_RETRY_STATUS,
      interpret,
      errorMessage: (a) => {
        try {
          const p = JSON.parse(a.text) as { message?: unknown; Message?: unknown }
          const m = p.message ?? p.Message
          return `${errorType(a)}${typeof m === 'string' ? `: ${m}` : ''}`
        } catch {
          return a.text.trim()
        }
      },
    },
    options,
    { maxBatchSize: 10_000, flushIntervalMs: 1000, maxQueueSize: 20_000 },
  )
}
