import { createTestLogger } from '@threadline/test-utils'
import type { ThreadlineEvent } from '@threadline/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { start } from './app.js'
import { BUILT_IN_DOCUMENTS } from './documents.js'

type Ev = ThreadlineEvent & { attributes?: Record<string, unknown> }

const closers: (() => Promise<void>)[] = []
beforeEach(() => {
  // offline: any network call fails the test
  vi.stubGlobal('fetch', () => Promise.reject(new Error('network used')))
})
afterEach(async () => {
  vi.unstubAllGlobals()
  await Promise.all(closers.splice(0).map((c) => c()))
})

const realFetch = globalThis.fetch
async function boot() {
  const t = createTestLogger()
  const app = await start(0, { logger: t.logger, tokenDelayMs: 0 })
  closers.push(app.close)
  const post = async (path: string, body: unknown) => {
    const res = await realFetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const events = async () => (await t.events()) as Ev[]
  return { post, events }
}

const server = (events: Ev[], route: string) =>
  events.filter((e) => e.span_kind === 'server' && e.http?.route === route)
const named = (events: Ev[], event: string) => events.find((e) => e.event === event)

const QUERY_EVENTS = [
  'search_query_received',
  'history_retrieved',
  'chunks_retrieved',
  'reranking_complete',
  'token_budget_allocated',
  'generation_started',
  'streaming_started',
  'generation_complete',
  'evaluation_complete',
  'history_stored',
]

describe('langchain demo', () => {
  it('ingests a document: every ingestion event in the upload trace', async () => {
    const { post, events } = await boot()
    const res = await post('/documents', BUILT_IN_DOCUMENTS[1])
    expect(res).toEqual({ status: 201, body: { filename: 'shipping.md', chunks: 2 } })
    const all = await events()
    const root = server(all, '/documents')[0]!
    const ingestion = all.filter((e) => e.category === 'ingestion')
    expect(ingestion.map((e) => e.event)).toEqual([
      'file_upload_started',
      'file_parsed',
      'chunks_created',
      'enrichment_complete',
      'embedding_complete',
      'storage_complete',
    ])
    expect(ingestion.every((e) => e.trace_id === root.trace_id)).toBe(true)
    expect(named(all, 'chunks_created')?.attributes).toMatchObject({ chunk_count: 2 })
    expect(named(all, 'embedding_complete')?.attributes).toMatchObject({ vector_count: 2 })
    expect(named(all, 'storage_complete')?.attributes).toMatchObject({
      ids: ['shipping.md#0', 'shipping.md#1'],
      store_size: 2,
    })
    expect(named(all, 'storage_complete')?.duration_ms).toBeGreaterThanOrEqual(0)
  })

  it('answers a query in one trace: server span, LangChain spans and every layer event', async () => {
    const { post, events } = await boot()
    for (const doc of BUILT_IN_DOCUMENTS) await post('/documents', doc)
    const res = await post('/query', {
      question: 'How long does express shipping take?',
      session_id: 's-1',
    })
    expect(res.status).toBe(200)
    expect(res.body['answer']).toBe('Express shipping delivers the next business day for 9 euros.')

    const all = await events()
    const root = server(all, '/query')[0]!
    const trace = all.filter((e) => e.trace_id === root.trace_id)
    expect(trace.filter((e) => e.kind === 'log').map((e) => e.event)).toEqual(QUERY_EVENTS)
    expect(
      trace.filter((e) => e.event && e.category !== 'http').every((e) => e.session_id === 's-1'),
    ).toBe(true)

    const spans = trace.filter((e) => e.kind === 'span')
    const retriever = spans.find((s) => s.span_kind === 'retriever')!
    const chain = spans.find((s) => s.name === 'rag_answer')!
    const llm = spans.find((s) => s.span_kind === 'llm')!
    expect(retriever.parent_span_id).toBe(root.span_id)
    expect(chain.parent_span_id).toBe(root.span_id)
    expect(llm.parent_span_id).toBe(chain.span_id)
    expect(retriever.attributes?.['retrieval.documents.count']).toBe(4)
    expect(res.body['sources']).toEqual(['shipping.md#1', 'shipping.md#0', 'returns-policy.md#0'])

    expect(llm.llm).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', provider: 'openai' })
    expect(llm.llm?.input_tokens).toBeGreaterThan(0)
    expect(llm.llm?.output_tokens).toBeGreaterThan(0)
    expect(llm.llm?.ttft_ms).toBeGreaterThanOrEqual(0)
    expect(llm.cost_usd).toBeGreaterThan(0)

    const generation = named(trace, 'generation_complete')!
    expect(generation.llm).toMatchObject({
      model: 'gpt-4o-mini',
      input_tokens: llm.llm?.input_tokens,
      output_tokens: llm.llm?.output_tokens,
    })
    expect(generation.llm?.ttft_ms).toBeGreaterThanOrEqual(0)
    expect(generation.cost_usd).toBe(llm.cost_usd)

    expect(named(trace, 'evaluation_complete')?.attributes).toEqual({
      faithfulness: 1,
      relevancy: 0.5, // 'express', 'shipping' of 'long', 'express', 'shipping', 'take'
      quality_tier: 'good',
    })
    expect(named(trace, 'reranking_complete')?.attributes).toMatchObject({
      top_source: 'shipping.md#1',
    })
  })

  it('a second query in the same session retrieves and summarizes the history', async () => {
    const { post, events } = await boot()
    for (const doc of BUILT_IN_DOCUMENTS) await post('/documents', doc)
    await post('/query', { question: 'How long does express shipping take?', session_id: 's-2' })
    await post('/query', { question: 'Can I return opened coffee beans?', session_id: 's-2' })
    await post('/query', { question: 'Where do orders ship from?', session_id: 'other' })

    const all = await events()
    const [, second, third] = server(all, '/query')
    const inTrace = (root: Ev | undefined, event: string) =>
      all.find((e) => e.trace_id === root?.trace_id && e.event === event)
    expect(inTrace(second, 'history_retrieved')?.attributes).toMatchObject({ turn_count: 1 })
    expect(inTrace(second, 'history_summarized')?.attributes?.['compression_ratio']).toBeLessThan(1)
    expect(inTrace(second, 'history_stored')?.attributes).toMatchObject({ turn_count: 2 })
    expect(inTrace(third, 'history_retrieved')?.attributes).toMatchObject({ turn_count: 0 })
    expect(inTrace(third, 'history_summarized')).toBeUndefined()
  })

  it('a question the documents do not answer is scored poor, at warn level', async () => {
    const { post, events } = await boot()
    await post('/documents', BUILT_IN_DOCUMENTS[0])
    const res = await post('/query', { question: 'Which planets have rings?' })
    expect(res.body['evaluation']).toMatchObject({ quality_tier: 'poor' })
    expect(named(await events(), 'evaluation_complete')).toMatchObject({
      level: 'warn',
      session_id: 'default',
    })
  })

  it('the agent calls a tool: agent, llm and tool spans under the request', async () => {
    const { post, events } = await boot()
    const res = await post('/agent', { message: 'Where is my order 1001?' })
    expect(res.body['answer']).toContain('"status":"shipped"')

    const all = await events()
    const root = server(all, '/agent')[0]!
    const spans = all.filter((e) => e.kind === 'span' && e.trace_id === root.trace_id)
    const agent = spans.find((s) => s.span_kind === 'agent')!
    const tool = spans.find((s) => s.span_kind === 'tool')!
    const llms = spans.filter((s) => s.span_kind === 'llm')
    expect(agent.parent_span_id).toBe(root.span_id)
    expect(tool).toMatchObject({ name: 'execute_tool lookup_order', parent_span_id: agent.span_id })
    expect(tool.attributes?.['gen_ai.tool.name']).toBe('lookup_order')
    expect(llms).toHaveLength(2)
    expect(llms.every((s) => s.parent_span_id === agent.span_id && s.cost_usd! > 0)).toBe(true)
  })

  it('search_kb runs the retriever inside the tool span', async () => {
    const { post, events } = await boot()
    await post('/documents', BUILT_IN_DOCUMENTS[1])
    const res = await post('/agent', { message: 'Is shipping free?' })
    expect(res.body['answer']).toContain('free above 40 euros')
    const spans = (await events()).filter((e) => e.kind === 'span')
    const tool = spans.find((s) => s.span_kind === 'tool')!
    expect(tool.name).toBe('execute_tool search_kb')
    expect(spans.find((s) => s.span_kind === 'retriever')?.parent_span_id).toBe(tool.span_id)
  })

  it('rejects a bad body with 400', async () => {
    const { post, events } = await boot()
    expect((await post('/query', { session_id: 'x' })).status).toBe(400)
    expect(server(await events(), '/query')[0]?.http?.status_code).toBe(400)
  })
})
