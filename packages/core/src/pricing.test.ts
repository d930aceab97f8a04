import { describe, it, expect } from 'vitest'
import {
  DEFAULT_PRICES,
  PRICES_AS_OF,
  costOf,
  createPriceTable,
  resolveModelName,
  setPrices,
  type ModelPrice,
} from './pricing.js'

describe('DEFAULT_PRICES', () => {
  it('is dated, frozen and uses OpenTelemetry provider names', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}$/)
    expect(Object.isFrozen(DEFAULT_PRICES)).toBe(true)
    expect(Object.isFrozen(DEFAULT_PRICES['gpt-4o'])).toBe(true)
    const providers = new Set(Object.values(DEFAULT_PRICES).map((p) => p.provider))
    expect([...providers].sort()).toEqual(
      ['anthropic', 'deepseek', 'gcp.gemini', 'meta', 'mistral_ai', 'openai'].sort(),
    )
    for (const [name, price] of Object.entries(DEFAULT_PRICES)) {
      expect(name).toBe(name.toLowerCase())
      expect(price.input).toBeGreaterThanOrEqual(0)
      expect(price.output).toBeGreaterThanOrEqual(0)
    }
  })

  it('prices Anthropic cache reads at 0.1x and cache writes at 1.25x input', () => {
    for (const name of [
      'claude-opus-4-5',
      'claude-opus-4-1',
      'claude-opus-4',
      'claude-sonnet-4-5',
      'claude-sonnet-4',
      'claude-3-7-sonnet',
      'claude-haiku-4-5',
      'claude-3-5-haiku',
      'claude-3-5-sonnet',
    ]) {
      const price = DEFAULT_PRICES[name]!
      expect(price.provider).toBe('anthropic')
      expect(price.cachedInput).toBeCloseTo(price.input * 0.1, 10)
      expect(price.cacheWrite).toBeCloseTo(price.input * 1.25, 10)
    }
  })
})

describe('resolveModelName', () => {
  it.each([
    ['gpt-4o', 'gpt-4o'],
    ['GPT-4o', 'gpt-4o'],
    ['  gpt-4o  ', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-2024-05-13', 'gpt-4o-2024-05-13'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai/gpt-4.1-mini', 'gpt-4.1-mini'],
    ['o3-mini-2025-01-31', 'o3-mini'],
    ['o4-mini-high', 'o4-mini'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['claude-3-5-sonnet-latest', 'claude-3-5-sonnet'],
    ['claude-3-5-sonnet@20240620', 'claude-3-5-sonnet'],
    ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet'],
    ['anthropic/claude-3.7-sonnet', 'claude-3-7-sonnet'],
    ['anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-3-5-haiku'],
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'claude-sonnet-4'],
    ['eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5'],
    ['models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['google/gemini-2.5-flash-lite-preview-06-17', 'gemini-2.5-flash-lite'],
    ['gemini-2.0-flash-001', 'gemini-2.0-flash'],
    ['mistralai/mistral-large-latest', 'mistral-large'],
    ['mistral-small-2503', 'mistral-small'],
    ['codestral-latest', 'codestral'],
    ['meta-llama/Llama-3.3-70B-Instruct', 'llama-3.3-70b'],
    ['meta-llama/llama-4-scout-17b-16e-instruct', 'llama-4-scout'],
    ['llama-3.1-8b-instant', 'llama-3.1-8b'],
    ['deepseek/deepseek-chat', 'deepseek-chat'],
  ])('%s -> %s', (model, expected) => {
    expect(resolveModelName(model)).toBe(expected)
  })

  it('returns the normalized name when nothing matches', () => {
    expect(resolveModelName('Acme/Unknown-Model-20250101')).toBe('unknown-model')
    expect(resolveModelName('chatgpt-4o-latest')).toBe('chatgpt-4o-latest')
  })

  it('refuses a prefix match that would price a different SKU or a newer minor version', () => {
    for (const model of [
      'gpt-4o-mini-realtime-preview',
      'gpt-4o-mini-search-preview',
      'gpt-4o-audio-preview',
      'o4-mini-deep-research',
      'gemini-2.5-flash-image',
      'claude-opus-4-6',
      'gpt-5.1',
      'gpt-4',
    ]) {
      expect(costOf(model, { input_tokens: 1000 }), model).toBeUndefined()
    }
  })
})

describe('costOf', () => {
  it('prices input and output tokens per million', () => {
    expect(costOf('gpt-4o', { input_tokens: 1_000_000, output_tokens: 1_000_000 })).toBe(12.5)
    expect(costOf('gpt-4o-mini', { input_tokens: 1000, output_tokens: 500 })).toBe(0.00045)
    expect(costOf('claude-sonnet-4-5', { input_tokens: 2000, output_tokens: 1000 })).toBe(0.021)
  })

  it('matches case-insensitively, through dates, prefixes and the longest known prefix', () => {
    const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 }
    expect(costOf('GPT-4O-MINI', usage)).toBe(0.75)
    expect(costOf('gpt-4o-mini-2024-07-18', usage)).toBe(0.75)
    expect(costOf('openai/gpt-4o-mini', usage)).toBe(0.75)
    expect(costOf('gpt-4o-2024-08-06', usage)).toBe(12.5)
    expect(costOf('gpt-4o-2024-05-13', usage)).toBe(20)
    expect(costOf('us.anthropic.claude-opus-4-20250514-v1:0', usage)).toBe(90)
    expect(costOf('claude-opus-4-5-20251101', usage)).toBe(30)
  })

  it('returns undefined, never 0, for an unknown or missing model', () => {
    expect(costOf('acme-large', { input_tokens: 10, output_tokens: 10 })).toBeUndefined()
    expect(costOf(undefined, { input_tokens: 10, output_tokens: 10 })).toBeUndefined()
    expect(costOf('', { input_tokens: 10 })).toBeUndefined()
  })

  it('returns undefined when the usage has neither input nor output tokens', () => {
    expect(costOf('gpt-4o', {})).toBeUndefined()
    expect(costOf('gpt-4o', { reasoning_tokens: 100 })).toBeUndefined()
    expect(costOf('gpt-4o', { input_tokens: Number.NaN })).toBeUndefined()
  })

  it('costs 0 for a known model with zero token counts', () => {
    expect(costOf('gpt-4o', { input_tokens: 0, output_tokens: 0 })).toBe(0)
    expect(costOf('gpt-4o', { input_tokens: 0 })).toBe(0)
  })

  it('prices one side when only one count is known', () => {
    expect(costOf('gpt-4o', { output_tokens: 100 })).toBe(0.001)
    expect(costOf('text-embedding-3-small', { input_tokens: 1_000_000 })).toBe(0.02)
  })

  it('bills cached reads at the cached price, out of input_tokens', () => {
    // 600 uncached * 2.5 + 400 cached * 1.25 + 200 out * 10, per 1M
    expect(
      costOf('gpt-4o', { input_tokens: 1000, cache_read_tokens: 400, output_tokens: 200 }),
    ).toBe(0.004)
  })

  it('bills Anthropic cache writes at 1.25x and reads at 0.1x input', () => {
    // claude-sonnet-4: 1000 uncached * 3 + 2000 write * 3.75 + 5000 read * 0.3 + 100 out * 15
    expect(
      costOf('claude-sonnet-4', {
        input_tokens: 8000,
        cache_write_tokens: 2000,
        cache_read_tokens: 5000,
        output_tokens: 100,
      }),
    ).toBe(0.0135)
  })

  it('falls back to the input price when no cached price is listed', () => {
    expect(costOf('mistral-large', { input_tokens: 1000, cache_read_tokens: 1000 })).toBe(0.002)
  })

  it('floors uncached input at 0 when cached counts exceed input_tokens', () => {
    expect(costOf('gpt-4o', { input_tokens: 100, cache_read_tokens: 1000 })).toBe(0.00125)
  })

  it('does not bill reasoning tokens on top of output tokens', () => {
    const withReasoning = costOf('o3', {
      input_tokens: 100,
      output_tokens: 1000,
      reasoning_tokens: 800,
    })
    expect(withReasoning).toBe(costOf('o3', { input_tokens: 100, output_tokens: 1000 }))
    expect(withReasoning).toBe(0.0082)
  })

  it('rounds away float noise', () => {
    const cost = costOf('gpt-4.1-nano', { input_tokens: 3, output_tokens: 7 })
    expect(cost).toBe(0.0000031)
  })
})

describe('createPriceTable', () => {
  const acme: ModelPrice = { input: 1, output: 2, provider: 'acme' }

  it('extends and overrides the defaults without touching the global table', () => {
    const table = createPriceTable({ 'acme-1': acme, 'gpt-4o': { ...acme, input: 100 } })
    expect(table.costOf('acme-1-2025-01-01', { input_tokens: 1e6, output_tokens: 1e6 })).toBe(3)
    expect(table.costOf('gpt-4o', { input_tokens: 1e6 })).toBe(100)
    expect(table.costOf('gpt-4o-mini', { input_tokens: 1e6 })).toBe(0.15)
    expect(costOf('gpt-4o', { input_tokens: 1e6 })).toBe(2.5)
    expect(costOf('acme-1', { input_tokens: 1e6 })).toBeUndefined()
  })

  it('can exclude the defaults', () => {
    const table = createPriceTable({ 'Acme-1': acme }, { includeDefaults: false })
    expect(table.get('gpt-4o')).toBeUndefined()
    expect(table.costOf('gpt-4o', { input_tokens: 10 })).toBeUndefined()
    expect(table.get('acme-1')).toEqual(acme)
    expect(table.get('ACME-1')).toEqual(acme)
  })

  it('re-resolves names after set()', () => {
    const table = createPriceTable({}, { includeDefaults: false })
    expect(table.get('acme-2-20250101')).toBeUndefined()
    table.set('acme-2', acme)
    expect(table.get('acme-2-20250101')).toEqual(acme)
    table.set('acme-2-20250101', { ...acme, input: 9 })
    expect(table.get('acme-2-20250101')?.input).toBe(9)
  })

  it('rejects invalid prices with a TypeError', () => {
    const table = createPriceTable()
    expect(() => table.set('x', { ...acme, input: -1 })).toThrow(TypeError)
    expect(() => table.set('x', { ...acme, output: Number.POSITIVE_INFINITY })).toThrow(TypeError)
    expect(() => table.set('x', { ...acme, cachedInput: Number.NaN })).toThrow(TypeError)
    expect(() => table.set('', acme)).toThrow(TypeError)
    expect(() => createPriceTable({ x: { ...acme, cacheWrite: -0.5 } })).toThrow(TypeError)
    expect(table.get('x')).toBeUndefined()
  })
})

describe('setPrices', () => {
  it('extends and overrides the global table', () => {
    setPrices({ 'acme-global': { input: 4, output: 8, provider: 'acme' } })
    expect(costOf('acme/acme-global', { input_tokens: 1e6, output_tokens: 1e6 })).toBe(12)

    const original = DEFAULT_PRICES['gpt-4o']!
    setPrices({ 'gpt-4o': { ...original, input: 3 } })
    try {
      expect(costOf('gpt-4o-2024-08-06', { input_tokens: 1e6 })).toBe(3)
      expect(costOf('gpt-4o-mini', { input_tokens: 1e6 })).toBe(0.15)
    } finally {
      setPrices({ 'gpt-4o': original })
    }
    expect(costOf('gpt-4o', { input_tokens: 1e6 })).toBe(2.5)
  })

  it('is stored on a global symbol shared by every copy of the package', () => {
    const table = (globalThis as unknown as Record<symbol, { get(m: string): unknown }>)[
      Symbol.for('threadline.prices.v1')
    ]
    expect(table?.get('acme-global')).toEqual({ input: 4, output: 8, provider: 'acme' })
  })

  it('applies nothing when any override is invalid', () => {
    expect(() =>
      setPrices({
        'acme-ok': { input: 1, output: 1, provider: 'acme' },
        'acme-bad': { input: 1, output: -1, provider: 'acme' },
      }),
    ).toThrow(TypeError)
    expect(costOf('acme-ok', { input_tokens: 1 })).toBeUndefined()
  })
})
