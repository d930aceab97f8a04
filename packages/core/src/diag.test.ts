import { describe, expect, it, vi } from 'vitest'
import { diag, safeCall } from './diag.js'

describe('diag', () => {
  it('writes to stderr at or above the threshold, rate-limited per message', () => {
    const writes: string[] = []
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk))
        return true
      })
    try {
      diag.setLevel('warn')
      diag.debug('not shown')
      for (let i = 0; i < 50; i++)
        diag.warn('exporter down', new Error(`attempt ${i}\nsecond line`))
      diag.error('another problem')
    } finally {
      spy.mockRestore()
      diag.setLevel('off')
    }
    const down = writes.filter((w) => w.includes('exporter down'))
    expect(down).toHaveLength(5)
    expect(down[0]).toBe('[threadline warn] exporter down: Error: attempt 0 second line\n')
    expect(writes.some((w) => w.includes('not shown'))).toBe(false)
    expect(writes.some((w) => w.includes('another problem'))).toBe(true)
  })

  it('tells subscribers everything, whatever the threshold, and counts', () => {
    const seen: string[] = []
    const before = diag.counts().info
    const off = diag.subscribe((level, message) => seen.push(`${level}:${message}`))
    diag.info('hello')
    off()
    diag.info('after unsubscribe')
    expect(seen).toEqual(['info:hello'])
    expect(diag.counts().info).toBe(before + 2)
  })

  it('safeCall reports and swallows what a user callback throws', () => {
    const seen: string[] = []
    const off = diag.subscribe((_l, m) => seen.push(m))
    expect(
      safeCall('getUser hook', () => {
        throw new Error('bad hook')
      }),
    ).toBeUndefined()
    expect(safeCall('ok hook', () => 42)).toBe(42)
    off()
    expect(seen).toEqual(['getUser hook threw'])
  })
})
