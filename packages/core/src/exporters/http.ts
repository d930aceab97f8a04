/**
 * HTTP exporter: sends batches to a Threadline server's `POST /v1/events` as
 * `{"events":[...]}` (gzip by default), retrying transient failures with capped,
 * jittered exponential backoff inside a time budget that stays under the
 * pipeline's export timeout.
 *
 * Delivery is at least once: a batch whose response was lost is sent again, and
 * the server deduplicates by event `id`.
 */
import { diag } from '../diag.js'
import { ThreadlineConfigError } from '../errors.js'
import type { BatchOptions, Exporter, ExportRecord, ExportResult } from '../types.js'
import {
  abortableWait,
  attemptsOption,
  backoffDelay,
  discard,
  gzipAsync,
  networkError,
  nonNegative,
  parseRetryAfter,
  positive,
  readText,
  scrub,
} from './shared.js'

/** Re-exported for the tests and older imports; it lives in `./shared.js`. */
export { parseRetryAfter }

export interface HttpExporterOptions {
  /**
   * Base URL of the Threadline server, e.g. `http://127.0.0.1:4318`; batches are posted to
   * `<url>/v1/events`. A URL that already ends in `/v1/events` is used as is. `http:` or
   * `https:` only, without credentials (use `apiKey`).
   * @default process.env.THREADLINE_URL
   */
  url?: string
  /**
   * Sent as `Authorization: Bearer <apiKey>`; an empty string sends no `Authorization`
   * header. Never written to diagnostics or errors.
   * @default process.env.THREADLINE_API_KEY
   */
  apiKey?: string
  /**
   * Extra request headers. `Content-Type` and `Content-Encoding` are always set by the
   * exporter, and `Authorization` too when an `apiKey` is set.
   * @default {}
   */
  headers?: Record<string, string>
  /** Gzip the request body (`Content-Encoding: gzip`). @default true */
  gzip?: boolean
  /**
   * Deadline of one request, response body included, in ms. A retry never runs past the
   * retry budget (`maxRetryMs`), so a late retry may get less.
   * @default 10000
   */
  timeoutMs?: number
  /**
   * Most attempts for one request body, the first one included (each part of a batch split
   * by `maxRequestBytes` gets this many).
   * @default Infinity (bounded by `maxRetryMs`)
   */
  maxAttempts?: number
  /**
   * Retry budget of one batch, in ms from the start of its first request: no wait and no
   * retry goes past it, and a `Retry-After` that would is not waited for. Keep it (and
   * `timeoutMs`) under the pipeline's `exportTimeoutMs` (30000 by default).
   * @default 25000
   */
  maxRetryMs?: number
  /** Backoff before the first retry (doubled for each further retry, then jittered), in ms. @default 250 */
  initialBackoffMs?: number
  /** Upper bound of the backoff between two attempts, in ms. @default 5000 */
  maxBackoffMs?: number
  /**
   * Largest request body before compression, in bytes: a batch whose serialized events add
   * up to more is sent as several requests, in order (an event larger than this goes alone).
   * A 413 for a request of several events also halves it. Either way the batch counts as
   * delivered only when every request is.
   * @default 8388608 (8 MiB)
   */
  maxRequestBytes?: number
  /**
   * Batching hints for this exporter's processor (the logger's `batch` options win).
   * @default { maxBatchSize: 1000, flushIntervalMs: 1000, maxQueueSize: 20000 }
   */
  batching?: Partial<BatchOptions>
}

const EVENTS_PATH = '/v1/events'
/** Statuses worth another attempt: timeouts, throttling, and a server or gateway that is down. */
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])
/** Bigger 2xx bodies are not parsed (the batch still counts as delivered). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** How much of an error response is read for its message. */
const MAX_ERROR_BYTES = 64 * 1024
const MAX_MESSAGE_CHARS = 500
/** Least time left in the budget, after the wait, for a retry to be made. */
const MIN_ATTEMPT_MS = 100

type Attempt =
  | { kind: 'delivered'; status: number; text: string }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'retry'; error: Error; status?: number; retryAfterMs?: number }
  | { kind: 'shutdown' }

/** An error status from the server that is not retried. */
class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/**
 * Exporter to a Threadline server (`POST /v1/events`).
 *
 * Retried, with backoff and jitter, until `maxAttempts` or the `maxRetryMs` budget runs
 * out: network errors (refused, reset, DNS, timeout) and statuses 408, 429, 500, 502, 503
 * and 504. `Retry-After` (seconds or HTTP-date) on a retryable status sets the wait (never
 * shorter than the backoff); if it ends past the budget the batch is given up at once.
 * Any other status (400, 401, 403, 422, 3xx, 501...) is not retried: the batch is
 * dropped as `rejected`, with the status and the server's message in the error and a
 * diagnostic. A 413 for a request of several events halves it (no time is waited); for a
 * single event it is a rejection too. A 2xx is delivered; events the server reports as
 * `rejected` (invalid) are reported to diagnostics, not retried, and counted as dropped
 * (`rejected`) in the logger's stats. A batch larger than `maxRequestBytes` goes as several
 * requests sharing one budget; if a later part fails, the parts already sent count as
 * delivered.
 *
 * Results: `{ ok: true, rejected? }`, or `{ ok: false, reason, delivered?, rejected? }` with
 * reason `rejected`, `retry_exhausted` (`retryable: true`) or `shutdown`. Never throws once
 * set up; bad options throw a `ThreadlineConfigError`. `shutdown()` aborts requests in flight
 * and backoff waits at once.
 */
export function httpExporter(options?: HttpExporterOptions): Exporter {
  const {
    url = process.env['THREADLINE_URL'],
    apiKey = process.env['THREADLINE_API_KEY'],
    headers = {},
    gzip = true,
    timeoutMs = 10_000,
    maxAttempts = Infinity,
    maxRetryMs = 25_000,
    initialBackoffMs = 250,
    maxBackoffMs = 5000,
    maxRequestBytes = 8 * 1024 * 1024,
    batching = {},
  } = options ?? ({} as Partial<HttpExporterOptions>)

  const target = resolveTarget(url)
  positive('timeoutMs', timeoutMs)
  nonNegative('maxRetryMs', maxRetryMs)
  positive('initialBackoffMs', initialBackoffMs)
  positive('maxBackoffMs', maxBackoffMs)
  positive('maxRequestBytes', maxRequestBytes)
  attemptsOption(maxAttempts)
  if (typeof gzip !== 'boolean') throw new ThreadlineConfigError('gzip must be a boolean', 'gzip')
  if (apiKey !== undefined && (typeof apiKey !== 'string' || /[\r\n\0]/.test(apiKey))) {
    throw new ThreadlineConfigError('apiKey must be a string without line breaks', 'apiKey')
  }

  const requestHeaders = buildHeaders(headers, apiKey, gzip)
  const where = `${target.origin}${target.pathname}`
  const secret = apiKey ? apiKey : undefined
  const fetchImpl: typeof fetch = globalThis.fetch
  if (typeof fetchImpl !== 'function')
    throw new ThreadlineConfigError('httpExporter needs a global fetch (Node >= 20)', 'url')

  const stopping = new AbortController()

  /** Wait `ms`; false if shutdown interrupted the wait. */
  function wait(ms: number): Promise<boolean> {
    return abortableWait(ms, stopping.signal)
  }

  async function attempt(body: Buffer, ms: number): Promise<Attempt> {
    if (stopping.signal.aborted) return { kind: 'shutdown' }
    const ac = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      ac.abort()
    }, ms)
    const onStop = (): void => ac.abort()
    stopping.signal.addEventListener('abort', onStop, { once: true })
    try {
      const res = await fetchImpl(target, {
        method: 'POST',
        headers: requestHeaders,
        body,
        signal: ac.signal,
        redirect: 'manual',
      })
      const status = res.status
      if (status >= 200 && status < 300) {
        return { kind: 'delivered', status, text: await readText(res, MAX_RESPONSE_BYTES) }
      }
      if (RETRYABLE_STATUS.has(status)) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'))
        await discard(res)
        const error = new HttpStatusError(`POST ${where} answered ${statusText(res)}`, status)
        return retryAfterMs === undefined
          ? { kind: 'retry', error, status }
          : { kind: 'retry', error, status, retryAfterMs }
      }
      const text = await readText(res, MAX_ERROR_BYTES).catch(() => '')
      return { kind: 'rejected', status, message: scrub(serverMessage(text, res), secret) }
    } catch (err) {
      if (stopping.signal.aborted) return { kind: 'shutdown' }
      if (timedOut)
        return { kind: 'retry', error: new Error(`POST ${where} timed out after ${ms} ms`) }
      return { kind: 'retry', error: networkError(err, where) }
    } finally {
      clearTimeout(timer)
      stopping.signal.removeEventListener('abort', onStop)
    }
  }

  function backoff(retry: number): number {
    return backoffDelay(retry, initialBackoffMs, maxBackoffMs)
  }

  function shutdownResult(): ExportResult {
    return {
      ok: false,
      reason: 'shutdown',
      retryable: true,
      error: new Error('http exporter: shut down before the batch was delivered'),
    }
  }

  /**
   * Send one request body, retrying inside the batch's budget. `'too_large'` is a 413 for
   * several events, which the caller splits.
   */
  async function deliver(
    part: readonly ExportRecord[],
    start: number,
    deadline: number,
    first: boolean,
  ): Promise<ExportResult | 'too_large'> {
    let body: Buffer
    try {
      body = await encode(part, gzip)
    } catch (error) {
      diag.error('http exporter: encoding the batch failed', error)
      return { ok: false, error }
    }
    let attempts = 0
    for (;;) {
      attempts++
      const left = deadline - performance.now()
      const a: Attempt =
        first && attempts === 1
          ? await attempt(body, timeoutMs)
          : left >= 1
            ? await attempt(body, Math.min(timeoutMs, left))
            : { kind: 'retry', error: new Error('no time left for this request') }
      if (a.kind === 'shutdown') return shutdownResult()
      if (a.kind === 'delivered') {
        const rejected = reportPartial(a.text, part)
        return rejected > 0 ? { ok: true, rejected } : { ok: true }
      }
      if (a.kind === 'rejected') {
        if (a.status === 413 && part.length > 1) return 'too_large'
        const error = new HttpStatusError(
          `POST ${where} answered ${a.status}${a.message ? `: ${a.message}` : ''}`,
          a.status,
        )
        const detail = { status: a.status, events: part.length, message: a.message }
        if (a.status === 401 || a.status === 403)
          diag.warn(
            'http exporter: the server refused the API key (apiKey / THREADLINE_API_KEY)',
            detail,
          )
        else diag.warn('http exporter: the server rejected a batch; not retried', detail)
        return { ok: false, reason: 'rejected', error }
      }
      const giveUp = (why: string): ExportResult => {
        const elapsed = Math.round(performance.now() - start)
        const error = new Error(
          `http exporter: gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsed} ms (${why}): ${a.error.message}`,
          { cause: a.error },
        )
        return { ok: false, reason: 'retry_exhausted', retryable: true, error }
      }
      if (attempts >= maxAttempts) return giveUp('maxAttempts reached')
      const remaining = deadline - performance.now()
      if (a.retryAfterMs !== undefined && a.retryAfterMs > remaining)
        return giveUp(`Retry-After ${Math.ceil(a.retryAfterMs)} ms is past the retry budget`)
      const delay = Math.max(backoff(attempts), a.retryAfterMs ?? 0)
      // a retry needs time to run after its wait, not a sliver of the budget
      if (delay + Math.min(timeoutMs, MIN_ATTEMPT_MS) > remaining)
        return giveUp('retry budget spent')
      diag.debug('http exporter: attempt failed; retrying', {
        attempt: attempts,
        ...(a.status === undefined ? {} : { status: a.status }),
        error: a.error.message,
        delayMs: Math.round(delay),
      })
      if (!(await wait(delay))) return shutdownResult()
    }
  }

  async function send(batch: readonly ExportRecord[]): Promise<ExportResult> {
    if (stopping.signal.aborted) return shutdownResult()
    if (batch.length === 0) return { ok: true }
    const start = performance.now()
    const deadline = start + maxRetryMs
    const parts = splitBySize(batch, maxRequestBytes)
    let sent = 0
    let rejected = 0
    for (let first = true; parts.length > 0; first = false) {
      const part = parts.shift()!
      const r = await deliver(part, start, deadline, first)
      if (r === 'too_large') {
        // the server's body limit is lower than ours: halve and go on
        const mid = Math.ceil(part.length / 2)
        parts.unshift(part.slice(0, mid), part.slice(mid))
        diag.debug('http exporter: 413 for a batch; splitting it', { events: part.length })
        continue
      }
      if (!r.ok) {
        if (sent === 0) return r
        diag.warn('http exporter: a split batch failed after some of it was delivered', {
          delivered: sent,
          events: batch.length,
        })
        // the parts already sent are counted as delivered (and their refused events as rejected)
        return { ...r, delivered: sent, ...(rejected > 0 ? { rejected } : {}) }
      }
      sent += part.length
      if (r.rejected) rejected += r.rejected
    }
    return rejected > 0 ? { ok: true, rejected } : { ok: true }
  }

  return {
    name: 'http',
    batching: { maxBatchSize: 1000, flushIntervalMs: 1000, maxQueueSize: 20_000, ...batching },
    async export(batch) {
      try {
        return await send(batch)
      } catch (error) {
        diag.error('http exporter: unexpected failure', error)
        return { ok: false, error }
      }
    },
    async forceFlush() {
      // nothing is buffered here: every batch is sent by the export that received it
    },
    async shutdown() {
      stopping.abort()
    },
  }
}

// ---------------------------------------------------------------- helpers

function resolveTarget(url: unknown): URL {
  if (typeof url !== 'string' || url.trim() === '')
    throw new ThreadlineConfigError(
      'url is required (pass url or set THREADLINE_URL, e.g. http://127.0.0.1:4318)',
      'url',
    )
  let u: URL
  try {
    u = new URL(url.trim())
  } catch {
    throw new ThreadlineConfigError(`url is not a valid URL: ${JSON.stringify(url)}`, 'url')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ThreadlineConfigError(`url must be http: or https:, got ${u.protocol}`, 'url')
  if (u.username || u.password)
    throw new ThreadlineConfigError('url must not contain credentials; use apiKey', 'url')
  const path = u.pathname.replace(/\/+$/, '')
  u.pathname = path.endsWith(EVENTS_PATH) ? path : path + EVENTS_PATH
  u.hash = ''
  return u
}

function buildHeaders(
  extra: Record<string, string>,
  apiKey: string | undefined,
  gzip: boolean,
): Headers {
  let h: Headers
  try {
    h = new Headers(extra)
  } catch (err) {
    throw new ThreadlineConfigError(
      `headers are invalid: ${err instanceof Error ? err.message : String(err)}`,
      'headers',
    )
  }
  h.set('content-type', 'application/json')
  if (gzip) h.set('content-encoding', 'gzip')
  else h.delete('content-encoding')
  if (apiKey) h.set('authorization', `Bearer ${apiKey}`)
  if (!h.has('user-agent')) h.set('user-agent', 'threadline-core')
  return h
}

/** The request body, from the already serialized lines. */
async function encode(batch: readonly ExportRecord[], gzip: boolean): Promise<Buffer> {
  let body = '{"events":['
  for (let i = 0; i < batch.length; i++) body += (i === 0 ? '' : ',') + batch[i]!.json
  body += ']}'
  return gzip ? gzipAsync(body) : Buffer.from(body)
}

/** Consecutive runs of records whose body adds up to at most `max` bytes (at least one each). */
function splitBySize(batch: readonly ExportRecord[], max: number): ExportRecord[][] {
  const parts: ExportRecord[][] = []
  let current: ExportRecord[] = []
  let size = '{"events":[]}'.length
  for (const r of batch) {
    const bytes = Buffer.byteLength(r.json) + 1
    if (current.length > 0 && size + bytes > max) {
      parts.push(current)
      current = []
      size = '{"events":[]}'.length
    }
    current.push(r)
    size += bytes
  }
  if (current.length > 0) parts.push(current)
  return parts
}

function statusText(res: Response): string {
  return res.statusText ? `${res.status} ${res.statusText}` : String(res.status)
}

/** The server's error message: `error` and `message` of a JSON body (or `error.message`), else the text. */
function serverMessage(text: string, res: Response): string {
  let msg = text.trim()
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object') {
      const p = parsed as Record<string, unknown>
      const e = p['error']
      const code = typeof e === 'string' ? e : undefined
      const nested =
        e && typeof e === 'object' ? (e as Record<string, unknown>)['message'] : undefined
      const detail =
        typeof p['message'] === 'string'
          ? p['message']
          : typeof nested === 'string'
            ? nested
            : undefined
      const joined = code && detail ? `${code}: ${detail}` : (code ?? detail)
      if (joined) msg = joined
    }
  } catch {
    // not JSON: keep the text
  }
  if (!msg) msg = res.statusText
  msg = msg.replace(/[\r\n]+/g, ' ')
  return msg.length > MAX_MESSAGE_CHARS ? msg.slice(0, MAX_MESSAGE_CHARS) + '…' : msg
}

interface IngestResponse {
  accepted?: unknown
  rejected?: unknown
  duplicates?: unknown
}

/**
 * Report events the server refused in a 2xx answer (invalid events: not retried) and return
 * how many there were, for the pipeline to count as dropped (`rejected`).
 */
function reportPartial(text: string, batch: readonly ExportRecord[]): number {
  if (!text) return 0
  let parsed: IngestResponse
  try {
    parsed = JSON.parse(text) as IngestResponse
  } catch {
    return 0
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray(parsed.rejected)) return 0
  const rejected = parsed.rejected as unknown[]
  if (rejected.length === 0) return 0
  const first = rejected.slice(0, 3).map((r) => {
    const o = (r && typeof r === 'object' ? r : {}) as { index?: unknown; reason?: unknown }
    const index = typeof o.index === 'number' ? o.index : undefined
    const id = index === undefined ? undefined : batch[index]?.event.id
    return {
      ...(index === undefined ? {} : { index }),
      ...(id === undefined ? {} : { id }),
      reason: typeof o.reason === 'string' ? o.reason.slice(0, 200) : 'unknown',
    }
  })
  diag.warn('http exporter: the server rejected some events as invalid', {
    rejected: rejected.length,
    events: batch.length,
    ...(typeof parsed.accepted === 'number' ? { accepted: parsed.accepted } : {}),
    first,
  })
  return Math.min(rejected.length, batch.length)
}
