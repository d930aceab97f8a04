// One trace: its events in order, the span tree, and what it cost.
import type { ThreadlineEvent } from '@threadline/core'
import type { Engine } from './engine.js'
import { storable, StoreQueryError } from './errors.js'
import type { SpanNode, TraceResult } from './types.js'

const MAX_TRACE_EVENTS = 50_000

const isError = (e: ThreadlineEvent): boolean =>
  e.level === 'error' || e.level === 'fatal' || (e.kind === 'span' && e.status === 'error')

export async function loadTrace(
  engine: Engine,
  traceId: unknown,
  scope: { org_id?: string },
): Promise<TraceResult | undefined> {
  if (typeof traceId !== 'string' || traceId.length === 0 || traceId.length > 512)
    throw new StoreQueryError('trace_id', 'expected a trace id string')
  storable('trace_id', traceId)
  if (scope.org_id !== undefined && typeof scope.org_id === 'string')
    storable('org_id', scope.org_id)
  const params: unknown[] = [traceId]
  let orgClause = ''
  if (scope.org_id !== undefined) {
    if (typeof scope.org_id !== 'string') throw new StoreQueryError('org_id', 'expected a string')
    params.push(scope.org_id)
    orgClause = 'AND org_id = $2'
  }
  const { rows } = await engine.query<{ body: ThreadlineEvent }>(
    `SELECT body FROM events WHERE trace_id = $1 ${orgClause}
      ORDER BY "timestamp", id LIMIT ${MAX_TRACE_EVENTS}`,
    params,
  )
  if (rows.length === 0) return undefined
  return buildTrace(
    traceId,
    rows.map((r) => r.body),
  )
}

const timeOf = (v: unknown): number => (typeof v === 'string' ? Date.parse(v) : NaN)
const MAX_DATE_MS = 8.64e15
const isoOf = (ms: number): string =>
  new Date(Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms))).toISOString()

/** The span tree and sums for a trace's events (already in time order). */
export function buildTrace(traceId: string, events: ThreadlineEvent[]): TraceResult {
  const nodes = new Map<string, SpanNode>()
  for (const e of events) {
    if (e.kind !== 'span' || !e.span_id || nodes.has(e.span_id)) continue
    const start = timeOf(e.timestamp)
    const duration = typeof e.duration_ms === 'number' ? e.duration_ms : 0
    nodes.set(e.span_id, {
      span: e,
      start_ms: start,
      end_ms: start + duration,
      depth: 0,
      children: [],
      logs: [],
      orphan: false,
    })
  }
  const roots: SpanNode[] = []
  for (const node of nodes.values()) {
    const parentId = node.span.parent_span_id
    const parent = parentId ? nodes.get(parentId) : undefined
    if (parent && parent !== node) parent.children.push(node)
    else {
      node.orphan = Boolean(parentId)
      roots.push(node)
    }
  }
  const unattached: ThreadlineEvent[] = []
  for (const e of events) {
    if (e.kind === 'span') continue
    const owner = e.span_id ? nodes.get(e.span_id) : undefined
    if (owner) owner.logs.push(e)
    else unattached.push(e)
  }
  const byStart = (a: SpanNode, b: SpanNode) => a.start_ms - b.start_ms
  // Depth-first without recursion. Spans in a parent cycle (bad data) are unreachable from
  // any root; they are detached and kept as orphan roots instead of being lost.
  const visited = new Set<SpanNode>()
  const walk = (root: SpanNode) => {
    root.depth = 0
    const stack = [root]
    while (stack.length) {
      const n = stack.pop()!
      visited.add(n)
      n.children.sort(byStart)
      for (const c of n.children) {
        c.depth = n.depth + 1
        stack.push(c)
      }
    }
  }
  roots.forEach(walk)
  for (const node of nodes.values()) {
    if (visited.has(node)) continue
    const parent = nodes.get(node.span.parent_span_id!)
    if (parent) parent.children = parent.children.filter((c) => c !== node)
    node.orphan = true
    roots.push(node)
    walk(node)
  }
  roots.sort(byStart)

  // Usage is counted once: from spans when any span carries it (an LLM call's span and the
  // log written about it often both hold the same numbers), else from the events that do.
  const usageFromSpans = events.some(
    (e) => e.kind === 'span' && (e.llm !== undefined || e.cost_usd !== undefined),
  )
  let start = Infinity
  let end = -Infinity
  let errors = 0
  let inTok = 0
  let outTok = 0
  let totalTok = 0
  let cost: number | undefined
  const services = new Set<string>()
  // Rows written before the schema was enforced may hold any type: count only real numbers.
  const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)
  for (const e of events) {
    const t = timeOf(e.timestamp)
    if (Number.isFinite(t)) {
      start = Math.min(start, t)
      end = Math.max(end, t + (e.kind === 'span' ? n(e.duration_ms) : 0))
    }
    if (isError(e)) errors++
    if (typeof e.service === 'string') services.add(e.service)
    if (usageFromSpans && e.kind !== 'span') continue
    if (e.llm) {
      inTok += n(e.llm.input_tokens)
      outTok += n(e.llm.output_tokens)
      totalTok +=
        e.llm.total_tokens !== undefined
          ? n(e.llm.total_tokens)
          : n(e.llm.input_tokens) + n(e.llm.output_tokens)
    }
    if (typeof e.cost_usd === 'number' && Number.isFinite(e.cost_usd))
      cost = (cost ?? 0) + e.cost_usd
  }
  if (!(start <= end)) start = end = 0
  return {
    trace_id: traceId,
    events,
    roots,
    unattached_logs: unattached,
    services: [...services],
    start: isoOf(start),
    end: isoOf(end),
    duration_ms: end - start,
    critical_path: criticalPath(roots),
    span_count: nodes.size,
    error_count: errors,
    input_tokens: inTok,
    output_tokens: outTok,
    total_tokens: totalTok,
    cost_usd: cost,
  }
}

/**
 * From the root that ends last, repeatedly step into the child that ends last: the chain
 * of spans the trace's end waited on.
 */
function criticalPath(roots: SpanNode[]): string[] {
  const path: string[] = []
  const latest = (ns: SpanNode[]) =>
    ns.reduce<SpanNode | undefined>((a, n) => (!a || n.end_ms > a.end_ms ? n : a), undefined)
  let node = latest(roots.filter((r) => !r.orphan)) ?? latest(roots)
  const seen = new Set<SpanNode>()
  while (node && !seen.has(node)) {
    seen.add(node)
    if (node.span.span_id) path.push(node.span.span_id)
    node = latest(node.children)
  }
  return path
}
