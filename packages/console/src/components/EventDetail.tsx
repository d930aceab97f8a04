// The whole event: a summary of what matters, the rest as a folding JSON tree.
import { clean, fmtCost, fmtInt, fmtMs, fmtTime } from '../format.js'
import type { Ev } from '../types.js'
import { CopyButton, JsonTree } from './JsonTree.js'

function Field({ label, children }: { label: string; children: unknown }) {
  if (children === undefined || children === null || children === '') return null
  return (
    <>
      <dt>{label}</dt>
      <dd>{children as string}</dd>
    </>
  )
}

export function EventDetail({ event: e, onClose }: { event: Ev; onClose: () => void }) {
  const json = JSON.stringify(e, null, 2)
  return (
    <aside class="detail" aria-label="Event detail">
      <div class="detail-head">
        <span class={`badge lvl-${e.level}`}>{e.level}</span>
        <strong class="detail-title">{clean(e.message)}</strong>
        <button type="button" class="icon" aria-label="Close detail" onClick={onClose}>
          ×
        </button>
      </div>
      <div class="detail-actions">
        <CopyButton text={json} label="Copy JSON" />
        <CopyButton text={e.id} label="Copy id" />
        {e.trace_id && <CopyButton text={e.trace_id} label="Copy trace id" />}
        {e.trace_id && (
          <a class="button" href={`/traces/${e.trace_id}${e.span_id ? `?span=${e.span_id}` : ''}`}>
            Open trace
          </a>
        )}
      </div>
      <dl class="facts">
        <Field label="time">{fmtTime(e.timestamp)}</Field>
        <Field label="service">{clean(e.service)}</Field>
        <Field label="type">{[e.category, e.event].filter(Boolean).join(' · ')}</Field>
        <Field label="kind">
          {e.kind === 'span' ? `span (${e.span_kind ?? 'internal'})` : 'log'}
        </Field>
        <Field label="duration">
          {e.duration_ms !== undefined ? fmtMs(e.duration_ms) : undefined}
        </Field>
        <Field label="user">{e.user_id}</Field>
        <Field label="org">{e.org_id}</Field>
        <Field label="session">
          {e.session_id ? (
            <a href={`/sessions/${encodeURIComponent(e.session_id)}`}>{e.session_id}</a>
          ) : undefined}
        </Field>
        <Field label="trace">{e.trace_id}</Field>
        <Field label="http">
          {e.http
            ? `${e.http.method ?? ''} ${e.http.route ?? e.http.path ?? ''} → ${e.http.status_code ?? '?'}`
            : undefined}
        </Field>
        <Field label="model">{e.llm?.model}</Field>
        <Field label="tokens">
          {e.llm && (e.llm.input_tokens !== undefined || e.llm.output_tokens !== undefined)
            ? `${fmtInt(e.llm.input_tokens)} in / ${fmtInt(e.llm.output_tokens)} out`
            : undefined}
        </Field>
        <Field label="cost">{e.cost_usd !== undefined ? fmtCost(e.cost_usd) : undefined}</Field>
      </dl>
      {e.error && (
        <div class="error-box">
          <strong>{clean(e.error.type ?? 'Error')}</strong>: {clean(e.error.message)}
          {e.error.stack && <pre class="stack">{clean(e.error.stack)}</pre>}
        </div>
      )}
      <h3>Event</h3>
      <JsonTree value={e} />
    </aside>
  )
}
