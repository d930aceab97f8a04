/**
 * Pieces shared by the HTTP-based exporters (`httpExporter` and the vendor exporters):
 * option checks, `Retry-After`, jittered backoff, abortable waits, bounded response reads,
 * readable network errors, gzip, and the circuit breaker. Internal: not exported from the
 * package index.
 */
import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'

import { ThreadlineConfigError } from '../errors.js'

export const gzipAsync = promisify(gzipCallback)

export function positive(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new ThreadlineConfigError(`${name} must be a positive number, got ${String(v)}`, name)
}

export function nonNegative(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new ThreadlineConfigError(`${name} must be a number >= 0, got ${String(v)}`, name)
}

export function attemptsOption(maxAttempts: unknown): void {
  if (!(
    maxAttempts === Infinity ||
    (typeof maxAttempts === 'number' && Number.isInteger(maxAttempts) && maxAttempts >= 1)
  )) {
    throw new ThreadlineConfigError(
      `maxAttempts must be a positive integer or Infinity, got ${String(maxAttempts)}`,
      'maxAttempts',
    )
  }
}

/** Delay asked for by `Retry-After` (delta-seconds or HTTP-date), in ms. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined
  const v = value.trim()
  if (v === '') return undefined
  if (/^\d+$/.test(v)) return Number(v) * 1000
  if (!/[a-z]/i.test(v)) return undefined
  const at = Date.parse(v)
  if (!Number.isFinite(at)) return undefined
  return Math.max(0, at - now)
}

/**
 * Backoff before retry number `retry` (1 for the first retry): `initial * 2^(retry-1)` capped
 * at `max`, with equal jitter (at least half the step, so retries never hot-loop).
 */
export function backoffDelay(retry: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(retry - 1, 30))
  return ceiling / 2 + Math.random() * (ceiling / 2)
}

/** Wait `ms`; false if `signal` aborted the wait (or already was). */
export function abortableWait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/** Read at most `max` bytes of a response body as text; the rest is cancelled. */
export async function readText(res: Response, max: number): Promise<string> {
  const body = res.body
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (size + value.byteLength > max) {
      await reader.cancel().catch(() => undefined)
      return ''
    }
    chunks.push(value)
    size += value.byteLength
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel()
  } catch {
    // the connection is gone anyway
  }
}

export function scrub(text: string, secret: string | undefined): string {
  return secret && text.includes(secret) ? text.split(secret).join('[redacted]') : text
}

/** A readable network error: `fetch failed` plus the socket error's code and message. */
export function networkError(err: unknown, where: string): Error {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined
  const rawCode: unknown = cause ? (cause as Error & { code?: unknown }).code : undefined
  const code = typeof rawCode === 'string' ? rawCode : undefined
  const detail = cause ? cause.message : err instanceof Error ? err.message : String(err)
  return new Error(
    `POST ${where} failed: ${code && !detail.includes(code) ? `${code} ` : ''}${detail}`,
    { cause: err },
  )
}

// ---------------------------------------------------------------- circuit breaker

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  /** Consecutive failed batches that open the breaker. @default 5 */
  failureThreshold?: number
  /**
   * How long the breaker stays open before one probe batch is let through (half-open), in
   * ms. Each failed probe doubles it, up to `maxOpenMs`.
   * @default 10000
   */
  openMs?: number
  /** Upper bound of the open period after repeated failed probes, in ms. @default 300000 */
  maxOpenMs?: number
}

export interface Breaker {
  readonly state: BreakerState
  readonly consecutiveFailures: number
  /** Times the breaker opened since start. */
  readonly opened: number
  /** May a batch be sent now? In `half_open`, only one probe at a time. */
  allow(): boolean
  success(): void
  failure(): void
}

/**
 * Closed: every batch is sent. After `failureThreshold` consecutive failed batches it opens:
 * batches are refused at once (no request, no wait) for `openMs`. Then it is half-open: one
 * probe batch goes (with a single attempt); success closes it, failure opens it again for
 * twice as long (up to `maxOpenMs`).
 */
export function createBreaker(
  options: BreakerOptions = {},
  now = () => performance.now(),
): Breaker {
  const { failureThreshold = 5, openMs = 10_000, maxOpenMs = 300_000 } = options
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1)
    throw new ThreadlineConfigError(
      `breaker.failureThreshold must be a positive integer, got ${String(failureThreshold)}`,
      'breaker.failureThreshold',
    )
  positive('breaker.openMs', openMs)
  positive('breaker.maxOpenMs', maxOpenMs)
  let state: BreakerState = 'closed'
  let failures = 0
  let opened = 0
  let openedAt = 0
  let period = openMs
  let probing = false
  const open = (): void => {
    state = 'open'
    openedAt = now()
    opened++
    probing = false
  }
  return {
    get state() {
      if (state === 'open' && now() - openedAt >= period) state = 'half_open'
      return state
    },
    get consecutiveFailures() {
      return failures
    },
    get opened() {
      return opened
    },
    allow() {
      const s = this.state
      if (s === 'closed') return true
      if (s === 'open' || probing) return false
      probing = true
      return true
    },
    success() {
      failures = 0
      state = 'closed'
      period = openMs
      probing = false
    },
    failure() {
      failures++
      if (state === 'half_open' || state === 'open') {
        period = Math.min(maxOpenMs, period * 2)
        open()
      } else if (failures >= failureThreshold) open()
    },
  }
}
