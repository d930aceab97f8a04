// One trace: its events in order, the span tree, and what it cost.
import type { ThreadlineEvent } from '@threadline/core'
import type { Engine } from './engine.js'
import { StoreQueryError } from './errors.js'
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

/** The span tree and sums for a trace's events (already in time order). */
export function buildTrace(traceId: string, events: ThreadlineEvent[]): TraceResult {
  const nodes = new Map<string, SpanNode>()
  for (const e of events) {
    if (e.kind !== 'span' || !e.span_id || nodes.has(e.span_id)) continue
    const start = Date.parse(e.timestamp)
    nodes.set(e.span_id, {
      span: e,
      start_ms: start,
      end_ms: start + (e.duration_ms ?? 0),
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
  for (const e of events) {
    const t = Date.parse(e.timestamp)
    start = Math.min(start, t)
    end = Math.max(end, t + (e.kind === 'span' ? (e.duration_ms ?? 0) : 0))
    if (isError(e)) errors++
    services.add(e.service)
    if (usageFromSpans && e.kind !== 'span') continue
    if (e.llm) {
      inTok += e.llm.input_tokens ?? 0
      outTok += e.llm.output_tokens ?? 0
      totalTok += e.llm.total_tokens ?? (e.llm.input_tokens ?? 0) + (e.llm.output_tokens ?? 0)
    }
    if (typeof e.cost_usd === 'number') cost = (cost ?? 0) + e.cost_usd
  }
  return {
    trace_id: traceId,
    events,
    roots,
    unattached_logs: unattached,
    services: [...services],
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
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
