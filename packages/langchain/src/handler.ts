import { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import { awaitAllCallbacks } from '@langchain/core/callbacks/promises'
import { diag, getContext, getLogger } from '@threadline/core'
import type { EventInput, LlmInfo, Logger, Span, SpanKind } from '@threadline/core'
import {
  capString,
  capValue,
  completionOf,
  mapProvider,
  messageToJson,
  modelFromParams,
  responseInfo,
  safeString,
  usageOf,
} from './extract.js'
import type { ThreadlineCallbackHandlerOptions } from './types.js'

type Obj = Record<string, unknown>

interface Run {
  span: Span
  logger: Logger
  startedAt: number
  operation?: string
  model?: string
  provider?: string
  /** Milliseconds from start to the first streamed token or chunk. */
  firstChunkMs?: number
  chunks: number
  agentActions: number
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object'
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : undefined

/** LangGraph control flow and aborts that are not failures. */
const CANCEL_NAMES = new Set(['GraphBubbleUp', 'ParentCommand', 'GraphInterrupt', 'NodeInterrupt'])

/** LangChain wraps non-object chain inputs/outputs as `{ input }` / `{ output }`. */
function unwrap(v: unknown, key: string): unknown {
  if (!isObj(v) || Array.isArray(v)) return v
  const keys = Object.keys(v)
  return keys.length === 1 && keys[0] === key ? v[key] : v
}

function serializedName(s: unknown): string | undefined {
  if (!isObj(s)) return undefined
  const id = s['id']
  return str(s['name']) ?? (Array.isArray(id) ? str(id[id.length - 1]) : undefined)
}

/**
 * LangChain callback handler: every run becomes a Threadline span in one trace (chain, llm,
 * tool, retriever, agent), with token usage, cost, time to first token, errors and content
 * under the logger's content mode. One instance is safe to share across concurrent calls.
 */
export class ThreadlineCallbackHandler extends BaseCallbackHandler {
  name = 'threadline'
  private readonly runs = new Map<string, Run>()
  private readonly opts: ThreadlineCallbackHandlerOptions
  private readonly maxChars: number
  private readonly maxDocs: number
  private readonly ttlMs: number
  private readonly maxRuns: number
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(options: ThreadlineCallbackHandlerOptions = {}) {
    // awaited, synchronous hooks: timestamps are taken on the app's path, not in LangChain's
    // background queue (which delays every observed end by the queue's backlog)
    super({ _awaitHandler: true })
    this.opts = options
    const { maxContentChars = 4096, maxDocuments = 20, orphanTtlMs = 600_000 } = options
    this.maxChars = maxContentChars
    this.maxDocs = maxDocuments
    this.ttlMs = orphanTtlMs
    this.maxRuns = Math.max(1, options.maxRuns ?? 10_000)
  }

  /** LangChain copies handlers in places; state must stay shared, so a copy is this instance. */
  override copy(): this {
    return this
  }

  /** Number of runs currently open (started, not yet ended). */
  get openRuns(): number {
    return this.runs.size
  }

  // ---------------------------------------------------------------- LLM and chat models

  override handleLLMStart(
    llm: unknown,
    prompts: string[],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.guard('handleLLMStart', () => {
      const content =
        prompts.length === 1 ? this.cap(prompts[0] ?? '') : prompts.map((p) => this.cap(p))
      this.startLlm(
        'text_completion',
        'prompt',
        content,
        llm,
        runId,
        parentRunId,
        extraParams,
        tags,
        metadata,
        runName,
      )
    })
  }

  override handleChatModelStart(
    llm: unknown,
    messages: unknown[][],
    runId: string,
    parentRunId?: string,
    extraParams?: Record<string, unknown>,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
  ): void {
    this.guard('handleChatModelStart', () => {
      const cap = (s: string): string => this.cap(s)
      const list = (messages[0] ?? []).map((m) => messageToJson(m, cap))
      this.startLlm(
        'chat',
        'messages',
        list,
        llm,
        runId,
        parentRunId,
        extraParams,
        tags,
        metadata,
        runName,
      )
    })
  }

  override handleLLMNewToken(
    _token: string,
    _idx: unknown,
    runId: string,
    _parentRunId?: string,
    _tags?: string[],
    _fields?: unknown,
  ): void {
    this.guard('handleLLMNewToken', () => this.chunk(runId))
  }

  /** Opt-in structured stream events (core 1.x): used for time to first chunk only. */
  override handleChatModelStreamEvent(_event: unknown, runId: string): void {
    this.guard('handleChatModelStreamEvent', () => this.chunk(runId))
  }

  override handleLLMEnd(output: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleLLMEnd', () => {
      const run = this.take(runId)
      if (!run) return
      const usage = usageOf(output)
      const resp = responseInfo(output)
      const model = resp.model ?? run.model
      const provider = mapProvider(resp.provider) ?? run.provider
      const llm: LlmInfo = { operation: run.operation ?? 'chat', ...usage }
      if (model) llm.model = model
      if (provider) llm.provider = provider
      if (
        llm.total_tokens === undefined &&
        llm.input_tokens !== undefined &&
        llm.output_tokens !== undefined
      )
        llm.total_tokens = llm.input_tokens + llm.output_tokens
      if (run.firstChunkMs !== undefined) llm.ttft_ms = run.firstChunkMs
      const fields: EventInput = { llm }
      const cost = this.opts.prices
        ? this.opts.prices.costOf(model, usage)
        : (run.logger ?? this.logger).costOf(model, usage)
      if (cost !== undefined) fields.cost_usd = cost
      const a: Obj = {}
      if (model) a['gen_ai.response.model'] = model
      if (resp.id) a['gen_ai.response.id'] = resp.id
      if (resp.finishReasons) a['gen_ai.response.finish_reasons'] = resp.finishReasons
      if (llm.input_tokens !== undefined) a['gen_ai.usage.input_tokens'] = llm.input_tokens
      if (llm.output_tokens !== undefined) a['gen_ai.usage.output_tokens'] = llm.output_tokens
      if (llm.cache_read_tokens !== undefined)
        a['gen_ai.usage.cache_read.input_tokens'] = llm.cache_read_tokens
      if (llm.cache_write_tokens !== undefined)
        a['gen_ai.usage.cache_creation.input_tokens'] = llm.cache_write_tokens
      if (llm.reasoning_tokens !== undefined)
        a['gen_ai.usage.reasoning.output_tokens'] = llm.reasoning_tokens
      if (run.chunks > 0) a['langchain.stream_chunks'] = run.chunks
      if (this.content) a['completion'] = completionOf(output, (s) => this.cap(s))
      if (!run.model && model) run.span.updateName(`${run.operation ?? 'chat'} ${model}`)
      run.span.setAttributes(a)
      run.span.end(fields)
    })
  }

  override handleLLMError(err: unknown, runId: string): void {
    this.guard('handleLLMError', () => this.fail(runId, err))
  }

  // ---------------------------------------------------------------- chains and agents

  // The published d.ts orders these (chain, inputs, runId, runType, tags, metadata, runName,
  // parentRunId, extra); CallbackManager calls them in the order below. Typed loosely.
  override handleChainStart(
    chain: unknown,
    inputs: unknown,
    runId: string,
    parentRunId?: unknown,
    tags?: unknown,
    metadata?: unknown,
    runType?: unknown,
    runName?: unknown,
    _extra?: unknown,
  ): void {
    this.guard('handleChainStart', () => {
      const name = str(runName) ?? serializedName(chain) ?? 'chain'
      const agent = /agent/i.test(name) || (str(runType) ?? '').includes('agent')
      const a: Obj = {}
      if (agent) {
        a['gen_ai.operation.name'] = 'invoke_agent'
        a['gen_ai.agent.name'] = name
      }
      if (this.content && inputs !== undefined) a['input'] = this.capAny(unwrap(inputs, 'input'))
      this.start(
        agent ? 'agent' : 'chain',
        name,
        runId,
        str(parentRunId),
        Array.isArray(tags) ? (tags as string[]) : undefined,
        isObj(metadata) ? metadata : undefined,
        { category: agent ? 'agent' : 'chain', event: agent ? 'agent_run' : 'chain_run' },
        a,
      )
    })
  }

  override handleChainEnd(outputs: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleChainEnd', () => {
      const run = this.take(runId)
      if (!run) return
      if (this.content && outputs !== undefined)
        run.span.setAttribute('output', this.capAny(unwrap(outputs, 'output')))
      run.span.end()
    })
  }

  override handleChainError(err: unknown, runId: string): void {
    this.guard('handleChainError', () => this.fail(runId, err))
  }

  /** Agent actions are log events on the executor's span (runId is the executor chain's). */
  override handleAgentAction(action: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleAgentAction', () => {
      const run = this.runs.get(runId)
      const a = isObj(action) ? action : {}
      const tool = str(a['tool']) ?? 'unknown'
      const fields: EventInput = {
        message: `agent action ${tool}`,
        'gen_ai.tool.name': tool,
      }
      if (this.content) {
        fields['tool_input'] = this.capAny(a['toolInput'])
        if (typeof a['log'] === 'string') fields['output'] = this.cap(a['log'])
      }
      if (run) run.span.setAttribute('langchain.agent_actions', ++run.agentActions)
      this.logEvent(run, 'agent_action', fields)
    })
  }

  override handleAgentEnd(finish: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleAgentEnd', () => {
      const run = this.runs.get(runId)
      const f = isObj(finish) ? finish : {}
      const fields: EventInput = { message: 'agent finish' }
      if (this.content) fields['output'] = this.capAny(f['returnValues'])
      this.logEvent(run, 'agent_finish', fields)
    })
  }

  override handleText(text: string, runId: string): void {
    this.guard('handleText', () => {
      const run = this.runs.get(runId)
      const log = (): void =>
        (run?.logger ?? this.logger).debug(
          'langchain text',
          this.content ? { output: this.cap(text) } : {},
        )
      if (run) run.span.run(log)
      else log()
    })
  }

  override handleCustomEvent(
    eventName: string,
    data: unknown,
    runId: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
  ): void {
    this.guard('handleCustomEvent', () => {
      const fields: EventInput = { message: eventName, data: this.capAny(data) }
      this.logEvent(this.runs.get(runId), eventName, fields, 'langchain')
    })
  }

  // ---------------------------------------------------------------- tools

  override handleToolStart(
    tool: unknown,
    input: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    runName?: string,
    toolCallId?: string,
  ): void {
    this.guard('handleToolStart', () => {
      const name = str(runName) ?? serializedName(tool) ?? 'tool'
      const a: Obj = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name }
      if (toolCallId) a['gen_ai.tool.call.id'] = toolCallId
      const desc = isObj(tool) ? str(tool['description']) : undefined
      if (desc) a['gen_ai.tool.description'] = capString(desc, 512)
      if (this.content) a['tool_input'] = this.cap(input)
      this.start(
        'tool',
        `execute_tool ${name}`,
        runId,
        parentRunId,
        tags,
        metadata,
        { category: 'tool', event: 'tool_call' },
        a,
      )
    })
  }

  override handleToolEvent(_chunk: unknown, runId: string): void {
    this.guard('handleToolEvent', () => this.chunk(runId))
  }

  override handleToolEnd(output: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleToolEnd', () => {
      const run = this.take(runId)
      if (!run) return
      let value = output
      if (isObj(output) && 'tool_call_id' in output && 'content' in output) {
        value = output['content']
        if (output['status'] === 'error') run.span.setStatus('error')
      }
      if (this.content) run.span.setAttribute('tool_output', this.capAny(value))
      if (run.chunks > 0) run.span.setAttribute('langchain.stream_chunks', run.chunks)
      run.span.end()
    })
  }

  override handleToolError(err: unknown, runId: string): void {
    this.guard('handleToolError', () => this.fail(runId, err))
  }

  // ---------------------------------------------------------------- retrievers

  override handleRetrieverStart(
    retriever: unknown,
    query: string,
    runId: string,
    parentRunId?: string,
    tags?: string[],
    metadata?: Record<string, unknown>,
    name?: string,
  ): void {
    this.guard('handleRetrieverStart', () => {
      const n = str(name) ?? serializedName(retriever) ?? 'retriever'
      const a: Obj = { 'gen_ai.operation.name': 'retrieval', 'gen_ai.data_source.id': n }
      if (this.content) a['input'] = this.cap(query)
      this.start(
        'retriever',
        n,
        runId,
        parentRunId,
        tags,
        metadata,
        { category: 'retrieval', event: 'retrieval' },
        a,
      )
    })
  }

  override handleRetrieverEnd(documents: unknown, runId: string, _parentRunId?: string): void {
    this.guard('handleRetrieverEnd', () => {
      const run = this.take(runId)
      if (!run) return
      const docs = Array.isArray(documents) ? documents : []
      run.span.setAttribute('retrieval.documents.count', docs.length)
      if (this.content)
        run.span.setAttribute(
          'documents',
          docs.slice(0, this.maxDocs).map((d: unknown) => {
            const o = isObj(d) ? d : {}
            const out: Obj = { page_content: this.cap(safeString(o['pageContent'] ?? '')) }
            if (o['id'] !== undefined) out['id'] = o['id']
            if (isObj(o['metadata'])) out['metadata'] = this.capAny(o['metadata'])
            return out
          }),
        )
      run.span.end()
    })
  }

  override handleRetrieverError(err: unknown, runId: string): void {
    this.guard('handleRetrieverError', () => this.fail(runId, err))
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Close runs open longer than `maxAgeMs` as incomplete (status `cancelled`,
   * `threadline.incomplete: true`). Runs by itself every so often when `orphanTtlMs` > 0.
   * Returns how many were closed.
   */
  closeOrphans(maxAgeMs: number = this.ttlMs): number {
    const now = Date.now()
    let closed = 0
    for (const [id, run] of this.runs) {
      if (now - run.startedAt < maxAgeMs) continue
      this.runs.delete(id)
      this.incomplete(run, 'orphan_ttl')
      closed++
    }
    this.stopTimerIfIdle()
    return closed
  }

  /** Drain LangChain's background callback queue, then flush the logger. */
  async flush(): Promise<boolean> {
    try {
      await awaitAllCallbacks()
    } catch (err) {
      diag.warn('langchain awaitAllCallbacks failed', err)
    }
    return this.logger.flush(this.opts.flushTimeoutMs)
  }

  /** Close every open run as incomplete, stop the sweeper, then `flush()`. */
  async shutdown(): Promise<boolean> {
    try {
      await awaitAllCallbacks()
    } catch (err) {
      diag.warn('langchain awaitAllCallbacks failed', err)
    }
    for (const [id, run] of this.runs) {
      this.runs.delete(id)
      this.incomplete(run, 'shutdown')
    }
    this.stopTimerIfIdle()
    return this.logger.flush(this.opts.flushTimeoutMs)
  }

  // ---------------------------------------------------------------- internals

  private get logger(): Logger {
    return this.opts.logger ?? getLogger()
  }

  private get content(): boolean {
    return this.opts.recordContent !== false
  }

  private cap(s: string): string {
    return capString(s, this.maxChars)
  }

  private capAny(v: unknown): unknown {
    return capValue(v, this.maxChars)
  }

  private guard(hook: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      diag.warn(`@threadline/langchain ${hook} failed`, err)
    }
  }

  private startLlm(
    operation: string,
    contentKey: string,
    content: unknown,
    llm: unknown,
    runId: string,
    parentRunId: string | undefined,
    extraParams: Record<string, unknown> | undefined,
    tags: string[] | undefined,
    metadata: Record<string, unknown> | undefined,
    runName: string | undefined,
  ): void {
    const model = modelFromParams(extraParams, metadata)
    const provider = mapProvider(str(metadata?.['ls_provider']))
    const ip = isObj(extraParams?.['invocation_params']) ? extraParams['invocation_params'] : {}
    const a: Obj = { 'gen_ai.operation.name': operation }
    if (model) a['gen_ai.request.model'] = model
    if (provider) a['gen_ai.provider.name'] = provider
    const temperature = ip['temperature'] ?? metadata?.['ls_temperature']
    if (typeof temperature === 'number') a['gen_ai.request.temperature'] = temperature
    const maxTokens = ip['max_tokens'] ?? ip['maxTokens'] ?? metadata?.['ls_max_tokens']
    if (typeof maxTokens === 'number') a['gen_ai.request.max_tokens'] = maxTokens
    if (typeof ip['top_p'] === 'number') a['gen_ai.request.top_p'] = ip['top_p']
    if (this.content) a[contentKey] = content
    const name = model
      ? `${operation} ${model}`
      : (str(runName) ?? serializedName(llm) ?? operation)
    const llmInfo: LlmInfo = { operation }
    if (model) llmInfo.model = model
    if (provider) llmInfo.provider = provider
    const run = this.start(
      'llm',
      name,
      runId,
      parentRunId,
      tags,
      metadata,
      { category: 'llm', event: 'generation', llm: llmInfo },
      a,
    )
    if (!run) return
    run.operation = operation
    if (model) run.model = model
    if (provider) run.provider = provider
    if (str(runName)) run.span.setAttribute('langchain.run_name', runName)
  }

  private start(
    kind: SpanKind,
    name: string,
    runId: string,
    parentRunId: string | undefined,
    tags: string[] | undefined,
    metadata: Record<string, unknown> | undefined,
    fields: EventInput,
    attributes: Obj,
  ): Run | undefined {
    if (this.runs.has(runId)) return undefined // a duplicate start (handler registered twice)
    const parent = parentRunId ? this.runs.get(parentRunId) : undefined
    const logger = parent?.logger ?? this.logger
    // the root joins whatever trace surrounds the call (HTTP request span, logger.span, OTel)
    const parentCtx = parent ? parent.span.context : getContext()
    const attrs: Obj = { ...this.opts.attributes, ...attributes, 'langchain.run_id': runId }
    if (parentRunId && !parent) attrs['langchain.parent_run_id'] = parentRunId
    const f: EventInput = { ...fields }
    const session =
      str(metadata?.['session_id']) ??
      str(metadata?.['thread_id']) ??
      str(metadata?.['conversation_id']) ??
      this.opts.sessionId
    if (session) f.session_id = session
    const user = str(metadata?.['user_id']) ?? this.opts.userId
    if (user) f.user_id = user
    const t = [...(tags ?? []).filter((x) => !x.startsWith('seq:step:')), ...(this.opts.tags ?? [])]
    if (t.length) f.tags = [...new Set(t)]
    const span = logger.startSpan(name, {
      kind,
      fields: f,
      attributes: attrs,
      ...(parentCtx ? { parent: parentCtx } : {}),
    })
    if (this.runs.size >= this.maxRuns) {
      const oldest = this.runs.entries().next().value
      if (oldest) {
        this.runs.delete(oldest[0])
        this.incomplete(oldest[1], 'max_runs')
      }
    }
    const run: Run = { span, logger, startedAt: Date.now(), chunks: 0, agentActions: 0 }
    this.runs.set(runId, run)
    this.startTimer()
    return run
  }

  private chunk(runId: string): void {
    const run = this.runs.get(runId)
    if (!run) return
    if (run.chunks++ === 0) run.firstChunkMs = Math.round(run.span.elapsed() * 1000) / 1000
  }

  private take(runId: string): Run | undefined {
    const run = this.runs.get(runId)
    if (run) this.runs.delete(runId)
    this.stopTimerIfIdle()
    return run
  }

  private fail(runId: string, err: unknown): void {
    const run = this.take(runId)
    if (!run) return
    run.span.recordError(err)
    const e = isObj(err) ? err : {}
    const errName = str(e['name'])
    if (errName) run.span.setAttribute('error.type', errName)
    if (
      CANCEL_NAMES.has(errName ?? '') ||
      (err instanceof Error && err.name === 'Error' && err.message === 'Aborted')
    )
      run.span.setStatus('cancelled')
    run.span.end()
  }

  private incomplete(run: Run, reason: string): void {
    try {
      run.span.setStatus('cancelled')
      run.span.setAttributes({
        'threadline.incomplete': true,
        'threadline.incomplete_reason': reason,
      })
      run.span.end()
    } catch (err) {
      diag.warn('@threadline/langchain closing an orphan run failed', err)
    }
  }

  private logEvent(
    run: Run | undefined,
    event: string,
    fields: EventInput,
    category = 'agent',
  ): void {
    const logger = run?.logger ?? this.logger
    const emit = (): void => logger.event(category, event, fields)
    if (run) run.span.run(emit)
    else emit()
  }

  private startTimer(): void {
    if (this.timer || this.ttlMs <= 0) return
    this.timer = setInterval(
      () => this.guard('sweeper', () => void this.closeOrphans()),
      Math.min(this.ttlMs, 60_000),
    )
    this.timer.unref?.()
  }

  private stopTimerIfIdle(): void {
    if (this.timer && this.runs.size === 0) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}
