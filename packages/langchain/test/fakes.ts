import { AIMessage, AIMessageChunk } from '@langchain/core/messages'
import type { BaseMessage } from '@langchain/core/messages'
import { ChatGenerationChunk } from '@langchain/core/outputs'
import type { ChatResult } from '@langchain/core/outputs'
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager'
import { FakeListChatModel } from '@langchain/core/utils/testing'
import type { UsageMetadata } from '@langchain/core/messages'

export const USAGE: UsageMetadata = {
  input_tokens: 120,
  output_tokens: 30,
  total_tokens: 150,
  input_token_details: { cache_read: 100 },
  output_token_details: { reasoning: 10 },
}

/** A FakeListChatModel that reports usage and a model name like a real provider. */
export class UsageFake extends FakeListChatModel {
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4o-mini' }
  }

  override async _generate(
    messages: BaseMessage[],
    options?: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const r = await super._generate(messages, options, runManager)
    const text = r.generations[0]?.text ?? ''
    return {
      generations: [
        {
          text,
          // assigned, not passed: the v1 message generics type the constructor field as undefined
          message: Object.assign(
            new AIMessage({
              content: text,
              id: 'resp-1',
              response_metadata: { model_name: 'gpt-4o-mini-2024-07-18', model_provider: 'openai' },
            }),
            { usage_metadata: USAGE },
          ),
        },
      ],
    }
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    yield* super._streamResponseChunks(messages, options, runManager)
    yield new ChatGenerationChunk({
      text: '',
      message: Object.assign(
        new AIMessageChunk({
          content: '',
          response_metadata: { model_name: 'gpt-4o-mini-2024-07-18', model_provider: 'openai' },
        }),
        { usage_metadata: USAGE },
      ),
    })
  }
}

/** A chat model that asks for one tool call, then answers. */
export class ToolCallingFake extends FakeListChatModel {
  private step = 0
  /** The base class returns a new plain fake; keep this one (and its tool calls). */
  override bindTools(): ReturnType<FakeListChatModel['bindTools']> {
    return this as unknown as ReturnType<FakeListChatModel['bindTools']>
  }
  override async _generate(): Promise<ChatResult> {
    const first = this.step++ % 2 === 0
    const message = first
      ? new AIMessage({
          content: '',
          tool_calls: [{ id: 'call_1', name: 'add', args: { a: 2, b: 3 }, type: 'tool_call' }],
        })
      : new AIMessage({ content: 'The sum is 5' })
    return {
      generations: [{ text: typeof message.content === 'string' ? message.content : '', message }],
    }
  }
}
