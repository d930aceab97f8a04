// The chain every variant runs, and the variants (which callback handler, if any).
//
// Chain: ChatPromptTemplate (2 variables) | FakeUsageChatModel | StringOutputParser.
// The fake model answers instantly from a fixed list and reports usage_metadata (and
// llmOutput.tokenUsage), so handlers have tokens to record. Nothing leaves the process
// except, for `langfuse`, HTTP to the stub server on 127.0.0.1 that run.js starts.

import { BaseChatModel } from '@langchain/core/language_models/chat_models'
import { AIMessage } from '@langchain/core/messages'
import { StringOutputParser } from '@langchain/core/output_parsers'
import { ChatPromptTemplate } from '@langchain/core/prompts'

const ANSWERS = [
  'Paris is the capital of France.',
  'The invoice total is 1,240.50 EUR, due on the 30th.',
  'Sorry, I cannot find an order with that number.',
  'Your refund was issued and should arrive in 3-5 business days.',
]

export class FakeUsageChatModel extends BaseChatModel {
  constructor(fields = {}) {
    super(fields)
    this.i = 0
  }

  _llmType() {
    return 'fake-usage'
  }

  _identifyingParams() {
    return { model_name: 'fake-usage-1' }
  }

  async _generate(messages) {
    const text = ANSWERS[this.i++ % ANSWERS.length]
    const input = messages.reduce((n, m) => n + String(m.content).length, 0) >> 2
    const output = text.length >> 2
    const usage = { input_tokens: input, output_tokens: output, total_tokens: input + output }
    return {
      generations: [
        {
          text,
          message: new AIMessage({
            content: text,
            usage_metadata: usage,
            response_metadata: { model_name: 'fake-usage-1' },
          }),
        },
      ],
      llmOutput: {
        tokenUsage: { promptTokens: input, completionTokens: output, totalTokens: input + output },
      },
    }
  }
}

export function makeChain() {
  const prompt = ChatPromptTemplate.fromMessages([
    ['system', 'You are a support assistant for {company}. Answer in one sentence.'],
    ['human', '{question}'],
  ])
  return prompt.pipe(new FakeUsageChatModel()).pipe(new StringOutputParser())
}

const QUESTIONS = [
  'What is the capital of France?',
  'How much is invoice INV-2291 and when is it due?',
  'Where is my order 88213?',
  'Did you process my refund yet?',
]

export const input = (i) => ({ company: 'Acme Corp', question: QUESTIONS[i & 3] })

// Langfuse's current handler (@langfuse/langchain v5) records OpenTelemetry spans; they
// reach Langfuse through its span processor on a tracer provider registered once per
// process (the global provider can be set only once). `ended` counts the spans ended.
let otel
async function langfuseV5Provider(exporter) {
  if (otel) return otel
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node')
  const { LangfuseSpanProcessor } = await import('@langfuse/otel')
  const url = process.env.LANGFUSE_BASEURL
  if (!exporter && !url)
    throw new Error('LANGFUSE_BASEURL (the stub server) is not set; run via run.js')
  const state = { ended: 0 }
  const counter = {
    onStart() {},
    onEnd() {
      state.ended++
    },
    forceFlush: async () => {},
    shutdown: async () => {},
  }
  const processor = new LangfuseSpanProcessor({
    publicKey: 'pk-lf-bench',
    secretKey: 'sk-lf-bench',
    ...(exporter ? { exporter } : { baseUrl: url }),
  })
  const provider = new NodeTracerProvider({ spanProcessors: [processor, counter] })
  provider.register()
  otel = { provider, state }
  return otel
}

async function langfuseV5(exporter) {
  const { CallbackHandler } = await import('@langfuse/langchain')
  const { provider, state } = await langfuseV5Provider(exporter)
  const start = state.ended
  return {
    callbacks: [new CallbackHandler()],
    events: () => state.ended - start,
    drain: async () => {
      await provider.forceFlush()
    },
  }
}

/** A handler that implements every callback the bench chain triggers, doing nothing. */
async function noopHandler(awaited) {
  const { BaseCallbackHandler } = await import('@langchain/core/callbacks/base')
  class Noop extends BaseCallbackHandler {
    name = 'noop'
    constructor() {
      super({ _awaitHandler: awaited })
    }
    handleChainStart() {}
    handleChainEnd() {}
    handleChainError() {}
    handleChatModelStart() {}
    handleLLMStart() {}
    handleLLMEnd() {}
    handleLLMError() {}
    handleLLMNewToken() {}
  }
  return new Noop()
}

/**
 * Each variant: make() -> { callbacks, events(), drain() }. `callbacks` goes into
 * chain.invoke(input, { callbacks }); drain() waits until the handler has handed every
 * event to its sink; events() counts what reached the sink (the check).
 */
export const VARIANTS = {
  none: {
    describe: 'no callback handler',
    async make() {
      return { callbacks: undefined, events: () => undefined, drain: async () => {} }
    },
  },
  // The floor: what LangChain itself does once any handler is attached (run ids, the
  // serialized runnable and inputs handed to every callback, run managers, awaiting
  // the handler) with handlers that do nothing. No handler can add less than this.
  'noop-awaited': {
    describe: 'a handler whose callbacks do nothing, awaited on the call path (as Threadline)',
    async make() {
      return {
        callbacks: [await noopHandler(true)],
        events: () => undefined,
        drain: async () => {},
      }
    },
  },
  'noop-background': {
    describe: "the same, run in LangChain's background callback queue (as Langfuse's handlers)",
    async make() {
      return {
        callbacks: [await noopHandler(false)],
        events: () => undefined,
        drain: async () => {},
      }
    },
  },
  threadline: {
    describe:
      '@threadline/langchain ThreadlineCallbackHandler, logger with an exporter that drops batches, hookProcess: false',
    async make() {
      const { createLogger } = await import('@threadline/core')
      const { ThreadlineCallbackHandler } = await import('@threadline/langchain')
      let n = 0
      const logger = createLogger({
        service: 'bench-langchain',
        hookProcess: false,
        exporters: [
          {
            name: 'null',
            export: (batch) => {
              n += batch.length
              return { ok: true }
            },
          },
        ],
      })
      const handler = new ThreadlineCallbackHandler({ logger })
      return {
        callbacks: [handler],
        events: () => n,
        drain: async () => {
          await handler.flush()
        },
      }
    },
  },
  langfuse: {
    describe:
      'langfuse-langchain v3 CallbackHandler, default batching (flushAt 15), ingestion to a stub HTTP server on 127.0.0.1',
    async make() {
      const url = process.env.LANGFUSE_BASEURL
      if (!url) throw new Error('LANGFUSE_BASEURL (the stub server) is not set; run via run.js')
      const { CallbackHandler } = await import('langfuse-langchain')
      const handler = new CallbackHandler({
        publicKey: 'pk-lf-bench',
        secretKey: 'sk-lf-bench',
        baseUrl: url,
      })
      return {
        callbacks: [handler],
        // counted by the stub server (run.js) from the ingestion batches it receives
        events: () => undefined,
        // flushAsync() sends one batch; shutdownAsync() also waits for the requests in flight
        drain: async () => {
          await handler.shutdownAsync()
        },
      }
    },
  },
  'langfuse-v5': {
    describe:
      '@langfuse/langchain v5 CallbackHandler (OpenTelemetry spans), LangfuseSpanProcessor with its default OTLP/HTTP exporter to a stub server on 127.0.0.1',
    make: () => langfuseV5(undefined),
  },
  'langfuse-v5-drop': {
    describe:
      'the same, the span processor given an exporter that drops the batch (no serialization, no HTTP)',
    make: () =>
      langfuseV5({
        export(_spans, done) {
          done({ code: 0 })
        },
        shutdown: async () => {},
        forceFlush: async () => {},
      }),
  },
  'langfuse-drop': {
    describe:
      "langfuse-langchain v3 CallbackHandler, default batching, the client's fetch replaced by one that drops the batch (no HTTP)",
    async make() {
      const { CallbackHandler } = await import('langfuse-langchain')
      const handler = new CallbackHandler({
        publicKey: 'pk-lf-bench',
        secretKey: 'sk-lf-bench',
        baseUrl: 'http://127.0.0.1:9',
      })
      let n = 0
      const ok = { status: 200, json: async () => ({}), text: async () => '{}' }
      handler.langfuse.fetch = async (_url, options) => {
        const body = String(options?.body ?? '')
        const at = body.lastIndexOf('"batch_size":')
        if (at !== -1) n += parseInt(body.slice(at + 13), 10)
        return ok
      }
      return {
        callbacks: [handler],
        events: () => n,
        // flushAsync() sends one batch; shutdownAsync() also waits for the requests in flight
        drain: async () => {
          await handler.shutdownAsync()
        },
      }
    },
  },
}
