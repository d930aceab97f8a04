import { StoreQueryError } from './errors.js'
import type { DurationInput, TimeInput } from './types.js'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i

/** `'90m'`, `'24h'`, `'14d'`, `'2w'`, or milliseconds, to milliseconds. */
export function parseDuration(input: DurationInput, field: string): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input
    throw new StoreQueryError(field, 'must be a non-negative number of milliseconds')
  }
  const m = typeof input === 'string' ? DURATION.exec(input) : null
  if (!m)
    throw new StoreQueryError(field, `expected a duration like 90m, 24h or 14d, got ${show(input)}`)
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!
}

/** An absolute time, or a duration before `now` (`since: '24h'`), as an ISO string. */
export function parseTime(input: TimeInput, field: string, now: Date): string {
  let ms: number
  if (input instanceof Date) ms = input.getTime()
  else if (typeof input === 'number') ms = input
  else if (typeof input === 'string' && DURATION.test(input))
    ms = now.getTime() - parseDuration(input, field)
  else if (typeof input === 'string') ms = Date.parse(input)
  else ms = NaN
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15)
    throw new StoreQueryError(
      field,
      `expected an ISO-8601 time or a duration like 24h, got ${show(input)}`,
    )
  return new Date(ms).toISOString()
}

export const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v)
  return s.length > 60 ? s.slice(0, 57) + '...' : s
}
