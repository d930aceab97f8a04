import type { ThreadlineEvent } from '@threadline/core'
import type { QueryOptions, SortField } from '../../types.js'
import { usageError } from '../command.js'
import type { CommandSpec } from '../command.js'
import { FILTER_OPTIONS, parsePositiveInt, stringValue, toEventFilters } from '../filters.js'
import {
  asText,
  finite,
  formatMs,
  formatTime,
  levelLabel,
  levelStyle,
  pad,
  painter,
  safe,
  truncate,
} from '../format.js'
import type { Paint } from '../format.js'
import { writeJsonLines, writeOut } from '../output.js'

const SORT_FIELDS: readonly SortField[] = [
  'timestamp',
  'level',
  'duration_ms',
  'cost_usd',
  'status_code',
  'service',
  'category',
  'event',
  'total_tokens',
]

/** Column widths for aligning a page of event lines. */
export interface EventLineWidths {
  service: number
  what: number
}

function what(e: ThreadlineEvent): string {
  return safe(
    [e.category, e.event]
      .filter((x) => x !== undefined && x !== null)
      .map(asText)
      .join('/'),
  )
}

/** Widths that align the service and category/event columns of `events`. */
export function eventLineWidths(events: readonly ThreadlineEvent[]): EventLineWidths {
  let service = 0
  let w = 0
  for (const e of events) {
    service = Math.max(service, [...safe(e.service)].length)
    w = Math.max(w, [...what(e)].length)
  }
  return { service: Math.min(service, 24), what: Math.min(w, 40) }
}

/**
 * One readable line for an event: time (UTC), level, service, category/event, message,
 * short trace id, duration, HTTP status and model.
 */
export function formatEventLine(
  e: ThreadlineEvent,
  paint: Paint,
  widths: EventLineWidths = { service: 0, what: 0 },
): string {
  const parts = [
    paint('dim', formatTime(e.timestamp)),
    paint(levelStyle(e.level), levelLabel(e.level).padEnd(5)),
    paint('magenta', pad(safe(e.service), widths.service)),
  ]
  const w = what(e)
  if (w || widths.what) parts.push(paint('bold', pad(w, widths.what)))
  const message = asText(e.kind === 'span' ? (e.name ?? e.message) : e.message)
  parts.push(safe(truncate(message, 160)))
  const error = (e.error ?? undefined) as { type?: unknown; message?: unknown } | undefined
  if (error && typeof error === 'object' && !message.includes(asText(error.message)))
    parts.push(paint('red', safe(truncate(`${asText(error.type)}: ${asText(error.message)}`, 120))))
  const meta: string[] = []
  if (e.trace_id) meta.push(`trace=${safe(asText(e.trace_id).slice(0, 8))}`)
  if (e.duration_ms !== undefined) meta.push(formatMs(e.duration_ms))
  const status = (e.http as { status_code?: unknown } | undefined)?.status_code
  if (status !== undefined && status !== null) {
    const code = finite(status) ?? 0
    const shown = safe(status)
    meta.push(code >= 500 ? paint('red', shown) : code >= 400 ? paint('yellow', shown) : shown)
  }
  const model = (e.llm as { model?: unknown } | undefined)?.model
  if (model) meta.push(safe(model))
  if (meta.length) parts.push(meta.join(' '))
  return parts.join('  ')
}

/** `threadline query`: matching events, one line each (JSONL with `--json`), and the next cursor. */
export const queryCommand: CommandSpec = {
  summary: 'list events matching filters',
  usage: '[filters] [--sort field] [--asc] [--limit n] [--cursor c]',
  options: {
    ...FILTER_OPTIONS,
    sort: {
      type: 'string',
      description: `sort by ${SORT_FIELDS.join(', ')}`,
      valueName: '<field>',
    },
    asc: { type: 'boolean', description: 'oldest / smallest first (default: newest first)' },
    limit: {
      type: 'string',
      description: 'events per page (default 50, max 10000)',
      valueName: '<n>',
    },
    cursor: { type: 'string', description: 'next page, from a previous page', valueName: '<c>' },
    total: { type: 'boolean', description: 'also count every match' },
  },
  description:
    'Examples:\n  threadline query --level error --since 24h\n  threadline query --category http --status 500-599 --route /chat\n  threadline query --attr tenant.plan=pro --search timeout --json',
  async run(ctx) {
    const options: QueryOptions = { ...toEventFilters(ctx.values, ctx.now) }
    const limit = stringValue(ctx.values, 'limit')
    options.limit = limit === undefined ? 50 : parsePositiveInt(limit, '--limit', 10_000)
    const sort = stringValue(ctx.values, 'sort')
    if (sort !== undefined) {
      if (!SORT_FIELDS.includes(sort as SortField))
        throw usageError(
          `--sort: unknown field '${sort}' (use ${SORT_FIELDS.join(', ')})`,
          '--sort',
        )
      options.sort_by = sort as SortField
    }
    if (ctx.values['asc'] === true) options.sort_order = 'asc'
    const cursor = stringValue(ctx.values, 'cursor')
    if (cursor !== undefined) options.cursor = cursor
    if (ctx.values['total'] === true) options.with_total = true

    const store = await ctx.openReader()
    const result = await store.query(options)
    if (ctx.json) {
      await writeJsonLines(ctx.stdout, result.events)
      if (result.total !== undefined) await writeOut(ctx.stderr, `total: ${result.total}\n`)
      if (result.next_cursor)
        await writeOut(ctx.stderr, `next cursor: ${safe(result.next_cursor)}\n`)
      return 0
    }
    const paint = painter(ctx.color)
    const widths = eventLineWidths(result.events)
    for (const e of result.events)
      await writeOut(ctx.stdout, formatEventLine(e, paint, widths) + '\n')
    const count = `${result.events.length} event${result.events.length === 1 ? '' : 's'}`
    const total = result.total !== undefined ? ` of ${result.total}` : ''
    const next = result.next_cursor ? `; next page: --cursor ${safe(result.next_cursor)}` : ''
    await writeOut(ctx.stdout, paint('dim', `-- ${count}${total}${next}`) + '\n')
    return 0
  },
}
