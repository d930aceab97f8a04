/**
 * The engine under the vendor exporters (Datadog, Splunk HEC, CloudWatch Logs, webhook):
 * each vendor describes its intake (limits, entry and body encoding, headers, how to read
 * an answer) and this module does the rest the same way for all of them: fit oversized
 * events, split a batch into requests within the intake's limits, send each with retries
 * inside a time budget, keep a circuit breaker, count by reason, and report partial
 * results to the pipeline so that emitted = delivered + dropped + queued holds.
 */
import { diag } from '../diag.js'
import { ThreadlineConfigError } from '../errors.js'
import type {
  BatchOptions,
  Exporter,
  ExportRecord,
  ExportResult,
  ThreadlineEvent,
} from '../types.js'
import {
  abortableWait,
  attemptsOption,
  backoffDelay,
  createBreaker,
  discard,
  gzipAsync,
  networkError,
  nonNegative,
  parseRetryAfter,
  positive,
  readText,
  scrub,
} from './shared.js'
import type { BreakerOptions, BreakerState } from './shared.js'

/** Options every vendor exporter takes. */
export interface VendorCommonOptions {
  /**
   * Overrides the intake address (a proxy, another site or region, a private link, a test
   * server). `http:` or `https:`; TLS certificates are always verified (add a private CA
   * with `NODE_EXTRA_CA_CERTS`).
   * @default the vendor's documented intake
   */
  url?: string
  /** Extra request headers; the exporter's own (auth, content type) win. @default {} */
  headers?: Record<string, string>
  /** Deadline of one request, response included, in ms. @default 10000 */
  timeoutMs?: number
  /** Most attempts per request, the first included. @default Infinity (bounded by `maxRetryMs`) */
  maxAttempts?: number
  /**
   * Retry budget of one batch in ms, from its first request: no wait or retry goes past it,
   * and a `Retry-After` that would is not waited for. Keep it under the pipeline's
   * `exportTimeoutMs` (30000 by default).
   * @default 25000
   */
  maxRetryMs?: number
  /** Backoff before the first retry (doubled each retry, jittered), in ms. @default 250 */
  initialBackoffMs?: number
  /** Upper bound of one backoff, in ms. @default 5000 */
  maxBackoffMs?: number
  /** Circuit breaker: consecutive failed batches before it opens, and for how long. @default { failureThreshold: 5, openMs: 10000, maxOpenMs: 300000 } */
  breaker?: BreakerOptions
  /**
   * An event larger than the intake's per-event limit: `'truncate'` keeps it with its
   * attributes replaced by `threadline.truncated` (a note of what was cut) and message and
   * stack capped; `'drop'` drops it. Either way it is counted (`truncated`, or dropped as
   * `too_large`), never cut silently.
   * @default 'truncate'
   */
  oversized?: 'truncate' | 'drop'
  /** Batching hints for this exporter's processor (the logger's `batch` options win). @default the vendor's */
  batching?: Partial<BatchOptions>
}

/** Delivery statistics of one vendor exporter, for metrics and the integrations API. */
export interface VendorExporterStats {
  /** The exporter's name (`datadog`, `splunk`, `cloudwatch`, `webhook`). */
  name: string
  breaker: BreakerState
  /** Times the breaker opened since start. */
  breakerOpened: number
  consecutiveFailures: number
  /** HTTP requests made (retries included). */
  requests: number
  /** Of which retries. */
  retries: number
  /** Events the destination accepted. */
  delivered: number
  /** Events sent truncated because they were over the intake's per-event limit. */
  truncated: number
  /** Events not delivered, by reason: `too_large`, `rejected`, `retry_exhausted`, `breaker_open`, `shutdown`, `exporter_error`. */
  dropped: Record<string, number>
  /** The last failure, scrubbed of credentials. */
  lastError?: string
  lastErrorAt?: string
  lastSuccessAt?: string
}

/** An exporter to a vendor's intake, with its delivery statistics. */
export interface VendorExporter extends Exporter {
  stats(): VendorExporterStats
}

// ---------------------------------------------------------------- internal contract

/** One event as the intake wants it. */
export interface Entry {
  readonly record: ExportRecord
  /** The entry's text on the wire. */
  readonly text: string
  /** Its size as the intake counts it (UTF-8 bytes of `text`, unless the vendor says otherwise). */
  readonly bytes: number
  /** Epoch ms (for intakes that want entries sorted or within a span). */
  readonly time: number
}

export interface IntakeLimits {
  /** Most entries in one request. */
  maxEntries: number
  /** Most bytes in one request, counted as the intake counts them. */
  maxRequestBytes: number
  /** Most bytes of one entry. */
  maxEntryBytes: number
  /** Bytes the intake adds per entry when counting a request (CloudWatch: 26). */
  entryOverhead: number
  /** Fixed bytes of a request body around the entries (`[]` = 2). */
  frameBytes: number
  /** Bytes between two entries (`,` or `\n` = 1). */
  separatorBytes: number
  /** Most time between the first and the last entry of one request, in ms. */
  maxSpanMs?: number
}

/** How the engine reads one answer. */
export type Outcome =
  | { kind: 'delivered'; rejected?: number }
  | { kind: 'rejected'; status: number; message: string }
  | { kind: 'retry'; error: Error; status?: number; retryAfterMs?: number }
  | { kind: 'shutdown' }

export interface IntakeAnswer {
  status: number
  headers: Headers
  text: string
}

export interface IntakeSpec {
  name: string
  target: URL
  limits: IntakeLimits
  /** Sort each batch by time before splitting (CloudWatch). */
  sortByTime?: boolean
  gzip: boolean
  /** The secret to scrub from any message (API key, token). */
  secret?: string
  /** The entry text for an event (`json` is its Threadline line). */
  encode(event: ThreadlineEvent, json: string): string
  /** Size of an entry as the intake counts it (`json`: the event's line). @default UTF-8 bytes of `text` */
  measure?(text: string, json: string): number
  /** The request body for some entries. */
  body(entries: readonly Entry[]): string
  /** The request headers for a body (may sign it). */
  headers(body: Buffer): Headers | Promise<Headers>
  /** Statuses retried. */
  retryStatus: ReadonlySet<number>
  /** Read a completed answer; `undefined` falls back to the default reading. */
  interpret?(
    answer: IntakeAnswer,
    part: readonly Entry[],
    signal: AbortSignal,
  ): Outcome | undefined | Promise<Outcome | undefined>
  /** Message of an error answer. @default the text, on one line */
  errorMessage?(answer: IntakeAnswer): string
  /** Timestamps of delivery statuses for `stats()`. */
  now?: () => number
}

const MAX_RESPONSE_BYTES = 1024 * 1024
const MAX_MESSAGE_CHARS = 500
const MIN_ATTEMPT_MS = 100
const TRUNCATED_KEY = 'threadline.truncated'

export function utf8(text: string): number {
  return Buffer.byteLength(text)
}

export function checkCommon(o: VendorCommonOptions): void {
  const {
    timeoutMs = 10_000,
    maxAttempts = Infinity,
    maxRetryMs = 25_000,
    initialBackoffMs = 250,
    maxBackoffMs = 5000,
    oversized = 'truncate',
  } = o
  positive('timeoutMs', timeoutMs)
  nonNegative('maxRetryMs', maxRetryMs)
  positive('initialBackoffMs', initialBackoffMs)
  positive('maxBackoffMs', maxBackoffMs)
  attemptsOption(maxAttempts)
  if (oversized !== 'truncate' && oversized !== 'drop')
    throw new ThreadlineConfigError(`oversized must be 'truncate' or 'drop'`, 'oversized')
}

/** The intake URL: `url` if given (with `defaultPath` appended to a bare origin), else `fallback`. */
export function intakeUrl(url: unknown, fallback: string, defaultPath: string): URL {
  const raw = url === undefined ? fallback : url
  if (typeof raw !== 'string' || raw.trim() === '')
    throw new ThreadlineConfigError('url must be a non-empty string', 'url')
  let u: URL
  try {
    u = new URL(raw.trim())
  } catch {
    throw new ThreadlineConfigError(`url is not a valid URL: ${JSON.stringify(raw)}`, 'url')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ThreadlineConfigError(`url must be http: or https:, got ${u.protocol}`, 'url')
  if (u.username || u.password)
    throw new ThreadlineConfigError('url must not contain credentials', 'url')
  if ((u.pathname === '/' || u.pathname === '') && defaultPath) u.pathname = defaultPath
  u.hash = ''
  return u
}

export function secretOption(name: string, v: unknown, required: boolean): string | undefined {
  if (v === undefined || v === '') {
    if (required) throw new ThreadlineConfigError(`${name} is required`, name)
    return undefined
  }
  if (typeof v !== 'string' || /[\r\n\0]/.test(v))
    throw new ThreadlineConfigError(`${name} must be a string without line breaks`, name)
  return v
}

export function baseHeaders(extra: Record<string, string> | undefined): Headers {
  try {
    const h = new Headers(extra ?? {})
    if (!h.has('user-agent')) h.set('user-agent', 'threadline-core')
    return h
  } catch (err) {
    throw new ThreadlineConfigError(
      `headers are invalid: ${err instanceof Error ? err.message : String(err)}`,
      'headers',
    )
  }
}

/** A copy of an event cut to fit: attributes replaced by a note, message and stack capped. */
export function shrinkEvent(
  event: ThreadlineEvent,
  capChars: number,
  note: string,
): ThreadlineEvent {
  const out: ThreadlineEvent = { ...event, attributes: { [TRUNCATED_KEY]: note } }
  const cap = (s: string): string =>
    s.length > capChars ? s.slice(0, capChars) + `…[truncated ${s.length - capChars} chars]` : s
  out.message = cap(out.message)
  if (out.error) {
    out.error = { ...out.error, message: cap(out.error.message) }
    if (out.error.stack) out.error.stack = cap(out.error.stack)
  }
  if (out.tags && out.tags.length > 16) out.tags = out.tags.slice(0, 16)
  return out
}

/** Split sorted or unsorted entries into consecutive requests within the limits. */
export function splitEntries(entries: readonly Entry[], l: IntakeLimits): Entry[][] {
  const parts: Entry[][] = []
  let current: Entry[] = []
  let size = l.frameBytes
  for (const e of entries) {
    const add = e.bytes + l.entryOverhead + (current.length > 0 ? l.separatorBytes : 0)
    const spanOk =
      l.maxSpanMs === undefined || current.length === 0 || e.time - current[0]!.time <= l.maxSpanMs
    if (
      current.length > 0 &&
      (size + add > l.maxRequestBytes || current.length >= l.maxEntries || !spanOk)
    ) {
      parts.push(current)
      current = []
      size = l.frameBytes
    }
    size += e.bytes + l.entryOverhead + (current.length > 0 ? l.separatorBytes : 0)
    current.push(e)
  }
  if (current.length > 0) parts.push(current)
  return parts
}

/**
 * Build a vendor exporter from its intake description. Never throws once set up; every
 * batch ends in one `ExportResult` that the pipeline can account for exactly.
 */
export function createIntakeExporter(
  spec: IntakeSpec,
  options: VendorCommonOptions,
  defaultBatching: Partial<BatchOptions>,
): VendorExporter {
  const {
    timeoutMs = 10_000,
    maxAttempts = Infinity,
    maxRetryMs = 25_000,
    initialBackoffMs = 250,
    maxBackoffMs = 5000,
    breaker: breakerOptions = {},
    oversized = 'truncate',
    batching = {},
  } = options
  checkCommon(options)
  const breaker = createBreaker(breakerOptions)
  const limits = spec.limits
  const measure = spec.measure ?? ((text: string) => utf8(text))
  const where = `${spec.target.origin}${spec.target.pathname}`
  const stopping = new AbortController()
  const now = spec.now ?? Date.now
  const st = {
    requests: 0,
    retries: 0,
    delivered: 0,
    truncated: 0,
    dropped: {} as Record<string, number>,
    lastError: undefined as string | undefined,
    lastErrorAt: undefined as string | undefined,
    lastSuccessAt: undefined as string | undefined,
  }
  const drop = (reason: string, n: number): void => {
    if (n > 0) st.dropped[reason] = (st.dropped[reason] ?? 0) + n
  }
  const failed = (error: unknown): void => {
    const msg = error instanceof Error ? error.message : String(error)
    st.lastError = scrub(msg, spec.secret).slice(0, MAX_MESSAGE_CHARS)
    st.lastErrorAt = new Date(now()).toISOString()
  }

  /** The most bytes one entry may have: its own limit, and what fits alone in a request. */
  const entryBudget = Math.min(
    limits.maxEntryBytes,
    limits.maxRequestBytes - limits.frameBytes - limits.entryOverhead,
  )

  function toEntry(record: ExportRecord): Entry | undefined {
    const event = record.event
    const time = Date.parse(event.timestamp)
    const text = spec.encode(event, record.json)
    const bytes = measure(text, record.json)
    if (bytes <= entryBudget)
      return { record, text, bytes, time: Number.isFinite(time) ? time : now() }
    if (oversized === 'drop') return undefined
    const note = `event of ${bytes} bytes exceeded the ${spec.name} limit of ${entryBudget} bytes: attributes dropped, message and stack capped`
    for (const div of [4, 16, 64]) {
      const cut = shrinkEvent(event, Math.max(64, Math.floor(entryBudget / div)), note)
      const line = JSON.stringify(cut)
      const t = spec.encode(cut, line)
      const b = measure(t, line)
      if (b <= entryBudget) {
        st.truncated++
        return { record, text: t, bytes: b, time: Number.isFinite(time) ? time : now() }
      }
    }
    return undefined
  }

  function errorMessage(a: IntakeAnswer): string {
    let msg = spec.errorMessage ? spec.errorMessage(a) : a.text.trim()
    msg = msg.replace(/[\r\n]+/g, ' ')
    return scrub(
      msg.length > MAX_MESSAGE_CHARS ? msg.slice(0, MAX_MESSAGE_CHARS) + '…' : msg,
      spec.secret,
    )
  }

  async function attempt(
    raw: Buffer,
    body: Buffer,
    part: readonly Entry[],
    ms: number,
  ): Promise<Outcome> {
    if (stopping.signal.aborted) return { kind: 'shutdown' }
    const ac = new AbortController()
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      ac.abort()
    }, ms)
    const onStop = (): void => ac.abort()
    stopping.signal.addEventListener('abort', onStop, { once: true })
    st.requests++
    try {
      const headers = await spec.headers(raw)
      if (spec.gzip) headers.set('content-encoding', 'gzip')
      const res = await fetch(spec.target, {
        method: 'POST',
        headers,
        body,
        signal: ac.signal,
        redirect: 'manual',
      })
      const status = res.status
      const ok = status >= 200 && status < 300
      const text =
        ok || !spec.retryStatus.has(status) || spec.interpret
          ? await readText(res, MAX_RESPONSE_BYTES).catch(() => '')
          : (await discard(res), '')
      const answer: IntakeAnswer = { status, headers: res.headers, text }
      const special = spec.interpret ? await spec.interpret(answer, part, ac.signal) : undefined
      if (special) return special
      if (ok) return { kind: 'delivered' }
      if (spec.retryStatus.has(status)) {
        const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'))
        const error = new Error(`POST ${where} answered ${status}`)
        return retryAfterMs === undefined
          ? { kind: 'retry', error, status }
          : { kind: 'retry', error, status, retryAfterMs }
      }
      return { kind: 'rejected', status, message: errorMessage(answer) }
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

  const shutdownResult = (): ExportResult => ({
    ok: false,
    reason: 'shutdown',
    retryable: true,
    error: new Error(`${spec.name} exporter: shut down before the batch was delivered`),
  })

  type PartResult =
    | { ok: true; rejected: number }
    | { ok: false; result: ExportResult; status?: number }
    | 'too_large'

  async function deliver(
    part: readonly Entry[],
    start: number,
    deadline: number,
    tries: number,
    first: boolean,
  ): Promise<PartResult> {
    const rawText = spec.body(part)
    const raw = Buffer.from(rawText)
    const body = spec.gzip ? await gzipAsync(raw) : raw
    let attempts = 0
    for (;;) {
      attempts++
      if (attempts > 1) st.retries++
      const left = deadline - performance.now()
      const a: Outcome =
        first && attempts === 1
          ? await attempt(raw, body, part, timeoutMs)
          : left >= 1
            ? await attempt(raw, body, part, Math.min(timeoutMs, left))
            : { kind: 'retry', error: new Error('no time left for this request') }
      if (a.kind === 'shutdown') return { ok: false, result: shutdownResult() }
      if (a.kind === 'delivered') return { ok: true, rejected: a.rejected ?? 0 }
      if (a.kind === 'rejected') {
        if (a.status === 413 && part.length > 1) return 'too_large'
        const error = new Error(
          `${spec.name}: POST ${where} answered ${a.status}${a.message ? `: ${a.message}` : ''}`,
        )
        diag.warn(`${spec.name} exporter: the intake rejected a request; not retried`, {
          status: a.status,
          events: part.length,
          message: a.message,
        })
        return { ok: false, result: { ok: false, reason: 'rejected', error }, status: a.status }
      }
      const giveUp = (why: string): PartResult => {
        const elapsed = Math.round(performance.now() - start)
        const error = new Error(
          `${spec.name} exporter: gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${elapsed} ms (${why}): ${scrub(a.error.message, spec.secret)}`,
          { cause: a.error },
        )
        return {
          ok: false,
          result: { ok: false, reason: 'retry_exhausted', retryable: true, error },
        }
      }
      if (attempts >= tries) return giveUp('maxAttempts reached')
      const remaining = deadline - performance.now()
      if (a.retryAfterMs !== undefined && a.retryAfterMs > remaining)
        return giveUp(`Retry-After ${Math.ceil(a.retryAfterMs)} ms is past the retry budget`)
      const delay = Math.max(
        backoffDelay(attempts, initialBackoffMs, maxBackoffMs),
        a.retryAfterMs ?? 0,
      )
      if (delay + Math.min(timeoutMs, MIN_ATTEMPT_MS) > remaining)
        return giveUp('retry budget spent')
      diag.debug(`${spec.name} exporter: attempt failed; retrying`, {
        attempt: attempts,
        ...(a.status === undefined ? {} : { status: a.status }),
        error: scrub(a.error.message, spec.secret),
        delayMs: Math.round(delay),
      })
      if (!(await abortableWait(delay, stopping.signal)))
        return { ok: false, result: shutdownResult() }
    }
  }

  async function send(batch: readonly ExportRecord[]): Promise<ExportResult> {
    if (stopping.signal.aborted) return shutdownResult()
    if (batch.length === 0) return { ok: true }
    if (!breaker.allow()) {
      drop('breaker_open', batch.length)
      return {
        ok: false,
        reason: 'breaker_open',
        retryable: true,
        error: new Error(`${spec.name} exporter: circuit breaker open; batch not sent`),
      }
    }
    const probe = breaker.state === 'half_open'
    const entries: Entry[] = []
    let tooLarge = 0
    for (const r of batch) {
      const e = toEntry(r)
      if (e) entries.push(e)
      else tooLarge++
    }
    if (tooLarge > 0) {
      drop('too_large', tooLarge)
      diag.warn(`${spec.name} exporter: events over the intake's size limit dropped`, {
        events: tooLarge,
        maxBytes: entryBudget,
      })
    }
    if (spec.sortByTime) entries.sort((x, y) => x.time - y.time)
    const parts = splitEntries(entries, limits)
    const start = performance.now()
    const deadline = start + maxRetryMs
    let sent = 0
    let rejected = 0
    for (let first = true; parts.length > 0; first = false) {
      const part = parts.shift()!
      const r = await deliver(part, start, deadline, probe ? 1 : maxAttempts, first)
      if (r === 'too_large') {
        const mid = Math.ceil(part.length / 2)
        parts.unshift(part.slice(0, mid), part.slice(mid))
        continue
      }
      if (!r.ok) {
        const reason = (r.result.ok ? undefined : r.result.reason) ?? 'exporter_error'
        const error = r.result.ok ? undefined : r.result.error
        failed(error)
        if (reason === 'retry_exhausted' || r.status === 401 || r.status === 403) breaker.failure()
        else if (reason === 'rejected') breaker.success()
        // the part that failed, and the parts not tried, are dropped with its reason
        const rest = part.length + parts.reduce((n, p) => n + p.length, 0)
        drop(reason, rest)
        st.delivered += sent - rejected
        drop('rejected', rejected)
        const done = sent + tooLarge
        const refused = rejected + tooLarge
        if (done === 0) return r.result
        return {
          ...(r.result as Extract<ExportResult, { ok: false }>),
          delivered: done,
          rejected: refused,
        }
      }
      sent += part.length
      rejected += Math.min(r.rejected, part.length)
    }
    breaker.success()
    st.delivered += sent - rejected
    drop('rejected', rejected)
    st.lastSuccessAt = new Date(now()).toISOString()
    const refused = rejected + tooLarge
    return refused > 0 ? { ok: true, rejected: refused } : { ok: true }
  }

  return {
    name: spec.name,
    batching: { ...defaultBatching, ...batching },
    async export(batch) {
      try {
        return await send(batch)
      } catch (error) {
        diag.error(`${spec.name} exporter: unexpected failure`, error)
        failed(error)
        drop('exporter_error', batch.length)
        return { ok: false, error }
      }
    },
    async forceFlush() {
      // nothing is buffered here: every batch is sent by the export that received it
    },
    async shutdown() {
      stopping.abort()
    },
    stats() {
      return {
        name: spec.name,
        breaker: breaker.state,
        breakerOpened: breaker.opened,
        consecutiveFailures: breaker.consecutiveFailures,
        requests: st.requests,
        retries: st.retries,
        delivered: st.delivered,
        truncated: st.truncated,
        dropped: { ...st.dropped },
        ...(st.lastError === undefined ? {} : { lastError: st.lastError }),
        ...(st.lastErrorAt === undefined ? {} : { lastErrorAt: st.lastErrorAt }),
        ...(st.lastSuccessAt === undefined ? {} : { lastSuccessAt: st.lastSuccessAt }),
      }
    },
  }
}
