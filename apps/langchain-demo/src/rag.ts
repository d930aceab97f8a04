// The RAG pipeline, layer by layer: every layer logs the events named in the seed
// (category = layer, event = what happened), and LangChain runs become spans through the
// Threadline callback handler. Called inside an HTTP request, all of it is one trace.
import { Document } from '@langchain/core/documents'
import type {
  AIMessageChunk,
  BaseMessage,
  ToolMessage,
  UsageMetadata,
} from '@langchain/core/messages'
import { HumanMessage, SystemMessage } from '@langchain/core/messages'
import { ChatPromptTemplate } from '@langchain/core/prompts'
import { RunnableLambda } from '@langchain/core/runnables'
import { tool } from '@langchain/core/tools'
import type { StructuredToolInterface } from '@langchain/core/tools'
import { FakeVectorStore } from '@langchain/core/utils/testing'
import { costOf } from '@threadline/core'
import type { Logger } from '@threadline/core'
import { ThreadlineCallbackHandler } from '@threadline/langchain'
import { z } from 'zod'
import {
  countTokens,
  ExtractiveChatModel,
  HashEmbeddings,
  MODEL,
  terms,
  ToolCallingChatModel,
} from './fakes.js'

export interface RagOptions {
  /** Where events and spans go. */
  logger: Logger
  /** Pause between streamed words of the fake model. @default 5 */
  tokenDelayMs?: number
}

export interface UploadedFile {
  filename: string
  content: string
}

interface Turn {
  question: string
  answer: string
}

const CONTEXT_WINDOW = 128_000
const RESPONSE_BUDGET = 512

const prompt = ChatPromptTemplate.fromMessages([
  ['system', 'Answer from the context only. Conversation so far:\n{history}'],
  ['human', 'Context:\n{context}\nQuestion: {question}'],
])

const orders: Record<string, { status: string; item: string; eta?: string }> = {
  '1001': { status: 'shipped', item: 'espresso beans', eta: 'in 2 days' },
  '1002': { status: 'processing', item: 'grinder' },
}

export type Rag = ReturnType<typeof createRag>

export function createRag(options: RagOptions) {
  const { logger: log, tokenDelayMs = 5 } = options
  const handler = new ThreadlineCallbackHandler({ logger: log })
  const store = new FakeVectorStore(new HashEmbeddings())
  const retriever = store.asRetriever({ k: 6 })
  const model = new ExtractiveChatModel({ tokenDelayMs })
  const sessions = new Map<string, Turn[]>()
  const ms = (since: number) => Math.round(performance.now() - since)

  /** Ingestion: upload -> parse -> chunk -> enrich -> embed -> store. */
  async function ingest(file: UploadedFile) {
    const started = performance.now()
    const { filename } = file
    log.event('ingestion', 'file_upload_started', {
      filename,
      size_bytes: Buffer.byteLength(file.content),
      format: filename.split('.').pop() ?? 'txt',
    })

    // parse: markdown headings become the title, the rest is the text
    const lines = file.content.replace(/\r\n/g, '\n').split('\n')
    const title = lines.find((l) => l.startsWith('#'))?.replace(/^#+\s*/, '') ?? filename
    const text = lines
      .filter((l) => !l.startsWith('#'))
      .join('\n')
      .trim()
    log.event('ingestion', 'file_parsed', {
      filename,
      title,
      document_count: 1,
      chars: text.length,
    })

    const chunks = chunk(text)
    log.event('ingestion', 'chunks_created', {
      filename,
      chunk_count: chunks.length,
      avg_chunk_chars: Math.round(text.length / Math.max(1, chunks.length)),
    })

    const docs = chunks.map(
      (pageContent, i) =>
        new Document({
          pageContent,
          metadata: {
            id: `${filename}#${i}`,
            source: filename,
            title,
            chunk: i,
            tokens: countTokens(pageContent),
          },
        }),
    )
    log.event('ingestion', 'enrichment_complete', {
      filename,
      metadata_fields: Object.keys(docs[0]?.metadata ?? {}),
    })

    const embedStarted = performance.now()
    const vectors = await store.embeddings.embedDocuments(chunks)
    log.event('ingestion', 'embedding_complete', {
      filename,
      vector_count: vectors.length,
      dimensions: vectors[0]?.length ?? 0,
      tokens: docs.reduce((n, d) => n + (d.metadata['tokens'] as number), 0),
      duration_ms: ms(embedStarted),
    })

    await store.addVectors(vectors, docs)
    log.event('ingestion', 'storage_complete', {
      filename,
      ids: docs.map((d) => d.metadata['id'] as string),
      store_size: store.memoryVectors.length,
      duration_ms: ms(started),
    })
    return { filename, chunks: chunks.length }
  }

  /** Memory, retrieval, generation, evaluation, memory again: one answer. */
  async function query(question: string, session_id: string) {
    const config = { callbacks: [handler], metadata: { session_id } }
    log.event('retrieval', 'search_query_received', {
      input: question,
      query_tokens: countTokens(question),
    })

    // memory: the session's earlier turns, summarized for the prompt
    const turns = sessions.get(session_id) ?? []
    const full = turns.map((t) => `Q: ${t.question}\nA: ${t.answer}`).join('\n')
    log.event('memory', 'history_retrieved', {
      turn_count: turns.length,
      tokens: countTokens(full),
    })
    let history = '(none)'
    if (turns.length > 0) {
      history = turns.map((t) => `Q: ${t.question.slice(0, 80)}`).join('\n')
      log.event('memory', 'history_summarized', {
        turn_count: turns.length,
        original_tokens: countTokens(full),
        summary_tokens: countTokens(history),
        compression_ratio: round(countTokens(history) / Math.max(1, countTokens(full))),
      })
    }

    // retrieval: vector search (a retriever run), then rerank by shared words
    const searchStarted = performance.now()
    const found = await retriever.invoke(question, config)
    log.event('retrieval', 'chunks_retrieved', {
      count: found.length,
      sources: [...new Set(found.map((d) => d.metadata['source'] as string))],
      duration_ms: ms(searchStarted),
    })
    const ranked = found
      .map((doc) => ({ doc, score: overlap(terms(question), doc.pageContent) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3)
    log.event('retrieval', 'reranking_complete', {
      count: ranked.length,
      scores: ranked.map((r) => round(r.score)),
      top_source: ranked[0]?.doc.metadata['id'] as string | undefined,
    })

    // generation: token budget, then a streamed answer
    const context = ranked.map((r) => `- ${r.doc.pageContent}`).join('\n')
    log.event('generation', 'token_budget_allocated', {
      total: CONTEXT_WINDOW,
      query: countTokens(question),
      history: countTokens(history),
      context: countTokens(context),
      response: RESPONSE_BUDGET,
    })
    log.event('generation', 'generation_started', { llm: { model: MODEL }, temperature: 0 })
    const generationStarted = performance.now()
    let message: AIMessageChunk | undefined
    let ttft_ms = 0
    const stream = await prompt
      .pipe(model)
      .withConfig({ runName: 'rag_answer' })
      .stream({ history, context, question }, config)
    for await (const piece of stream) {
      if (!message) {
        ttft_ms = ms(generationStarted)
        log.event('generation', 'streaming_started', { ttft_ms })
      }
      message = message ? message.concat(piece) : piece
    }
    const answer = message?.text.trim() ?? ''
    const usage = message?.usage_metadata as UsageMetadata | undefined
    log.event('generation', 'generation_complete', {
      llm: {
        model: MODEL,
        provider: 'openai',
        input_tokens: usage?.input_tokens,
        output_tokens: usage?.output_tokens,
        ttft_ms,
      },
      cost_usd: usage && costOf(MODEL, usage), // core's price table
      duration_ms: ms(generationStarted),
    })

    // evaluation: faithfulness = answer words found in the context, relevancy = question words
    // found in the answer (a word-overlap stand-in for RAGAS)
    const faithfulness = round(overlap(terms(answer), context))
    const relevancy = round(overlap(terms(question), answer))
    const score = (faithfulness + relevancy) / 2
    const quality_tier = score >= 0.7 ? 'good' : score >= 0.4 ? 'fair' : 'poor'
    log.event('evaluation', 'evaluation_complete', {
      level: quality_tier === 'poor' ? 'warn' : 'info',
      faithfulness,
      relevancy,
      quality_tier,
    })

    sessions.set(session_id, [...turns, { question, answer }])
    log.event('memory', 'history_stored', { turn_count: turns.length + 1, store: 'in-memory' })
    return {
      answer,
      sources: ranked.map((r) => r.doc.metadata['id'] as string),
      evaluation: { faithfulness, relevancy, quality_tier },
    }
  }

  const lookupOrder = tool(
    ({ order_id }) => JSON.stringify(orders[order_id] ?? { error: `no order ${order_id}` }),
    {
      name: 'lookup_order',
      description: 'The status of an order by its number',
      schema: z.object({ order_id: z.string() }),
    },
  )
  const searchKb = tool(
    async ({ query: q }, config) =>
      (await retriever.invoke(q, config))
        .slice(0, 2)
        .map((d) => d.pageContent)
        .join(' '),
    {
      name: 'search_kb',
      description: 'Search the knowledge base',
      schema: z.object({ query: z.string() }),
    },
  )
  const tools: Record<string, StructuredToolInterface> = {
    lookup_order: lookupOrder,
    search_kb: searchKb,
  }
  const agentModel = new ToolCallingChatModel({}).bindTools(Object.values(tools))

  /** A tool-calling loop: the model asks for tools until it can answer (3 steps at most). */
  const agent = RunnableLambda.from(async (input: { message: string }, config) => {
    const messages: BaseMessage[] = [
      new SystemMessage('You are a support agent. Use the tools.'),
      new HumanMessage(input.message),
    ]
    for (let step = 0; step < 3; step++) {
      const reply = await agentModel.invoke(messages, config)
      messages.push(reply)
      if (!reply.tool_calls?.length) return reply.text
      for (const call of reply.tool_calls) {
        const result: ToolMessage = await tools[call.name]!.invoke(
          { ...call, type: 'tool_call' },
          config,
        )
        messages.push(result)
      }
    }
    return 'Sorry, I could not finish in 3 steps.'
  }).withConfig({ runName: 'support_agent' })

  async function runAgent(message: string, session_id: string) {
    const answer = await agent.invoke(
      { message },
      { callbacks: [handler], metadata: { session_id } },
    )
    return { answer }
  }

  return { ingest, query, agent: runAgent, handler }
}

/** Paragraphs, split further into ~300-character pieces on sentence ends. */
function chunk(text: string, max = 300): string[] {
  const out: string[] = []
  for (const paragraph of text.split(/\n\s*\n/)) {
    let current = ''
    for (const sentence of paragraph.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/)) {
      if (current && current.length + sentence.length > max) {
        out.push(current)
        current = ''
      }
      current = current ? `${current} ${sentence}` : sentence
    }
    if (current.trim()) out.push(current.trim())
  }
  return out
}

/** Share of `words` that appear in `text`. */
function overlap(words: string[], text: string): number {
  if (words.length === 0) return 0
  const have = new Set(terms(text))
  return words.filter((w) => have.has(w)).length / words.length
}

const round = (x: number) => Math.round(x * 100) / 100
