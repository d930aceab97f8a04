import { describe, expect, it } from 'vitest'
import { getLogger } from '@threadline/core'
import { accountingErrors, createTestLogger, waitFor } from './index.js'

describe('test-utils', () => {
  it('collects events from a test logger and can stand in as the default logger', async () => {
    const t = createTestLogger({ asDefault: true })
    expect(getLogger()).toBe(t.logger)
    getLogger().info('via default')
    const events = await t.events()
    expect(events.map((e) => e.message)).toEqual(['via default'])
    expect(accountingErrors(t.logger.stats())).toEqual([])
    t.restore()
  })

  it('accountingErrors reports a mismatch', () => {
    expect(
      accountingErrors({
        emitted: 3,
        dropped: {},
        exporters: [{ name: 'x', delivered: 1, dropped: { a: 1 }, queued: 0, queuedBytes: 0 }],
      }),
    ).toHaveLength(1)
  })

  it('waitFor polls until true, and fails after its deadline', async () => {
    let n = 0
    expect(await waitFor(() => ++n >= 3, 1000, 1)).toBe(true)
    await expect(waitFor(() => false, 30, 5)).rejects.toThrow(/not met/)
  })
})
