/**
 * Datadog logs intake v2 (`POST https://http-intake.logs.<site>/api/v2/logs`).
 *
 * Documented limits, enforced before sending: at most 5 MB per payload (uncompressed), at
 * most 1,000 entries per payload, at most 1 MB per entry. Payloads are gzip-compressed.
 */
import { hostname as osHostname } from 'node:os'

import { ThreadlineConfigError } from '../errors.js'
import type { ThreadlineEvent } from '../types.js'
import { baseHeaders, createIntakeExporter, intakeUrl, secretOption } from './intake.js'
import type { Entry, VendorCommonOptions, VendorExporter } from './intake.js'

export interface DatadogExporterOptions extends VendorCommonOptions {
  /** Sent as `DD-API-KEY`. Never written to diagnostics, errors or stats. @default process.env.DD_API_KEY (required) */
  apiKey?: string
  /**
   * Datadog site: `datadoghq.com`, `us3.datadoghq.com`, `us5.datadoghq.com`, `datadoghq.eu`,
   * `ap1.datadoghq.com`, `ap2.datadoghq.com`, `ddog-gov.com`. Selects
   * `https://http-intake.logs.<site>/api/v2/logs`; `url` overrides it.
   * @default process.env.DD_SITE ?? 'datadoghq.com'
   */
  site?: string
  /** The `ddsource` attribute (selects the log pipeline in Datadog). @default 'nodejs' */
  ddsource?: string
  /** The `service` attribute; each event's own `service` when unset. @default the event's service */
  service?: string
  /** The `hostname` attribute. @default os.hostname() */
  hostname?: string
  /**
   * Tags sent in `ddtags` (`key:value,key:value`); `env:<environment>`, `version:<service_version>`
   * and the event's `tags` are appended per event.
   * @default process.env.DD_TAGS ?? ''
   */
  ddtags?: string
}

/** Datadog's documented intake limits (logs API v2). */
export const DATADOG_LIMITS = {
  maxEntries: 1000,
  maxRequestBytes: 5 * 1024 * 1024,
  maxEntryBytes: 1024 * 1024,
  entryOverhead: 0,
  frameBytes: 2,
  separatorBytes: 1,
} as const

/** Retried: request timeout, throttling, server errors (Datadog's documented retryable answers). */
export const DATADOG_RETRY_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

/** The low 64 bits of a W3C id as an unsigned decimal string (Datadog's trace id format). */
export function datadogId(hex: string | undefined): string | undefined {
  if (!hex || !/^[0-9a-f]{16}([0-9a-f]{16})?$/i.test(hex)) return undefined
  const low = BigInt('0x' + hex.slice(-16))
  return low === 0n ? undefined : low.toString()
}

/**
 * Exporter to Datadog's logs intake. Each event is one entry: the Threadline event's fields,
 * plus `ddsource`, `service`, `hostname`, `ddtags`, `status` (the level) and, where the event
 * has W3C ids, `dd.trace_id` / `dd.span_id` (their low 64 bits in decimal) so logs link to
 * APM traces.
 *
 * Retry table: network errors, timeouts and 408, 429, 500, 502, 503, 504 are retried with
 * jittered backoff and `Retry-After` inside `maxRetryMs`; 413 for several entries halves the
 * request; 400, 401, 403 and other statuses drop the request as `rejected` (401/403 also count
 * towards the circuit breaker).
 */
export function datadogExporter(options: DatadogExporterOptions = {}): VendorExporter {
  const {
    apiKey = process.env['DD_API_KEY'],
    site = process.env['DD_SITE'] || 'datadoghq.com',
    ddsource = 'nodejs',
    service,
    hostname = osHostname(),
    ddtags = process.env['DD_TAGS'] ?? '',
    url,
    headers,
  } = options
  const key = secretOption('apiKey', apiKey, true)!
  if (typeof site !== 'string' || !/^[a-z0-9.-]+$/i.test(site))
    throw new ThreadlineConfigError(
      `site must be a Datadog site such as datadoghq.eu, got ${String(site)}`,
      'site',
    )
  const target = intakeUrl(url, `https://http-intake.logs.${site}/api/v2/logs`, '/api/v2/logs')
  const fixed = `"ddsource":${JSON.stringify(ddsource)},"hostname":${JSON.stringify(hostname)},`
  const h = baseHeaders(headers)
  h.set('content-type', 'application/json')
  h.set('dd-api-key', key)

  function encode(event: ThreadlineEvent, json: string): string {
    const tags: string[] = ddtags ? [ddtags] : []
    if (event.environment) tags.push(`env:${event.environment}`)
    if (event.service_version) tags.push(`version:${event.service_version}`)
    if (event.tags) for (const t of event.tags) tags.push(t.replace(/,/g, '_'))
    let head = fixed + `"ddtags":${JSON.stringify(tags.join(','))},"status":"${event.level}",`
    const traceId = datadogId(event.trace_id)
    const spanId = datadogId(event.span_id)
    if (traceId) head += `"dd.trace_id":"${traceId}",`
    if (spanId) head += `"dd.span_id":"${spanId}",`
    const body = service === undefined ? json : JSON.stringify({ ...event, service })
    return '{' + head + body.slice(1)
  }

  return createIntakeExporter(
    {
      name: 'datadog',
      target,
      limits: DATADOG_LIMITS,
      gzip: true,
      secret: key,
      encode,
      body: (entries: readonly Entry[]) => '[' + entries.map((e) => e.text).join(',') + ']',
      headers: () => new Headers(h),
      retryStatus: DATADOG_RETRY_STATUS,
      errorMessage: (a) => jsonErrors(a.text),
    },
    options,
    { maxBatchSize: 1000, flushIntervalMs: 1000, maxQueueSize: 20_000 },
  )
}

/** `{"errors":[{"status":"400","title":"...","detail":"..."}]}` → one line. */
function jsonErrors(text: string): string {
  try {
    const p = JSON.parse(text) as { errors?: unknown }
    if (Array.isArray(p.errors))
      return p.errors
        .map((e) =>
          typeof e === 'string'
            ? e
            : [(e as { title?: string }).title, (e as { detail?: string }).detail]
                .filter(Boolean)
                .join(': '),
        )
        .join('; ')
  } catch {
    // not JSON
  }
  return text.trim()
}
