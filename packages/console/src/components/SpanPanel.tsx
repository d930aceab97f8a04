// One span (or log) of a trace: HTTP, LLM usage, cost, the prompt and completion as recorded
// (redaction markers visible), the error, and every attribute.
import { clean, fmtCost, fmtInt, fmtMs, fmtTime } from '../format.js'
import type { Ev } from '../types.js'
import { CopyButton, JsonTree } from './JsonTree.js'

function Row({ k, v }: { k: string; v: unknown }) {
  if (v === undefined || v === null || v === '') return null
  return (
    <>
      <dt>{k}</dt>
      <dd>{clean(v)}</dd>
    </>
  )
}

/** Text of a recorded message list or completion, whatever its shape. */
function Messages({ value }: { value: unknown }) {
  const list = Array.isArray(value) ? value : [value]
  return (
    <div class="messages">
      {list.map((m, i) => {
        const msg = (m ?? {}) as { role?: string; content?: unknown; tool_calls?: unknown }
        const content =
          typeof m === 'string'
            ? m
            : typeof msg.content === 'string'
              ? msg.content
              : JSON.stringify(msg.content ?? m, null, 2)
        return (
          <div class={`msg role-${msg.role ?? 'text'}`} key={i}>
            {msg.role && <span class="role">{msg.role}</span>}
            <pre>{clean(content)}</pre>
            {msg.tool_calls !== undefined && (
              <pre class="tool-calls">{clean(JSON.stringify(msg.tool_calls, null, 2))}</pre>
            )}
          </div>
        )
      })}
    </div>
  )
}

export function SpanPanel({ event: e, onClose }: { event: Ev; onClose: () => void }) {
  const a = e.attributes ?? {}
  const prompt = a.messages ?? a['gen_ai.prompt'] ?? a.prompt ?? a.input
  const completion = a.completion ?? a['gen_ai.completion'] ?? a.output
  const llm = e.llm
  return (
    <aside class="detail" aria-label="Span detail">
      <div class="detail-head">
        <span class={`badge lvl-${e.level}`}>
          {e.kind === 'span' ? (e.span_kind ?? 'span') : e.level}
        </span>
        <strong class="detail-title">{clean(e.name ?? e.message)}</strong>
        <button type="button" class="icon" aria-label="Close detail" onClick={onClose}>
          ×
        </button>
      </div>
      <div class="detail-actions">
        <CopyButton text={JSON.stringify(e, null, 2)} label="Copy JSON" />
        {e.span_id && <CopyButton text={e.span_id} label="Copy span id" />}
      </div>
      <dl class="facts">
        <Row k="service" v={e.service} />
        <Row k="start" v={fmtTime(e.timestamp)} />
        <Row k="duration" v={e.duration_ms !== undefined ? fmtMs(e.duration_ms) : undefined} />
        <Row k="status" v={e.status} />
        <Row k="type" v={[e.category, e.event].filter(Boolean).join(' · ')} />
        <Row k="user" v={e.user_id} />
        <Row k="session" v={e.session_id} />
      </dl>
      {e.http && (
        <>
          <h3>HTTP</h3>
          <dl class="facts">
            {Object.entries(e.http).map(([k, v]) => (
              <Row key={k} k={k} v={v} />
            ))}
          </dl>
        </>
      )}
      {llm && (
        <>
          <h3>LLM</h3>
          <dl class="facts llm-facts">
            <Row k="model" v={llm.model} />
            <Row k="provider" v={llm.provider} />
            <Row k="operation" v={llm.operation} />
            <Row k="input tokens" v={fmtIntOr(llm.input_tokens)} />
            <Row k="output tokens" v={fmtIntOr(llm.output_tokens)} />
            <Row k="cache read" v={fmtIntOr(llm.cache_read_tokens)} />
            <Row k="cache write" v={fmtIntOr(llm.cache_write_tokens)} />
            <Row k="reasoning" v={fmtIntOr(llm.reasoning_tokens)} />
            <Row k="cost" v={e.cost_usd !== undefined ? fmtCost(e.cost_usd) : undefined} />
            <Row k="first token" v={llm.ttft_ms !== undefined ? fmtMs(llm.ttft_ms) : undefined} />
            <Row k="usage" v={llm.usage_source} />
          </dl>
        </>
      )}
      {prompt !== undefined && (
        <>
          <h3>Prompt</h3>
          <Messages value={prompt} />
        </>
      )}
      {completion !== undefined && (
        <>
          <h3>Completion</h3>
          <Messages value={completion} />
        </>
      )}
      {e.error && (
        <div class="error-box">
          <strong>{clean(e.error.type ?? 'Error')}</strong>: {clean(e.error.message)}
          {e.error.stack && <pre class="stack">{clean(e.error.stack)}</pre>}
        </div>
      )}
      <h3>All fields</h3>
      <JsonTree value={e} />
    </aside>
  )
}

function fmtIntOr(n: number | undefined): string | undefined {
  return n === undefined ? undefined : fmtInt(n)
}
