import { describe, expect, it } from 'vitest'
import { AIMessage } from '@langchain/core/messages'
import { capValue, mapProvider, messageToJson, usageOf } from './extract.js'

describe('usageOf', () => {
  it('sums usage_metadata over every generation', () => {
    const gen = (i: number, o: number) => ({
      text: '',
      message: Object.assign(new AIMessage('x'), {
        usage_metadata: {
          input_tokens: i,
          output_tokens: o,
          total_tokens: i + o,
          input_token_details: { cache_creation: 4 },
        },
      }),
    })
    expect(usageOf({ generations: [[gen(10, 2)], [gen(5, 1)]] })).toEqual({
      input_tokens: 15,
      output_tokens: 3,
      total_tokens: 18,
      cache_write_tokens: 8,
      usage_source: 'reported',
    })
  })

  it('falls back to tokenUsage, then estimatedTokenUsage, then response_metadata.usage', () => {
    const gens = [[{ text: 'x' }]]
    expect(
      usageOf({
        generations: gens,
        llmOutput: { tokenUsage: { promptTokens: 3, completionTokens: 1 } },
      }),
    ).toEqual({ input_tokens: 3, output_tokens: 1, usage_source: 'reported' })
    expect(
      usageOf({
        generations: gens,
        llmOutput: { tokenUsage: {}, estimatedTokenUsage: { promptTokens: 7, totalTokens: 7 } },
      }),
    ).toEqual({ input_tokens: 7, total_tokens: 7, usage_source: 'estimated' })
    const raw = new AIMessage({
      content: 'x',
      response_metadata: { usage: { prompt_tokens: 9, completion_tokens: 2 } },
    })
    expect(usageOf({ generations: [[{ text: 'x', message: raw }]] })).toEqual({
      input_tokens: 9,
      output_tokens: 2,
      usage_source: 'reported',
    })
  })

  it('nothing reported: nothing recorded (no zeros)', () => {
    expect(usageOf({ generations: [[{ text: 'x' }]], llmOutput: {} })).toEqual({})
    expect(usageOf(undefined)).toEqual({})
  })
})

describe('helpers', () => {
  it('maps LangChain provider ids to OpenTelemetry names', () => {
    expect(mapProvider('google_genai')).toBe('gcp.gemini')
    expect(mapProvider('amazon_bedrock')).toBe('aws.bedrock')
    expect(mapProvider('MistralAI')).toBe('mistral_ai')
    expect(mapProvider('azure_openai')).toBe('azure.ai.openai')
    expect(mapProvider('somebody')).toBe('somebody')
    expect(mapProvider(undefined)).toBeUndefined()
  })

  it('formats messages with tool calls and caps payloads', () => {
    const m = new AIMessage({
      content: '',
      tool_calls: [{ id: 'c1', name: 'add', args: { a: 1 }, type: 'tool_call' }],
    })
    expect(messageToJson(m, (s) => s)).toEqual({
      role: 'assistant',
      content: '',
      tool_calls: [{ id: 'c1', name: 'add', args: '{"a":1}' }],
    })
    expect(capValue('abcdef', 3)).toBe('abc…[truncated 3 chars]')
    expect(capValue({ a: 1 }, 100)).toEqual({ a: 1 })
    expect(typeof capValue({ a: 'x'.repeat(200) }, 100)).toBe('string')
  })
})
