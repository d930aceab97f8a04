import { describe, expect, it } from 'vitest'

import { CLOUDWATCH_LIMITS } from './cloudwatch.js'
import { DATADOG_LIMITS } from './datadog.js'
import { splitEntries } from './intake.js'
import type { Entry } from './intake.js'
import { createBreaker } from './shared.js'

const entry = (bytes: number, time = 0): Entry => ({
  record: { event: {} as Entry['record']['event'], json: '' },
  text: '',
  bytes,
  time,
})

describe('splitEntries', () => {
  it('fills a Datadog payload to exactly 5 MB (array brackets and commas counted), never a byte more', () => {
    // 5 entries whose bytes + 4 commas + 2 brackets are exactly 5 MiB
    const sizes = [1_048_575, 1_048_575, 1_048_575, 1_048_575, 1_048_574]
    expect(sizes.reduce((a, b) => a + b) + 4 + 2).toBe(DATADOG_LIMITS.maxRequestBytes)
    expect(
      splitEntries(
        sizes.map((b) => entry(b)),
        DATADOG_LIMITS,
      ).map((p) => p.length),
    ).toEqual([5])
    const over = sizes.map((b, i) => entry(i === 4 ? b + 1 : b))
    expect(splitEntries(over, DATADOG_LIMITS).map((p) => p.length)).toEqual([4, 1])
    expect(
      splitEntries(
        Array.from({ length: 1001 }, () => entry(1)),
        DATADOG_LIMITS,
      ).map((p) => p.length),
    ).toEqual([1000, 1])
  })

  it('counts 26 bytes per CloudWatch event, caps at 10,000 events and at 24 h per request', () => {
    const n = 1_048_576 / (100 + 26)
    const fit = Math.floor(n)
    const parts = splitEntries(
      Array.from({ length: fit + 1 }, () => entry(100)),
      CLOUDWATCH_LIMITS,
    )
    expect(parts.map((p) => p.length)).toEqual([fit, 1])
    expect(
      splitEntries(
        Array.from({ length: 10_001 }, () => entry(1)),
        CLOUDWATCH_LIMITS,
      ).map((p) => p.length),
    ).toEqual([10_000, 1])
    const day = 24 * 3600 * 1000
    expect(
      splitEntries([entry(1, 0), entry(1, day), entry(1, day + 1)], CLOUDWATCH_LIMITS).map(
        (p) => p.length,
      ),
    ).toEqual([2, 1])
  })
})

describe('createBreaker', () => {
  it('opens after the threshold, goes half-open after openMs, lets one probe through, doubles on a failed probe', () => {
    let t = 0
    const b = createBreaker({ failureThreshold: 3, openMs: 100, maxOpenMs: 250 }, () => t)
    b.failure()
    b.failure()
    expect(b.state).toBe('closed')
    b.failure()
    expect(b.state).toBe('open')
    expect(b.allow()).toBe(false)
    t = 100
    expect(b.state).toBe('half_open')
    expect(b.allow()).toBe(true)
    expect(b.allow()).toBe(false) // one probe at a time
    b.failure()
    expect(b.state).toBe('open')
    t = 299
    expect(b.state).toBe('open') // 200 ms now
    t = 300
    expect(b.allow()).toBe(true)
    b.failure()
    t = 300 + 249
    expect(b.state).toBe('open') // capped at 250
    t = 300 + 250
    expect(b.allow()).toBe(true)
    b.success()
    expect(b.state).toBe('closed')
    expect(b.consecutiveFailures).toBe(0)
    expect(b.opened).toBe(3)
  })
})
