// The time window of a view, kept in the URL: `range=1h`, or `from=...&to=...` for a custom one.

export const RANGES: Record<string, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
}
export const DEFAULT_RANGE = '24h'

const STEPS: [string, number][] = [
  ['10s', 10_000],
  ['30s', 30_000],
  ['1m', 60_000],
  ['5m', 300_000],
  ['10m', 600_000],
  ['30m', 1_800_000],
  ['1h', 3_600_000],
  ['3h', 10_800_000],
  ['6h', 21_600_000],
  ['12h', 43_200_000],
  ['1d', 86_400_000],
]

export interface TimeWindow {
  /** ISO start (inclusive). */
  since: string
  /** ISO end (exclusive), set only for a custom window. */
  until: string | undefined
  startMs: number
  endMs: number
  /** `15m`, `1h`, ... or `custom`. */
  range: string
  /** Bucket size for charts, as the API takes it (`1m`) and in ms. */
  interval: string
  stepMs: number
}

/** A bucket size giving 30 to 90 buckets over the window. */
export function stepFor(spanMs: number): [string, number] {
  for (const s of STEPS) if (spanMs / s[1] <= 90) return s
  return STEPS[STEPS.length - 1]!
}

export function parseWhen(v: string | null): number | undefined {
  if (!v) return undefined
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v)
  return Number.isFinite(ms) ? ms : undefined
}

export function timeWindow(params: URLSearchParams, now = Date.now()): TimeWindow {
  const from = parseWhen(params.get('from'))
  const to = parseWhen(params.get('to'))
  if (from !== undefined) {
    const end = to !== undefined && to > from ? to : now
    const [interval, stepMs] = stepFor(end - from)
    return {
      since: new Date(from).toISOString(),
      until: to !== undefined && to > from ? new Date(end).toISOString() : undefined,
      startMs: from,
      endMs: end,
      range: 'custom',
      interval,
      stepMs,
    }
  }
  const range = RANGES[params.get('range') ?? ''] ? params.get('range')! : DEFAULT_RANGE
  const span = RANGES[range]!
  const [interval, stepMs] = stepFor(span)
  return {
    since: new Date(now - span).toISOString(),
    until: undefined,
    startMs: now - span,
    endMs: now,
    range,
    interval,
    stepMs,
  }
}

/** Bucket starts covering the window, aligned like the server's (multiples of the step). */
export function bucketStarts(w: TimeWindow): number[] {
  const out: number[] = []
  const first = Math.floor(w.startMs / w.stepMs) * w.stepMs
  for (let t = first; t < w.endMs && out.length < 2000; t += w.stepMs) out.push(t)
  return out
}

/** `YYYY-MM-DDTHH:MM` for a datetime-local input, in local time. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000)
  return d.toISOString().slice(0, 16)
}
