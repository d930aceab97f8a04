import { describe, expect, it } from 'vitest'
import { newSpanId, newTraceId, uuidv7 } from './ids.js'

describe('ids', () => {
  it('makes W3C trace and span ids', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 5000; i++) {
      const t = newTraceId()
      const s = newSpanId()
      expect(t).toMatch(/^[0-9a-f]{32}$/)
      expect(s).toMatch(/^[0-9a-f]{16}$/)
      seen.add(t)
    }
    expect(seen.size).toBe(5000)
  })

  it('makes unique, time-ordered RFC 9562 UUIDv7s', () => {
    const ids: string[] = []
    const t0 = Date.now()
    for (let i = 0; i < 20_000; i++) ids.push(uuidv7(t0 + Math.floor(i / 5000)))
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBe(t0)
  })

  it('stays ordered when the clock steps back', () => {
    const a = uuidv7(Date.now() + 10_000)
    const b = uuidv7(Date.now())
    expect(b > a).toBe(true)
  })
})
