// The mapping's shared pieces: options and results, errors, limits, and the per-request state.
import { costOf as defaultCostOf, createSanitizer } from '@threadline/core'
import type { Sanitizer, ThreadlineEvent, TokenUsage } from '@threadline/core'

export interface OtlpMapResult {
  events: ThreadlineEvent[]
  /** Spans or log records that could not be mapped. */
  rejected: number
  /** Why, one short line per problem (capped at `maxErrors`). */
  errors: string[]
}

export interface OtlpMapOptions {
  /** Timestamp of log records with neither `timeUnixNano` nor `observedTimeUnixNano`. @default new Date() */
  now?: Date
  /** Redaction and limits. @default createSanitizer() (the core defaults) */
  sanitizer?: Sanitizer
  /** Records mapped per request; the rest are rejected. @default 100000 */
  maxRecords?: number
  /** Reasons kept in `errors`. @default 10 */
  maxErrors?: number
  /** Price lookup for `cost_usd` of gen_ai spans. @default core's `costOf` (the global price table) */
  costOf?: (model: string | undefined, usage: TokenUsage) => number | undefined
}

/** The body is not an OTLP export request at all: answer 400. */
export class OtlpFormatError extends Error {
  override readonly name = 'OtlpFormatError'
  constructor(
    /** Where in the body, e.g. `resourceSpans[0].scopeSpans`. */
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`)
  }
}

/** One record (or everything under one resource or scope) cannot be mapped. */
export class RecordError extends Error {
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`)
  }
}

export const DEFAULT_MAX_RECORDS = 100_000
export const DEFAULT_MAX_ERRORS = 10
/** Attributes read per record (OpenTelemetry SDKs keep 128 by default). */
export const MAX_ATTRIBUTES = 1000
/** Span events read per span. */
export const MAX_SPAN_EVENTS = 1000
/** Span events (other than exceptions) and links kept under `otel.events` / `otel.links`. */
export const MAX_KEPT_EVENTS = 32
/** Values (nodes) flattened per record; past it values become a marker. */
export const VALUE_BUDGET = 100_000
/** Nesting kept when flattening AnyValue (the sanitizer cuts deeper anyway). */
export const MAX_VALUE_DEPTH = 32
export const MAX_LIST = 1000
export const MAX_NANOS = 2n ** 64n - 1n

let defaultSanitizer: Sanitizer | undefined

// ---------------------------------------------------------------------------------------------
// per-request state

export class Run {
  readonly events: ThreadlineEvent[] = []
  readonly errors: string[] = []
  rejected = 0
  private seen = 0
  private capped = false
  readonly s: Sanitizer
  readonly now: Date
  readonly costOf: (model: string | undefined, usage: TokenUsage) => number | undefined
  private readonly maxRecords: number
  private readonly maxErrors: number

  constructor(o: OtlpMapOptions) {
    this.s = o.sanitizer ?? (defaultSanitizer ??= createSanitizer())
    this.now = o.now ?? new Date()
    this.costOf = o.costOf ?? defaultCostOf
    this.maxRecords = o.maxRecords ?? DEFAULT_MAX_RECORDS
    this.maxErrors = o.maxErrors ?? DEFAULT_MAX_ERRORS
  }

  /** Whether one more record may be mapped; past the cap, rejects the `remaining` ones here. */
  admit(remaining: number): boolean {
    if (this.seen < this.maxRecords) {
      this.seen++
      return true
    }
    this.rejected += remaining
    if (!this.capped) {
      this.capped = true
      this.error(`too many records in one request (limit ${this.maxRecords})`)
    }
    return false
  }

  attempt(map: () => ThreadlineEvent): void {
    try {
      this.events.push(map())
    } catch (err) {
      this.rejectMany(1, err)
    }
  }

  rejectMany(n: number, err: unknown): void {
    if (n <= 0) return
    this.rejected += n
    let msg: string
    try {
      msg = err instanceof Error ? err.message : String(err)
    } catch {
      msg = 'unreadable error'
    }
    this.error(msg.length > 300 ? msg.slice(0, 300) + '…' : msg)
  }

  private error(msg: string): void {
    if (this.errors.length < this.maxErrors) this.errors.push(msg)
  }

  result(): OtlpMapResult {
    return { events: this.events, rejected: this.rejected, errors: this.errors }
  }
}

// ---------------------------------------------------------------------------------------------
// shapes

export type Obj = Record<string, unknown>

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A container object; `null`/absent is not allowed. */
export function object(v: unknown, path: string): Obj {
  if (!isObject(v)) throw new OtlpFormatError(path, 'expected a JSON object')
  return v
}

/** A repeated container field; absent or `null` is an empty list. */
export function list(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new OtlpFormatError(path, 'expected an array')
  return v
}

/** A repeated field inside a record: a wrong type rejects the record. */
export function recordList(v: unknown, path: string): readonly unknown[] {
  if (v === undefined || v === null) return []
  if (!Array.isArray(v)) throw new RecordError(path, 'expected an array')
  return v
}

export function optString(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') throw new RecordError(path, 'expected a string')
  return v
}
