// A trace as an interactive waterfall: spans on a time axis across services, logs at their
// time, errors and the critical path marked; a side panel per span; keyboard navigation.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { request } from '../api.js'
import { CopyButton } from '../components/JsonTree.js'
import { SpanPanel } from '../components/SpanPanel.js'
import { ErrorBox, Skeleton, Empty } from '../components/States.js'
import { clean, fmtCost, fmtInt, fmtMs, fmtTime } from '../format.js'
import { useLoad } from '../hooks.js'
import { navigate, withParams, type Location } from '../router.js'
import type { Ev, SpanNode, TraceResult } from '../types.js'

interface Line {
  id: string
  ev: Ev
  node: SpanNode | undefined
  depth: number
  startMs: number
  endMs: number
  hasChildren: boolean
}

const isError = (e: Ev) => e.level === 'error' || e.level === 'fatal' || e.status === 'error'

function flatten(t: TraceResult, collapsed: Set<string>): Line[] {
  const out: Line[] = []
  const walk = (n: SpanNode) => {
    const id = n.span.span_id ?? n.span.id
    const kids: (SpanNode | Ev)[] = [...n.children, ...n.logs]
    out.push({
      id,
      ev: n.span,
      node: n,
      depth: n.depth,
      startMs: n.start_ms,
      endMs: n.end_ms,
      hasChildren: kids.length > 0,
    })
    if (collapsed.has(id)) return
    const at = (x: SpanNode | Ev) => ('span' in x ? x.start_ms : Date.parse(x.timestamp))
    for (const k of kids.sort((a, b) => at(a) - at(b))) {
      if ('span' in k) walk(k)
      else {
        const ms = Date.parse(k.timestamp)
        out.push({
          id: k.id,
          ev: k,
          node: undefined,
          depth: n.depth + 1,
          startMs: ms,
          endMs: ms,
          hasChildren: false,
        })
      }
    }
  }
  for (const r of t.roots) walk(r)
  for (const l of t.unattached_logs) {
    const ms = Date.parse(l.timestamp)
    out.push({
      id: l.id,
      ev: l,
      node: undefined,
      depth: 0,
      startMs: ms,
      endMs: ms,
      hasChildren: false,
    })
  }
  return out
}

function Axis({ total }: { total: number }) {
  return (
    <div class="axis" aria-hidden="true">
      {[0, 0.25, 0.5, 0.75, 1].map((f) => (
        <span key={f} style={{ left: `${f * 100}%` }}>
          {fmtMs(total * f)}
        </span>
      ))}
    </div>
  )
}

export function Trace({ id, loc }: { id: string; loc: Location }) {
  const { data, error, reload } = useLoad(
    (signal) => request<TraceResult>(`/api/logs/trace/${encodeURIComponent(id)}`, { signal }),
    id,
  )
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set())
  const list = useRef<HTMLDivElement>(null)
  const lines = useMemo(() => (data ? flatten(data, collapsed) : []), [data, collapsed])
  const selectedId = loc.params.get('span') ?? undefined
  const selIndex = lines.findIndex((l) => l.id === selectedId || l.ev.id === selectedId)
  const select = (i: number) => {
    const l = lines[i]
    if (l)
      navigate(withParams(loc, { span: l.ev.span_id && l.node ? l.ev.span_id : l.ev.id }), {
        replace: true,
      })
  }
  const toggle = (lineId: string, open?: boolean) =>
    setCollapsed((c) => {
      const next = new Set(c)
      const isOpen = !next.has(lineId)
      if (open ?? !isOpen) next.delete(lineId)
      else next.add(lineId)
      return next
    })

  useEffect(() => {
    if (selIndex < 0) return
    list.current
      ?.querySelector<HTMLElement>(`[data-index="${selIndex}"]`)
      ?.scrollIntoView({ block: 'nearest' })
  }, [selIndex])

  if (error && error.status === 404)
    return (
      <Empty title="Trace not found">
        <p>
          No events with trace id <code>{clean(id)}</code> are stored
          {` (or they belong to another org)`}. <a href="/logs">Search the logs</a>
        </p>
      </Empty>
    )
  if (error) return <ErrorBox error={error} retry={reload} />
  if (!data) return <Skeleton rows={10} />

  const t0 = Date.parse(data.start)
  const total = Math.max(data.duration_ms, 0.001)
  const critical = new Set(data.critical_path)
  const sel = selIndex >= 0 ? lines[selIndex] : undefined

  const onKey = (e: KeyboardEvent) => {
    const i = selIndex < 0 ? 0 : selIndex
    const cur = lines[i]
    if (e.key === 'ArrowDown' || e.key === 'j') select(Math.min(lines.length - 1, selIndex + 1))
    else if (e.key === 'ArrowUp' || e.key === 'k') select(Math.max(0, selIndex - 1))
    else if (e.key === 'ArrowLeft' && cur) {
      if (cur.hasChildren && !collapsed.has(cur.id)) toggle(cur.id, false)
      else {
        // to the parent row
        for (let k = i - 1; k >= 0; k--) if (lines[k]!.depth < cur.depth) return select(k)
      }
    } else if (e.key === 'ArrowRight' && cur?.hasChildren) toggle(cur.id, true)
    else if (e.key === 'Enter' && cur?.hasChildren) toggle(cur.id)
    else if (e.key === 'Escape') navigate(withParams(loc, { span: undefined }), { replace: true })
    else return
    e.preventDefault()
  }

  const since = new Date(t0 - 60_000).toISOString()
  const until = new Date(Date.parse(data.end) + 60_000).toISOString()
  return (
    <div class="trace-page">
      <div class="page-head">
        <h1>
          Trace <code class="trace-id">{data.trace_id}</code>{' '}
          <CopyButton text={data.trace_id} label="Copy trace id" />
        </h1>
        <a
          class="button"
          href={`/logs?trace_id=${data.trace_id}&from=${since}&to=${until}&sort_order=asc`}
        >
          Events in the explorer
        </a>
      </div>
      <dl class="summary" aria-label="Trace summary">
        <div>
          <dt>started</dt>
          <dd>{fmtTime(data.start)}</dd>
        </div>
        <div>
          <dt>duration</dt>
          <dd>{fmtMs(data.duration_ms)}</dd>
        </div>
        <div>
          <dt>services</dt>
          <dd>{data.services.join(', ')}</dd>
        </div>
        <div>
          <dt>spans</dt>
          <dd>{fmtInt(data.span_count)}</dd>
        </div>
        <div>
          <dt>errors</dt>
          <dd class={data.error_count ? 'bad' : ''}>{fmtInt(data.error_count)}</dd>
        </div>
        <div>
          <dt>tokens</dt>
          <dd>
            {fmtInt(data.input_tokens)} in / {fmtInt(data.output_tokens)} out
          </dd>
        </div>
        <div>
          <dt>cost</dt>
          <dd>{fmtCost(data.cost_usd ?? null)}</dd>
        </div>
      </dl>
      <p class="legend muted small">
        <span class="mark err">✗</span> error · <span class="mark crit">●</span> critical path ·{' '}
        <span class="mark orphan">?</span> parent not stored · ↑↓ move, ←→ fold, Enter toggles
      </p>
      <div class={sel ? 'split with-detail' : 'split'}>
        <div
          class="waterfall"
          role="tree"
          aria-label="Trace waterfall"
          tabIndex={0}
          ref={list}
          onKeyDown={onKey}
        >
          <div class="wf-row wf-head">
            <span class="wf-name">span</span>
            <span class="wf-service">service</span>
            <span class="wf-bar">
              <Axis total={total} />
            </span>
            <span class="wf-dur num">duration</span>
          </div>
          {lines.map((l, i) => {
            const e = l.ev
            const span = !!l.node
            const left = ((l.startMs - t0) / total) * 100
            const width = Math.max(0.4, ((l.endMs - l.startMs) / total) * 100)
            const err = isError(e)
            const crit = span && critical.has(e.span_id ?? '')
            return (
              <div
                key={l.id}
                data-index={i}
                role="treeitem"
                aria-level={l.depth + 1}
                aria-selected={i === selIndex}
                aria-expanded={l.hasChildren ? !collapsed.has(l.id) : undefined}
                class={`wf-row${span ? ' span' : ' log'}${err ? ' err' : ''}${crit ? ' crit' : ''}${i === selIndex ? ' selected' : ''}`}
                onClick={() => select(i)}
              >
                <span class="wf-name" style={{ paddingLeft: `${4 + l.depth * 14}px` }}>
                  {l.hasChildren ? (
                    <button
                      type="button"
                      class="wf-toggle"
                      tabIndex={-1}
                      aria-label={collapsed.has(l.id) ? 'Expand' : 'Collapse'}
                      onClick={(ev) => {
                        ev.stopPropagation()
                        toggle(l.id)
                      }}
                    >
                      {collapsed.has(l.id) ? '▸' : '▾'}
                    </button>
                  ) : (
                    <span class="wf-toggle" />
                  )}
                  {err && (
                    <span class="mark err" title="error">
                      ✗
                    </span>
                  )}
                  {crit && (
                    <span class="mark crit" title="critical path">
                      ●
                    </span>
                  )}
                  {l.node?.orphan && (
                    <span class="mark orphan" title="parent span not stored">
                      ?
                    </span>
                  )}
                  <span class={span ? 'wf-label' : 'wf-label log-label'}>
                    {span ? clean(e.name ?? e.message) : `${e.level}: ${clean(e.message)}`}
                  </span>
                  {span && e.llm?.model && <span class="pill">{e.llm.model}</span>}
                </span>
                <span class="wf-service">{clean(e.service)}</span>
                <span class="wf-bar">
                  {span ? (
                    <span
                      class={`bar kind-${e.span_kind ?? 'internal'}`}
                      style={{ left: `${left}%`, width: `${width}%` }}
                    />
                  ) : (
                    <span class={`tick lvl-${e.level}`} style={{ left: `${left}%` }} />
                  )}
                </span>
                <span class="wf-dur num">{span ? fmtMs(l.endMs - l.startMs) : ''}</span>
              </div>
            )
          })}
        </div>
        {sel && (
          <SpanPanel
            event={sel.ev}
            onClose={() => navigate(withParams(loc, { span: undefined }), { replace: true })}
          />
        )}
      </div>
    </div>
  )
}
