import { afterEach, describe, expect, it } from 'vitest'
import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { CallbackManager } from '@langchain/core/callbacks/manager'
import { dispatchCustomEvent } from '@langchain/core/callbacks/dispatch'
import { Document } from '@langchain/core/documents'
import { HumanMessage, ToolMessage } from '@langchain/core/messages'
import type { BaseMessage } from '@langchain/core/messages'
import { StringOutputParser } from '@langchain/core/output_parsers'
import { ChatPromptTemplate } from '@langchain/core/prompts'
import { BaseRetriever } from '@langchain/core/retrievers'
import { RunnableLambda } from '@langchain/core/runnables'
import { tool } from '@langchain/core/tools'
import {
  FakeEmbeddings,
  FakeListChatModel,
  FakeLLM,
  FakeVectorStore,
} from '@langchain/core/utils/testing'
import { createLogger, createPriceTable, runWithContext } from '@threadline/core'
import type { ThreadlineEvent } from '@threadline/core'
import { createTestLogger } from '@threadline/test-utils'
import { createAgent } from 'langchain'
import { z } from 'zod'
import { ThreadlineCallbackHandler } from '../src/index.js'
import { ToolCallingFake, UsageFake } from './fakes.js'

type Ev = ThreadlineEvent & { attributes?: Record<string, unknown> }

let handlers: ThreadlineCallbackHandler[] = []
afterEach(async () => {
  for (const h of handlers) await h.shutdown()
  handlers = []
})

function setup(options: ConstructorParameters<typeof ThreadlineCallbackHandler>[0] = {}) {
  const t = createTestLogger()
  const handler = new ThreadlineCallbackHandler({ logger: t.logger, ...options })
  handlers.push(handler)
  const events = async (): Promise<Ev[]> => {
    await handler.flush()
    return (await t.events()) as Ev[]
  }
  const spans = async (): Promise<Ev[]> => (await events()).filter((e) => e.kind === 'span')
  return { ...t, handler, events, spans }
}

const byName = (spans: Ev[], name: string): Ev => {
  const s = spans.find((x) => x.name === name)
  if (!s) throw new Error(`no span ${name} in ${spans.map((x) => x.name).join(', ')}`)
  return s
}

const chainOf = (model: FakeListChatModel) =>
  ChatPromptTemplate.fromMessages([
    ['system', 'You are terse.'],
    ['human', 'Question: {q}'],
  ])
    .pipe(model)
    .pipe(new StringOutputParser())

describe('prompt | model | parser', () => {
  it('invoke: one trace, parent linkage, usage, model, provider, cost, content', async () => {
    const { handler, spans } = setup()
    const out = await chainOf(new UsageFake({ responses: ['Paris'] })).invoke(
      { q: 'capital of France?' },
      { callbacks: [handler], metadata: { session_id: 's-1', user_id: 'u-1' }, tags: ['t1'] },
    )
    expect(out).toBe('Paris')
    const all = await spans()
    expect(all.map((s) => s.span_kind).sort()).toEqual(['chain', 'chain', 'chain', 'llm'])
    expect(new Set(all.map((s) => s.trace_id)).size).toBe(1)
    const root = byName(all, 'RunnableSequence')
    expect(root.parent_span_id).toBeUndefined()
    const llm = all.find((s) => s.span_kind === 'llm')!
    expect(llm.name).toBe('chat gpt-4o-mini')
    expect(llm.parent_span_id).toBe(root.span_id)
    expect(byName(all, 'ChatPromptTemplate').parent_span_id).toBe(root.span_id)
    expect(byName(all, 'StrOutputParser').parent_span_id).toBe(root.span_id)
    expect(llm.llm).toEqual({
      operation: 'chat',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'openai',
      input_tokens: 120,
      output_tokens: 30,
      total_tokens: 150,
      cache_read_tokens: 100,
      reasoning_tokens: 10,
      usage_source: 'reported',
    })
    // gpt-4o-mini: 20 fresh input at 0.15, 100 cached at 0.075, 30 output at 0.6 per 1M
    expect(llm.cost_usd).toBeCloseTo((20 * 0.15 + 100 * 0.075 + 30 * 0.6) / 1e6, 12)
    expect(llm.attributes?.['gen_ai.usage.cache_read.input_tokens']).toBe(100)
    expect(llm.attributes?.['gen_ai.response.id']).toBe('resp-1')
    expect(llm.attributes?.['messages']).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Question: capital of France?' },
    ])
    expect(llm.attributes?.['completion']).toEqual({ role: 'assistant', content: 'Paris' })
    for (const s of all) {
      expect(s.session_id).toBe('s-1')
      expect(s.user_id).toBe('u-1')
      expect(s.tags).toContain('t1')
    }
    expect(root.attributes?.['input']).toEqual({ q: 'capital of France?' })
    expect(root.attributes?.['output']).toBe('Paris')
    expect(llm.llm?.ttft_ms).toBeUndefined()
    expect(handler.openRuns).toBe(0)
  })

  it('stream: ttft and streamed usage (summed from the final chunk)', async () => {
    const { handler, spans } = setup()
    let text = ''
    for await (const c of await chainOf(new UsageFake({ responses: ['Lyon'] })).stream(
      { q: 'x' },
      { callbacks: [handler] },
    ))
      text += c
    expect(text).toBe('Lyon')
    const llm = (await spans()).find((s) => s.span_kind === 'llm')!
    expect(llm.llm?.input_tokens).toBe(120)
    expect(llm.llm?.output_tokens).toBe(30)
    expect(llm.llm?.ttft_ms).toBeGreaterThanOrEqual(0)
    expect(llm.attributes?.['langchain.stream_chunks']).toBe(4)
    expect(llm.cost_usd).toBeGreaterThan(0)
  })

  it('batch: one trace per input', async () => {
    const { handler, spans } = setup()
    const out = await chainOf(new UsageFake({ responses: ['a', 'b', 'c'] })).batch(
      [{ q: '1' }, { q: '2' }, { q: '3' }],
      { callbacks: [handler] },
    )
    expect(out).toHaveLength(3)
    const all = await spans()
    const roots = all.filter((s) => s.name === 'RunnableSequence')
    expect(roots).toHaveLength(3)
    expect(new Set(roots.map((r) => r.trace_id)).size).toBe(3)
    for (const r of roots) expect(all.filter((s) => s.trace_id === r.trace_id)).toHaveLength(4)
  })

  it('a fake model that reports nothing: usage and cost absent, not 0', async () => {
    const { handler, spans } = setup()
    await chainOf(new FakeListChatModel({ responses: ['ok'] })).invoke(
      { q: 'x' },
      { callbacks: [handler] },
    )
    let streamed = ''
    for await (const c of await chainOf(new FakeListChatModel({ responses: ['ok'] })).stream(
      { q: 'x' },
      { callbacks: [handler] },
    ))
      streamed += c
    expect(streamed).toBe('ok')
    const llms = (await spans()).filter((s) => s.span_kind === 'llm')
    expect(llms).toHaveLength(2)
    for (const l of llms) {
      expect(l.llm?.input_tokens).toBeUndefined()
      expect(l.llm?.output_tokens).toBeUndefined()
      expect(l.llm?.total_tokens).toBeUndefined()
      expect(l.llm?.usage_source).toBeUndefined()
      expect(l.cost_usd).toBeUndefined()
    }
  })

  it('the root joins the surrounding Threadline span (HTTP request -> chain -> llm)', async () => {
    const { handler, logger, spans } = setup()
    await logger.span(
      'GET /ask',
      () =>
        chainOf(new UsageFake({ responses: ['x'] })).invoke({ q: 'x' }, { callbacks: [handler] }),
      { kind: 'server' },
    )
    const all = await spans()
    const req = byName(all, 'GET /ask')
    expect(byName(all, 'RunnableSequence').parent_span_id).toBe(req.span_id)
    expect(all.every((s) => s.trace_id === req.trace_id)).toBe(true)
  })
})

describe('tools, retrievers, custom events, agents', () => {
  it('a tool invoked with a tool call id', async () => {
    const { handler, spans } = setup()
    const add = tool(({ a, b }) => String(a + b), {
      name: 'add',
      description: 'Add two numbers',
      schema: z.object({ a: z.number(), b: z.number() }),
    })
    const msg = await add.invoke(
      { type: 'tool_call', id: 'call_42', name: 'add', args: { a: 1, b: 2 } },
      { callbacks: [handler] },
    )
    expect(msg).toBeInstanceOf(ToolMessage)
    const s = byName(await spans(), 'execute_tool add')
    expect(s.span_kind).toBe('tool')
    expect(s.status).toBe('ok')
    expect(s.attributes?.['gen_ai.tool.call.id']).toBe('call_42')
    expect(s.attributes?.['gen_ai.tool.name']).toBe('add')
    expect(s.attributes?.['tool_input']).toBe('{"a":1,"b":2}')
    expect(s.attributes?.['tool_output']).toBe('3')
  })

  it('a retriever over an in-memory vector store', async () => {
    const { handler, spans } = setup()
    const store = new FakeVectorStore(new FakeEmbeddings())
    await store.addDocuments([
      new Document({ pageContent: 'Paris is in France', metadata: { src: 'a' } }),
      new Document({ pageContent: 'Berlin is in Germany', metadata: { src: 'b' } }),
    ])
    const docs = await store
      .asRetriever({ k: 2 })
      .invoke('where is Paris', { callbacks: [handler], runName: 'kb' })
    expect(docs).toHaveLength(2)
    const s = byName(await spans(), 'kb')
    expect(s.span_kind).toBe('retriever')
    expect(s.attributes?.['input']).toBe('where is Paris')
    expect(s.attributes?.['retrieval.documents.count']).toBe(2)
    const recorded = s.attributes?.['documents'] as { page_content: string }[]
    expect(recorded.map((d) => d.page_content).sort()).toEqual([
      'Berlin is in Germany',
      'Paris is in France',
    ])
  })

  it('a custom event is a log on the dispatching run span', async () => {
    const { handler, events } = setup()
    const step = RunnableLambda.from(async (x: string, config) => {
      await dispatchCustomEvent('progress', { pct: 50 }, config)
      return x
    }).withConfig({ runName: 'step' })
    await step.invoke('x', { callbacks: [handler] })
    const all = await events()
    const span = byName(
      all.filter((e) => e.kind === 'span'),
      'step',
    )
    const log = all.find((e) => e.kind === 'log' && e.event === 'progress')!
    expect(log.category).toBe('langchain')
    expect(log.span_id).toBe(span.span_id)
    expect(log.trace_id).toBe(span.trace_id)
    expect(log.attributes?.['data']).toEqual({ pct: 50 })
  })

  it('a tool-calling agent loop: model -> tool -> model under one agent span', async () => {
    const { handler, spans } = setup()
    const add = tool(({ a, b }) => String(a + b), {
      name: 'add',
      description: 'Add',
      schema: z.object({ a: z.number(), b: z.number() }),
    })
    const model = new ToolCallingFake({ responses: [] })
    const agent = RunnableLambda.from(async (q: string, config) => {
      const messages: BaseMessage[] = [new HumanMessage(q)]
      for (let i = 0; i < 3; i++) {
        const ai = await model.invoke(messages, config)
        messages.push(ai)
        if (!ai.tool_calls?.length) return ai.content
        for (const call of ai.tool_calls)
          messages.push(await add.invoke({ ...call, type: 'tool_call' }, config))
      }
      return 'gave up'
    }).withConfig({ runName: 'math_agent' })
    expect(await agent.invoke('2+3?', { callbacks: [handler] })).toBe('The sum is 5')
    const all = await spans()
    const root = byName(all, 'math_agent')
    expect(root.span_kind).toBe('agent')
    const children = all.filter((s) => s.parent_span_id === root.span_id)
    expect(children.map((s) => s.span_kind).sort()).toEqual(['llm', 'llm', 'tool'])
    expect(byName(all, 'execute_tool add').attributes?.['gen_ai.tool.call.id']).toBe('call_1')
  })

  it("langchain's createAgent: graph -> model_request -> chat, tools -> execute_tool", async () => {
    const { handler, spans } = setup()
    const add = tool(({ a, b }) => String(a + b), {
      name: 'add',
      description: 'Add',
      schema: z.object({ a: z.number(), b: z.number() }),
    })
    const agent = createAgent({
      model: new ToolCallingFake({ responses: [] }),
      tools: [add],
      name: 'math_agent',
    })
    const result = await agent.invoke(
      { messages: [{ role: 'user', content: '2+3?' }] },
      { callbacks: [handler], metadata: { thread_id: 'conv-1' } },
    )
    expect(result.messages.at(-1)?.content).toBe('The sum is 5')
    const all = await spans()
    const root = all.find((s) => !s.parent_span_id)!
    expect(all.filter((s) => !s.parent_span_id)).toHaveLength(1)
    expect(root.name).toBe('math_agent')
    expect(root.span_kind).toBe('agent')
    expect(root.attributes?.['gen_ai.agent.name']).toBe('math_agent')
    expect(all.every((s) => s.trace_id === root.trace_id)).toBe(true)
    expect(all.every((s) => s.session_id === 'conv-1')).toBe(true)
    const toolSpan = byName(all, 'execute_tool add')
    expect(toolSpan.attributes?.['gen_ai.tool.call.id']).toBe('call_1')
    const toolsNode = all.find((s) => s.span_id === toolSpan.parent_span_id)!
    expect(toolsNode.name).toBe('tools')
    expect(toolsNode.parent_span_id).toBe(root.span_id)
    const llms = all.filter((s) => s.span_kind === 'llm')
    expect(llms).toHaveLength(2)
    for (const l of llms)
      expect(all.find((s) => s.span_id === l.parent_span_id)?.name).toBe('model_request')
    expect(handler.openRuns).toBe(0)
  })

  it('agent action and finish are events on the executor span, not spans', async () => {
    const { handler, events } = setup()
    const cm = CallbackManager.configure([handler])!
    const run = await cm.handleChainStart(
      { lc: 1, type: 'not_implemented', id: ['x', 'AgentExecutor'] },
      { input: 'q' },
    )
    await run.handleAgentAction({ tool: 'search', toolInput: { q: 'x' }, log: 'thinking' })
    await run.handleAgentEnd({ returnValues: { output: 'done' }, log: '' })
    await run.handleChainEnd({ output: 'done' })
    const all = await events()
    const spansOnly = all.filter((e) => e.kind === 'span')
    expect(spansOnly).toHaveLength(1)
    const exec = spansOnly[0]!
    expect(exec.name).toBe('AgentExecutor')
    expect(exec.span_kind).toBe('agent')
    expect(exec.status).toBe('ok')
    expect(exec.attributes?.['langchain.agent_actions']).toBe(1)
    const action = all.find((e) => e.event === 'agent_action')!
    const finish = all.find((e) => e.event === 'agent_finish')!
    expect(action.span_id).toBe(exec.span_id)
    expect(action.attributes?.['gen_ai.tool.name']).toBe('search')
    expect(action.attributes?.['tool_input']).toEqual({ q: 'x' })
    expect(finish.span_id).toBe(exec.span_id)
    expect(finish.attributes?.['output']).toEqual({ output: 'done' })
    expect(handler.openRuns).toBe(0)
  })
})

describe('hook argument order (each would fail with the d.ts order)', () => {
  it('handleLLMStart: prompt, parent, tags and metadata from their runtime positions', async () => {
    const { handler, spans } = setup()
    const chain = RunnableLambda.from((x: string) => x)
      .withConfig({ runName: 'prep' })
      .pipe(new FakeLLM({ response: 'done' }))
    expect(
      await chain.invoke('complete me', {
        callbacks: [handler],
        tags: ['llm-tag'],
        metadata: { thread_id: 'th-9' },
      }),
    ).toBe('done')
    const all = await spans()
    const llm = all.find((s) => s.span_kind === 'llm')!
    expect(llm.llm?.operation).toBe('text_completion')
    expect(llm.attributes?.['prompt']).toBe('complete me')
    expect(llm.parent_span_id).toBe(byName(all, 'RunnableSequence').span_id)
    expect(llm.tags).toContain('llm-tag')
    expect(llm.session_id).toBe('th-9')
    expect(llm.attributes?.['completion']).toBe('done')
  })

  it('handleChainStart: nested chains keep parent, run name and metadata', async () => {
    const { handler, spans } = setup({ sessionId: 'default-session', tags: ['svc'] })
    const inner = RunnableLambda.from((x: number) => x + 1).withConfig({ runName: 'inner' })
    const outer = RunnableLambda.from(async (x: number, config) => inner.invoke(x, config))
    const out = await outer
      .withConfig({ runName: 'outer' })
      .invoke(1, { callbacks: [handler], metadata: { user_id: 'u-7' } })
    expect(out).toBe(2)
    const all = await spans()
    const o = byName(all, 'outer')
    const i = byName(all, 'inner')
    expect(i.parent_span_id).toBe(o.span_id)
    expect(o.parent_span_id).toBeUndefined()
    expect(i.user_id).toBe('u-7')
    expect(i.session_id).toBe('default-session')
    expect(i.tags).toEqual(['svc'])
    expect(i.attributes?.['input']).toBe(1)
    expect(i.attributes?.['output']).toBe(2)
  })

  it('an unknown parent run starts a root in the surrounding context, keeping the id', async () => {
    const { handler, logger, spans } = setup()
    const model = new UsageFake({ responses: ['x'], callbacks: [handler] })
    const wrapper = RunnableLambda.from(async (x: string, config) => model.invoke(x, config))
    // the wrapper's run goes to another handler only: ours sees a parentRunId it never saw
    const other = BaseCallbackHandler.fromMethods({})
    await logger.span('job', () => wrapper.invoke('q', { callbacks: [other] }))
    const all = await spans()
    const llm = all.find((s) => s.span_kind === 'llm')!
    expect(llm.parent_span_id).toBe(byName(all, 'job').span_id)
    expect(typeof llm.attributes?.['langchain.parent_run_id']).toBe('string')
  })

  it('handleToolEvent: a streaming tool counts its chunks', async () => {
    const { handler, spans } = setup()
    const streamer = tool(
      async function* () {
        yield 'a'
        yield 'b'
        yield 'c'
      },
      { name: 'streamer', schema: z.object({}) },
    )
    await streamer.invoke({}, { callbacks: [handler] })
    const s = byName(await spans(), 'execute_tool streamer')
    expect(s.attributes?.['langchain.stream_chunks']).toBe(3)
    expect(s.status).toBe('ok')
  })

  it('handleChatModelStreamEvent (opt-in): ttft from the first stream event', async () => {
    class EventsHandler extends ThreadlineCallbackHandler {
      lc_prefer_chat_model_stream_events = true
    }
    const t = createTestLogger()
    const handler = new EventsHandler({ logger: t.logger })
    handlers.push(handler)
    const out = await new UsageFake({ responses: ['hey'] }).invoke('x', { callbacks: [handler] })
    expect(out.text).toBe('hey')
    await handler.flush()
    const llm = (await t.events()).find((e) => e.kind === 'span' && e.span_kind === 'llm')!
    expect(llm.llm?.ttft_ms).toBeGreaterThanOrEqual(0)
    expect(llm.attributes?.['langchain.stream_chunks']).toBeGreaterThan(0)
  })

  it("flush() drains LangChain's background callback queue", async () => {
    const { handler, spans } = setup()
    const seen: string[] = []
    const background = BaseCallbackHandler.fromMethods({
      async handleChainEnd() {
        await new Promise((r) => setImmediate(r))
        seen.push('end')
      },
    })
    expect(background.awaitHandlers).toBe(false)
    await RunnableLambda.from((x: number) => x)
      .withConfig({ runName: 'bg' })
      .invoke(1, { callbacks: [handler, background] })
    await handler.flush()
    expect(seen).toEqual(['end'])
    expect(byName(await spans(), 'bg').status).toBe('ok')
  })

  it('recordContent: false keeps usage but no payloads', async () => {
    const { handler, spans } = setup({ recordContent: false })
    await chainOf(new UsageFake({ responses: ['secret'] })).invoke(
      { q: 'private' },
      { callbacks: [handler] },
    )
    const all = await spans()
    for (const s of all)
      for (const k of ['messages', 'completion', 'input', 'output'])
        expect(s.attributes?.[k]).toBeUndefined()
    expect(all.find((s) => s.span_kind === 'llm')!.llm?.input_tokens).toBe(120)
  })

  it("content follows the logger's content mode, and payloads are capped", async () => {
    const t = createTestLogger({ content: { mode: 'off' } })
    const handler = new ThreadlineCallbackHandler({ logger: t.logger })
    handlers.push(handler)
    await chainOf(new UsageFake({ responses: ['secret answer'] })).invoke(
      { q: 'secret question' },
      { callbacks: [handler] },
    )
    await handler.flush()
    const text = JSON.stringify(await t.events())
    expect(text).not.toContain('secret')
    const capped = setup({ maxContentChars: 10 })
    await chainOf(new UsageFake({ responses: ['y'] })).invoke(
      { q: 'x'.repeat(100) },
      { callbacks: [capped.handler] },
    )
    const llm = (await capped.spans()).find((s) => s.span_kind === 'llm')!
    const msgs = llm.attributes?.['messages'] as { content: string }[]
    expect(msgs[1]!.content.startsWith('Question: ')).toBe(true)
    expect(msgs[1]!.content).toContain('[truncated')
  })

  it('a hook that receives garbage never throws into LangChain', () => {
    const { handler } = setup()
    expect(() => {
      handler.handleLLMEnd(null, 'nope')
      handler.handleChainStart(null, undefined, 'r1', 42, 'not-tags', 7)
      handler.handleChainEnd(undefined, 'r1')
      handler.handleRetrieverEnd({ not: 'an array' }, 'nope')
      handler.handleAgentAction(undefined, 'nope')
    }).not.toThrow()
    expect(handler.openRuns).toBe(0)
  })
})

describe('errors and cancellation', () => {
  it('a model error', async () => {
    const { handler, spans } = setup()
    await expect(
      new UsageFake({ responses: ['x'] }).invoke('hi', {
        callbacks: [handler],
        thrownErrorString: 'model down',
      }),
    ).rejects.toThrow('model down')
    const s = (await spans()).find((x) => x.span_kind === 'llm')!
    expect(s.status).toBe('error')
    expect(s.error?.message).toBe('model down')
    expect(s.error?.type).toBe('Error')
    expect(s.error?.stack).toContain('model down')
    expect(s.llm?.input_tokens).toBeUndefined()
    expect(handler.openRuns).toBe(0)
  })

  it('a tool error', async () => {
    const { handler, spans } = setup()
    const bad = tool(
      () => {
        throw new RangeError('tool broke')
      },
      { name: 'bad', schema: z.object({}) },
    )
    await expect(bad.invoke({}, { callbacks: [handler] })).rejects.toThrow('tool broke')
    const s = byName(await spans(), 'execute_tool bad')
    expect(s.status).toBe('error')
    expect(s.error?.type).toBe('RangeError')
    expect(s.attributes?.['error.type']).toBe('RangeError')
  })

  it('a retriever error', async () => {
    const { handler, spans } = setup()
    class Failing extends BaseRetriever {
      lc_namespace = ['test']
      override async _getRelevantDocuments(): Promise<Document[]> {
        throw new Error('index offline')
      }
    }
    await expect(new Failing().invoke('q', { callbacks: [handler] })).rejects.toThrow(
      'index offline',
    )
    const s = (await spans()).find((x) => x.span_kind === 'retriever')!
    expect(s.name).toBe('Failing')
    expect(s.status).toBe('error')
    expect(s.error?.message).toBe('index offline')
  })

  it('an AbortSignal: cancelled, not error', async () => {
    const { handler, spans } = setup()
    const controller = new AbortController()
    const chain = RunnableLambda.from((x: string) => {
      controller.abort()
      return x
    })
      .withConfig({ runName: 'aborter' })
      .pipe(new UsageFake({ responses: ['x'] }))
    await expect(
      chain.invoke('x', { callbacks: [handler], signal: controller.signal }),
    ).rejects.toThrow()
    const all = await spans()
    const root = byName(all, 'RunnableSequence')
    expect(root.status).toBe('cancelled')
    expect(all.some((s) => s.status === 'error')).toBe(false)
    expect(handler.openRuns).toBe(0)
  })

  it('a LangGraph interrupt is cancelled, not error', async () => {
    const { handler, spans } = setup()
    class GraphInterrupt extends Error {
      override name = 'GraphInterrupt'
    }
    const node = RunnableLambda.from(() => {
      throw new GraphInterrupt('needs approval')
    }).withConfig({ runName: 'node' })
    await expect(node.invoke('x', { callbacks: [handler] })).rejects.toThrow('needs approval')
    expect(byName(await spans(), 'node').status).toBe('cancelled')
  })
})

describe('orphans, bounds, concurrency', () => {
  it('an early break from a stream: runs stay open, shutdown closes them as incomplete', async () => {
    const { handler, spans } = setup()
    const stream = await chainOf(new UsageFake({ responses: ['a long answer'] })).stream(
      { q: 'x' },
      { callbacks: [handler] },
    )
    for await (const chunk of stream) {
      expect(chunk).toBe('a')
      break
    }
    expect(handler.openRuns).toBeGreaterThan(0)
    await handler.shutdown()
    expect(handler.openRuns).toBe(0)
    const all = await spans()
    const root = byName(all, 'RunnableSequence')
    expect(root.status).toBe('cancelled')
    expect(root.attributes?.['threadline.incomplete']).toBe(true)
    expect(root.attributes?.['threadline.incomplete_reason']).toBe('shutdown')
  })

  it('closeOrphans closes runs older than the TTL', async () => {
    const { handler, spans } = setup({ orphanTtlMs: 0 })
    const cm = CallbackManager.configure([handler])!
    await cm.handleChainStart({ lc: 1, type: 'not_implemented', id: ['stuck'] }, {})
    expect(handler.openRuns).toBe(1)
    expect(handler.closeOrphans(60_000)).toBe(0)
    expect(handler.closeOrphans(0)).toBe(1)
    expect(handler.openRuns).toBe(0)
    const s = byName(await spans(), 'stuck')
    expect(s.attributes?.['threadline.incomplete_reason']).toBe('orphan_ttl')
  })

  it('the run map never grows past maxRuns', async () => {
    const { handler, spans } = setup({ maxRuns: 5 })
    const cm = CallbackManager.configure([handler])!
    for (let i = 0; i < 50; i++)
      await cm.handleChainStart({ lc: 1, type: 'not_implemented', id: [`run${i}`] }, {})
    expect(handler.openRuns).toBe(5)
    const closed = (await spans()).filter(
      (s) => s.attributes?.['threadline.incomplete_reason'] === 'max_runs',
    )
    expect(closed).toHaveLength(45)
    expect(closed[0]!.name).toBe('run0')
  })

  it('100 concurrent invokes on one handler: no cross-trace leaks', async () => {
    const { handler, logger, spans } = setup()
    const chain = chainOf(new UsageFake({ responses: ['r'], sleep: 1 }))
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        runWithContext({ bindings: { request_id: `req-${i}` } }, () =>
          logger.span(`request ${i}`, () =>
            chain.invoke({ q: `question ${i}` }, { callbacks: [handler] }),
          ),
        ),
      ),
    )
    const all = await spans()
    expect(all).toHaveLength(500)
    const traces = new Set(all.map((s) => s.trace_id))
    expect(traces.size).toBe(100)
    for (let i = 0; i < 100; i++) {
      const req = byName(all, `request ${i}`)
      const mine = all.filter((s) => s.trace_id === req.trace_id)
      expect(mine).toHaveLength(5)
      const root = mine.find((s) => s.name === 'RunnableSequence')!
      expect(root.parent_span_id).toBe(req.span_id)
      expect(root.attributes?.['input']).toEqual({ q: `question ${i}` })
      const llm = mine.find((s) => s.span_kind === 'llm')!
      expect(llm.parent_span_id).toBe(root.span_id)
      expect((llm.attributes?.['messages'] as { content: string }[])[1]?.content).toBe(
        `Question: question ${i}`,
      )
      for (const s of mine) expect(s.request_id).toBe(`req-${i}`)
    }
    expect(handler.openRuns).toBe(0)
  })

  it('a stalled exporter does not block the app: the chain returns while export hangs', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((r) => (release = r))
    let delivered = 0
    const logger = createLogger({
      service: 'test',
      hookProcess: false,
      exporters: [
        {
          name: 'stalled',
          async export(batch) {
            await gate
            delivered += batch.length
            return { ok: true }
          },
        },
      ],
      batch: { maxBatchSize: 1 },
    })
    const handler = new ThreadlineCallbackHandler({ logger })
    const out = await chainOf(new UsageFake({ responses: ['fast'] })).invoke(
      { q: 'x' },
      { callbacks: [handler] },
    )
    expect(out).toBe('fast')
    expect(delivered).toBe(0)
    expect(logger.stats().emitted).toBe(4)
    release()
    await handler.shutdown()
    expect(delivered).toBe(4)
  })
})

describe('prices', () => {
  it("uses the logger's own price table when the handler has none", async () => {
    const t = createTestLogger({
      prices: createPriceTable(
        { 'gpt-4o-mini': { input: 1000, output: 0, provider: 'openai' } },
        { includeDefaults: false },
      ),
    })
    const handler = new ThreadlineCallbackHandler({ logger: t.logger })
    handlers.push(handler)
    await chainOf(new UsageFake({ responses: ['ok'] })).invoke({ q: 'x' }, { callbacks: [handler] })
    await handler.flush()
    const llm = (await t.events()).find((e) => e.kind === 'span' && e.span_kind === 'llm')!
    expect(llm.llm?.input_tokens).toBeGreaterThan(0)
    expect(llm.cost_usd).toBeCloseTo(
      (((llm.llm?.input_tokens ?? 0) - (llm.llm?.cache_read_tokens ?? 0)) * 1000) / 1e6 +
        ((llm.llm?.cache_read_tokens ?? 0) * 1000) / 1e6,
      6,
    )
  })
})
