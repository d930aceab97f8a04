import { describe, expect, it } from 'vitest'
import { createPriceTable } from './pricing.js'
import { normalizeAnthropicUsage, normalizeOpenAIUsage } from './usage.js'

const table = createPriceTable()

describe('usage normalisation', () => {
  it('OpenAI: cached tokens stay inside input_tokens and are priced at the cached rate', () => {
    // gpt-4o: $2.50 in, $1.25 cached in, $10 out per 1M
    const u = normalizeOpenAIUsage({
      prompt_tokens: 100_000,
      completion_tokens: 10_000,
      total_tokens: 110_000,
      prompt_tokens_details: { cached_tokens: 40_000 },
      completion_tokens_details: { reasoning_tokens: 0 },
    })
    expect(u).toEqual({
      input_tokens: 100_000,
      output_tokens: 10_000,
      cache_read_tokens: 40_000,
      total_tokens: 110_000,
    })
    // 60k*2.5 + 40k*1.25 + 10k*10 per 1M = 0.15 + 0.05 + 0.10
    expect(table.costOf('gpt-4o', u)).toBeCloseTo(0.3, 2)
  })

  it('Anthropic: cache reads and writes are added to input_tokens once', () => {
    // claude-sonnet-4-5: $3 in, $0.30 cache read, $3.75 cache write, $15 out per 1M
    const u = normalizeAnthropicUsage({
      input_tokens: 10_000,
      cache_read_input_tokens: 200_000,
      cache_creation_input_tokens: 20_000,
      output_tokens: 5_000,
    })
    expect(u).toEqual({
      input_tokens: 230_000,
      cache_read_tokens: 200_000,
      cache_write_tokens: 20_000,
      output_tokens: 5_000,
      total_tokens: 235_000,
    })
    // 10k*3 + 200k*0.3 + 20k*3.75 + 5k*15 per 1M = 0.03 + 0.06 + 0.075 + 0.075
    expect(table.costOf('claude-sonnet-4-5', u)).toBeCloseTo(0.24, 2)
  })

  it('missing counts stay absent, never 0', () => {
    expect(normalizeOpenAIUsage(undefined)).toEqual({})
    expect(normalizeAnthropicUsage({ output_tokens: 3 })).toEqual({ output_tokens: 3 })
  })
})
