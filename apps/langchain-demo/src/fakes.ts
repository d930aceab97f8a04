// Offline stand-ins for an embedding model and two chat models. They are deterministic, need no
// network and report usage like a real provider, so Threadline computes tokens and cost_usd.
import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager'
import { Embeddings } from '@langchain/core/embeddings'
import { BaseChatModel } from '@langchain/core/language_models/chat_models'
import type { BindToolsInput } from '@langchain/core/language_models/chat_models'
import { AIMessage, AIMessageChunk, ToolMessage } from '@langchain/core/messages'
import type { BaseMessage, UsageMetadata } from '@langchain/core/messages'
import { ChatGenerationChunk } from '@langchain/core/outputs'
import type { ChatResult } from '@langchain/core/outputs'
import { setTimeout as sleep } from 'node:timers/promises'

/** The model the fakes pretend to be (priced in core's table). */
export const MODEL = 'gpt-4o-mini'
const METADATA = { model_name: `${MODEL}-2024-07-18`, model_provider: 'openai' }

const STOPWORDS = new Set(
  'the and for are was were with that this from what how does can you your our not but has have'.split(
    ' ',
  ),
)

/** Lower-cased content words: what the embeddings, the reranker and the evaluation compare. */
export function terms(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2 && !STOPWORDS.has(w))
}

/** About 4 characters a token, like OpenAI's rule of thumb. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4)
}

function usageOf(messages: BaseMessage[], answer: string): UsageMetadata {
  const input = countTokens(messages.map((m) => m.text).join('\n'))
  const output = Math.max(1, countTokens(answer))
  return { input_tokens: input, output_tokens: output, total_tokens: input + output }
}

/** Bag-of-words embeddings hashed into `size` dimensions (cosine similarity ~ shared words). */
export class HashEmbeddings extends Embeddings {
  readonly size: number
  constructor(size = 256) {
    super({})
    this.size = size
  }
  override embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => this.vector(t)))
  }
  override embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(this.vector(text))
  }
  private vector(text: string): number[] {
    const v = new Array<number>(this.size).fill(0)
    for (const w of terms(text)) {
      let h = 0
      for (const c of w) h = (h * 31 + c.charCodeAt(0)) >>> 0
      v[h % this.size]! += 1
    }
    const norm = Math.hypot(...v) || 1
    return v.map((x) => x / norm)
  }
}

/**
 * A "RAG model": answers with the context line that shares the most words with the question,
 * streamed word by word.
 */
export class ExtractiveChatModel extends BaseChatModel {
  /** Pause between streamed words, for a realistic time to first token. */
  readonly tokenDelayMs: number
  constructor(fields: { tokenDelayMs?: number } = {}) {
    super({})
    this.tokenDelayMs = fields.tokenDelayMs ?? 5
  }
  _llmType(): string {
    return 'extractive-fake'
  }
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: MODEL }
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    _options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const answer = extractAnswer(messages.at(-1)?.text ?? '')
    for (const word of answer.split(/(?<= )/)) {
      await sleep(this.tokenDelayMs)
      const chunk = new ChatGenerationChunk({
        text: word,
        message: new AIMessageChunk({ content: word }),
      })
      yield chunk
      await runManager?.handleLLMNewToken(word, undefined, undefined, undefined, undefined, {
        chunk,
      })
    }
    // the last chunk carries the usage, as OpenAI does with stream_options.include_usage
    yield new ChatGenerationChunk({
      text: '',
      message: Object.assign(new AIMessageChunk({ content: '', response_metadata: METADATA }), {
        usage_metadata: usageOf(messages, answer),
      }),
    })
  }

  async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    let all: ChatGenerationChunk | undefined
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      all = all ? all.concat(chunk) : chunk
    }
    return { generations: all ? [all] : [] }
  }
}

/** Picks the `Context:` line closest to the `Question:` line of the prompt. */
function extractAnswer(prompt: string): string {
  const question = new Set(terms(/Question:(.*)/.exec(prompt)?.[1] ?? ''))
  const context = (prompt.split('Context:')[1] ?? '').split('Question:')[0] ?? ''
  let best = { line: '', score: 0 }
  for (const line of context.split('\n')) {
    const score = terms(line).filter((w) => question.has(w)).length
    if (score > best.score) best = { line: line.replace(/^- /, '').trim(), score }
  }
  return best.line || "I don't know: the documents do not say."
}

/**
 * A tool-calling model: asks for `lookup_order` when the message names an order number, else
 * for `search_kb`; once a tool answered, it replies with the tool's result.
 */
export class ToolCallingChatModel extends BaseChatModel {
  _llmType(): string {
    return 'tool-calling-fake'
  }
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: MODEL }
  }
  /** A real model sends the tools' schemas to the provider; this one knows its two tools. */
  override bindTools(_tools: BindToolsInput[]) {
    return this
  }

  async _generate(messages: BaseMessage[]): Promise<ChatResult> {
    const last = messages.at(-1)
    let message: AIMessage
    if (last instanceof ToolMessage) {
      message = new AIMessage({ content: `Here is what I found: ${last.text}` })
    } else {
      const text = last?.text ?? ''
      const order = /order\s*#?\s*(\w+)/i.exec(text)?.[1]
      message = new AIMessage({
        content: '',
        tool_calls: [
          order
            ? { id: 'call_1', name: 'lookup_order', args: { order_id: order }, type: 'tool_call' }
            : { id: 'call_1', name: 'search_kb', args: { query: text }, type: 'tool_call' },
        ],
      })
    }
    message.response_metadata = METADATA
    // assigned, not passed: the v1 message generics type the constructor field as undefined
    Object.assign(message, {
      usage_metadata: usageOf(messages, message.text || JSON.stringify(message.tool_calls)),
    })
    return { generations: [{ text: message.text, message }] }
  }
}
