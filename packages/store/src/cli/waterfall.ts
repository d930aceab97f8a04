import type { ThreadlineEvent } from '@threadline/core'
import type { SpanNode, TraceResult } from '../types.js'
import {
  formatCost,
  formatInt,
  formatMs,
  formatTime,
  levelLabel,
  levelStyle,
  pad,
  painter,
  renderBar,
  asText,
  safe,
  truncate,
} from './format.js'
import type { Paint } from './format.js'

export interface WaterfallOptions {
  /** ANSI colours. @default false */
  color?: boolean
  /** Columns of the timeline bar. @default 40 */
  barWidth?: number
  /** Widest name column (deeper or longer names are cut). @default 48 */
  maxNameWidth?: number
}

/** Marks in the left gutter (shown with or without colour). */
export const MARK = { error: '✗', critical: '*', orphan: '?' } as const

/** Whether a span (or log) counts as an error: status `error` or level error/fatal. */
export function isErrored(e: ThreadlineEvent): boolean {
  return e.status === 'error' || e.level === 'error' || e.level === 'fatal'
}

interface Row {
  node: SpanNode
  depth: number
}

function flatten(nodes: SpanNode[], depth: number, out: Row[]): Row[] {
  for (const node of nodes) {
    out.push({ node, depth })
    flatten(node.children, depth + 1, out)
  }
  return out
}

function spanName(e: ThreadlineEvent): string {
  return safe(e.name ?? e.message)
}

function llmDetails(e: ThreadlineEvent, paint: Paint): string {
  const parts: string[] = []
  const l = e.llm
  if (l) {
    if (l.model) parts.push(paint('cyan', safe(l.model)))
    if (l.input_tokens !== undefined || l.output_tokens !== undefined)
      parts.push(
        `${formatInt(l.input_tokens ?? 0)} in / ${formatInt(l.output_tokens ?? 0)} out tok`,
      )
    else if (l.total_tokens !== undefined) parts.push(`${formatInt(l.total_tokens)} tok`)
  }
  if (e.cost_usd !== undefined) parts.push(formatCost(e.cost_usd))
  return parts.join('  ')
}

function logLine(log: ThreadlineEvent, indent: string, t0: number, paint: Paint): string {
  const offset = (typeof log.timestamp === 'string' ? Date.parse(log.timestamp) : NaN) - t0
  const at = Number.isFinite(offset) ? ` ${paint('dim', `+${formatMs(offset)}`)}` : ''
  const level = paint(levelStyle(log.level), levelLabel(log.level))
  const err = log.error ? ` ${safe(`${asText(log.error.type)}: ${asText(log.error.message)}`)}` : ''
  const mark = isErrored(log) ? MARK.error : ' '
  return `${mark}    ${indent}${paint('dim', '[')}${level}${paint('dim', `] ${safe(log.message)}${err}`)}${at}`
}

/**
 * Render a trace as a terminal waterfall: a header (trace id, services, span count,
 * duration, errors, tokens and cost), then one line per span, indented two spaces per
 * depth, with a bar positioned by its start offset and sized by its duration, the
 * duration in ms, and LLM model, tokens and cost. Logs follow their span. Errored spans
 * are marked `✗` (and red with colour), spans on the critical path `*`, orphans `?`.
 */
export function renderWaterfall(trace: TraceResult, options: WaterfallOptions = {}): string {
  const { color = false, barWidth = 40, maxNameWidth = 48 } = options
  const paint = painter(color)
  const rows = flatten(trace.roots, 0, [])
  const starts = rows.map((r) => r.node.start_ms)
  const parsedStart = typeof trace.start === 'string' ? Date.parse(trace.start) : NaN
  const t0 = Number.isFinite(parsedStart)
    ? Math.min(parsedStart, ...starts)
    : starts.length
      ? Math.min(...starts)
      : 0
  const total = trace.duration_ms
  const critical = new Set(trace.critical_path)

  const out: string[] = []
  out.push(`${paint('bold', 'Trace')} ${safe(trace.trace_id)}`)
  const summary = [
    `services: ${trace.services.map(safe).join(', ') || '-'}`,
    `spans: ${trace.span_count}`,
    `duration: ${formatMs(total)}`,
    `errors: ${trace.error_count > 0 ? paint('red', String(trace.error_count)) : '0'}`,
  ]
  out.push(summary.join('   '))
  if (trace.total_tokens > 0 || trace.cost_usd !== undefined) {
    out.push(
      `tokens: ${formatInt(trace.total_tokens)} (${formatInt(trace.input_tokens)} in / ${formatInt(trace.output_tokens)} out)   cost: ${formatCost(trace.cost_usd)}`,
    )
  }
  out.push(paint('dim', `start: ${formatTime(trace.start)}   end: ${formatTime(trace.end)}`))
  out.push('')

  const nameWidth = Math.min(
    maxNameWidth,
    Math.max(4, ...rows.map((r) => r.depth * 2 + visibleLen(spanName(r.node.span)))),
  )
  const serviceWidth = Math.max(7, ...rows.map((r) => visibleLen(safe(r.node.span.service))))

  if (rows.length === 0) out.push(paint('dim', '(no spans in this trace)'))
  else
    out.push(
      paint(
        'dim',
        `    ${pad('span', nameWidth)}  ${pad('service', serviceWidth)}  ${pad('timeline', barWidth + 2)}  ${'duration'.padStart(9)}`,
      ),
    )

  for (const { node, depth } of rows) {
    const e = node.span
    const errored = isErrored(e)
    const indent = '  '.repeat(depth)
    const name = truncate(indent + spanName(e), nameWidth)
    const gutter =
      (errored ? MARK.error : ' ') +
      (critical.has(e.span_id ?? '') ? MARK.critical : ' ') +
      (node.orphan ? MARK.orphan : ' ')
    const duration = node.end_ms - node.start_ms
    const bar = renderBar({
      offsetMs: node.start_ms - t0,
      durationMs: duration,
      totalMs: total,
      width: barWidth,
    })
    const barStyle = errored ? 'red' : critical.has(e.span_id ?? '') ? 'blue' : 'green'
    const details: string[] = []
    const llm = llmDetails(e, paint)
    if (llm) details.push(llm)
    if (e.http?.status_code !== undefined) details.push(`status ${safe(e.http.status_code)}`)
    if (e.error) details.push(safe(`${asText(e.error.type)}: ${asText(e.error.message)}`))
    if (node.orphan) details.push(`orphan: parent ${safe(e.parent_span_id ?? '?')} not stored`)
    const red = (text: string): string => (errored ? paint('red', text) : text)
    let line =
      `${red(gutter)} ${red(pad(name, nameWidth))}  ${pad(safe(e.service), serviceWidth)}  ` +
      `│${paint(barStyle, bar)}│  ${red(formatMs(duration).padStart(9))}`
    if (details.length) line += `  ${red(details.join('  '))}`
    out.push(line)
    for (const log of node.logs) out.push(logLine(log, indent + '  ', t0, paint))
  }

  if (trace.unattached_logs.length) {
    out.push('')
    out.push(paint('bold', 'Logs outside any stored span'))
    for (const log of trace.unattached_logs) out.push(logLine(log, '', t0, paint))
  }
  out.push('')
  out.push(
    paint(
      'dim',
      `${MARK.error} error   ${MARK.critical} critical path   ${MARK.orphan} orphan (parent span not stored)`,
    ),
  )
  return out.join('\n') + '\n'
}

function visibleLen(s: string): number {
  return [...s].length
}
