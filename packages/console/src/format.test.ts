import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clean, fmtCost, fmtMs, fmtPct } from './format.js'

describe('formatting', () => {
  it('never passes a control character through to the page', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(clean(s)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
      }),
    )
    expect(clean('ok\u001b[31mred\u0007')).toBe('ok�[31mred�')
    expect(clean('a\tb\nc')).toBe('a\tb\nc')
  })

  it('writes durations, money and rates as people read them', () => {
    expect([fmtMs(0), fmtMs(0.25), fmtMs(3.456), fmtMs(57.4), fmtMs(420), fmtMs(1530)]).toEqual([
      '0',
      '250µs',
      '3.46ms',
      '57.4ms',
      '420ms',
      '1.53s',
    ])
    expect([fmtMs(null), fmtMs(Number.NaN)]).toEqual(['–', '–'])
    expect([fmtCost(0), fmtCost(0.00042), fmtCost(1.5), fmtCost(null)]).toEqual([
      '$0',
      '$0.00042',
      '$1.50',
      '–',
    ])
    expect([fmtPct(0), fmtPct(0.056), fmtPct(0.3)]).toEqual(['0%', '5.6%', '30%'])
  })
})
