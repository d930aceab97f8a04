/**
 * W3C Trace Context (Level 1, with Level 2's version handling): strict `traceparent` parsing and
 * formatting, and `tracestate` validation. Parsers never throw; invalid input yields `undefined`.
 */

export interface TraceParent {
  /** Two lowercase hex digits; `00` or a future version (never `ff`). */
  version: string
  traceId: string
  spanId: string
  /** Two lowercase hex digits, as received. */
  traceFlags: string
  /** Bit 0 of `traceFlags`. */
  sampled: boolean
}

const TRACEPARENT_LENGTH = 55
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const TRACE_ID = /^[0-9a-f]{32}$/
const SPAN_ID = /^[0-9a-f]{16}$/
const FLAGS = /^[0-9a-f]{2}$/
const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)
const OWS = /^[ \t]+|[ \t]+$/g
const MAX_TRACESTATE_MEMBERS = 32
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/
const MULTI_TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/

/** True for 32 lowercase hex digits, not all zero. */
export function isValidTraceId(id: unknown): id is string {
  return typeof id === 'string' && TRACE_ID.test(id) && id !== ZERO_TRACE_ID
}

/** True for 16 lowercase hex digits, not all zero. */
export function isValidSpanId(id: unknown): id is string {
  return typeof id === 'string' && SPAN_ID.test(id) && id !== ZERO_SPAN_ID
}

/**
 * Parse a `traceparent` header value. Version `00` must be exactly 55 characters; a future
 * version (`01`-`fe`) is accepted when its first four fields parse and anything after them starts
 * with `-` (and is ignored). A repeated header (an array of more than one value) is invalid:
 * the spec allows a single `traceparent` and there is no safe way to choose between several.
 */
export function parseTraceparent(
  header: string | string[] | undefined | null,
): TraceParent | undefined {
  let value: unknown = header
  if (Array.isArray(header)) {
    if (header.length !== 1) return undefined
    value = header[0]
  }
  if (typeof value !== 'string') return undefined
  const s = value.replace(OWS, '')
  if (s.length < TRACEPARENT_LENGTH) return undefined
  const match = TRACEPARENT.exec(s.slice(0, TRACEPARENT_LENGTH))
  if (!match) return undefined
  const [, version, traceId, spanId, traceFlags] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ]
  if (version === 'ff') return undefined
  if (s.length > TRACEPARENT_LENGTH && (version === '00' || s[TRACEPARENT_LENGTH] !== '-')) {
    return undefined
  }
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined
  return { version, traceId, spanId, traceFlags, sampled: (parseInt(traceFlags, 16) & 1) === 1 }
}

/**
 * Format a version `00` `traceparent`. Flags come from `traceFlags` (default `00`), with bit 0
 * forced to `sampled` when that is given. Throws `TypeError` on an invalid id or flags, so that
 * a malformed header is never sent.
 */
export function formatTraceparent(p: {
  traceId: string
  spanId: string
  traceFlags?: string
  sampled?: boolean
}): string {
  if (!isValidTraceId(p.traceId)) throw new TypeError('traceparent: invalid trace id')
  if (!isValidSpanId(p.spanId)) throw new TypeError('traceparent: invalid span id')
  const flags = p.traceFlags ?? '00'
  if (typeof flags !== 'string' || !FLAGS.test(flags)) {
    throw new TypeError('traceparent: invalid trace flags')
  }
  let bits = parseInt(flags, 16)
  if (p.sampled !== undefined) bits = p.sampled ? bits | 1 : bits & ~1
  return `00-${p.traceId}-${p.spanId}-${bits.toString(16).padStart(2, '0')}`
}

function isValidKey(key: string): boolean {
  return SIMPLE_KEY.test(key) || MULTI_TENANT_KEY.test(key)
}

/**
 * Validate and normalize a `tracestate` header: list-members trimmed of OWS and joined by `,`,
 * empty members dropped, a repeated header (array) joined with `,`. Returns `undefined` when any
 * member is malformed, a key repeats, or no member remains. Beyond 32 members the list is
 * truncated from the end, as the spec asks, rather than rejected.
 */
export function parseTracestate(header: string | string[] | undefined | null): string | undefined {
  let value: unknown = header
  if (Array.isArray(header)) {
    if (!header.every((h) => typeof h === 'string')) return undefined
    value = header.join(',')
  }
  if (typeof value !== 'string') return undefined
  const members: string[] = []
  const keys = new Set<string>()
  for (const raw of value.split(',')) {
    const member = raw.replace(OWS, '')
    if (member === '') continue
    const eq = member.indexOf('=')
    if (eq < 0) return undefined
    const key = member.slice(0, eq)
    if (!isValidKey(key) || !VALUE.test(member.slice(eq + 1)) || keys.has(key)) return undefined
    keys.add(key)
    members.push(member)
  }
  if (members.length === 0) return undefined
  return members.slice(0, MAX_TRACESTATE_MEMBERS).join(',')
}
