import { describe, expect, it } from 'vitest'
import { bucketStarts, stepFor, timeWindow } from './time.js'

const NOW = Date.parse('2026-12-03T10:17:42.000Z')

describe('time windows', () => {
  it('gives each preset range a bucket size with at most 90 buckets', () => {
    expect(timeWindow(new URLSearchParams('range=15m'), NOW).interval).toBe('10s')
    expect(timeWindow(new URLSearchParams('range=1h'), NOW).interval).toBe('1m')
    expect(timeWindow(new URLSearchParams('range=24h'), NOW).interval).toBe('30m')
    expect(timeWindow(new URLSearchParams('range=7d'), NOW).interval).toBe('3h')
    for (const span of [1000, 60_000, 3_600_000, 86_400_000, 30 * 86_400_000])
      expect(span / stepFor(span)[1]).toBeLessThanOrEqual(90)
  })

  it('defaults to 24h and ignores a range it does not know', () => {
    const w = timeWindow(new URLSearchParams('range=5y'), NOW)
    expect(w.range).toBe('24h')
    expect(w.since).toBe(new Date(NOW - 86_400_000).toISOString())
    expect(w.until).toBeUndefined()
  })

  it('takes a custom window from ISO times or epoch ms, and ignores an end before its start', () => {
    const from = '2026-12-03T08:00:00.000Z'
    const to = '2026-12-03T08:30:00.000Z'
    const w = timeWindow(new URLSearchParams({ from, to }), NOW)
    expect([w.range, w.since, w.until, w.interval]).toEqual(['custom', from, to, '30s'])
    const ms = timeWindow(new URLSearchParams({ from: String(Date.parse(from)) }), NOW)
    expect([ms.since, ms.until, ms.endMs]).toEqual([from, undefined, NOW])
    const backwards = timeWindow(new URLSearchParams({ from: to, to: from }), NOW)
    expect(backwards.until).toBeUndefined()
  })

  it('lays buckets on multiples of the step, covering the window', () => {
    const w = timeWindow(new URLSearchParams('range=24h'), NOW)
    const b = bucketStarts(w)
    expect(b.every((t) => t % w.stepMs === 0)).toBe(true)
    expect(b[0]!).toBeLessThanOrEqual(w.startMs)
    expect(b[0]! + w.stepMs).toBeGreaterThan(w.startMs)
    expect(b.at(-1)!).toBeLessThan(w.endMs)
    expect(b.at(-1)! + w.stepMs).toBeGreaterThanOrEqual(w.endMs)
  })
})
