import { GROUP_BY_FIELDS } from '../../vocabulary.js'
import type { GroupByField, StatsOptions, StatsRow } from '../../types.js'
import { usageError } from '../command.js'
import type { CommandSpec } from '../command.js'
import {
  FILTER_OPTIONS,
  listValue,
  parsePositiveInt,
  stringValue,
  toEventFilters,
} from '../filters.js'
import {
  formatCost,
  formatInt,
  formatMs,
  formatPercent,
  formatTime,
  painter,
  renderTable,
  safe,
} from '../format.js'
import type { TableColumn } from '../format.js'
import { writeJsonLines, writeOut } from '../output.js'

const GROUP_FIELDS = GROUP_BY_FIELDS

/** `30s`, `5m`, `1h`, `1d`: checked here so a typo names the flag. */
const INTERVAL = /^\d+(s|m|h|d)$/

/** The table rows for stats: group columns, bucket, counts, latency percentiles, tokens and cost. */
export function statsTable(
  rows: StatsRow[],
  groupBy: string[],
  withBucket: boolean,
  color: boolean,
): string {
  const paint = painter(color)
  const columns: TableColumn[] = [
    ...(withBucket ? [{ header: 'BUCKET' }] : []),
    ...groupBy.map((g) => ({ header: g.toUpperCase() })),
    { header: 'COUNT', align: 'right' },
    { header: 'ERR%', align: 'right' },
    { header: 'P50', align: 'right' },
    { header: 'P95', align: 'right' },
    { header: 'P99', align: 'right' },
    { header: 'TOK IN', align: 'right' },
    { header: 'TOK OUT', align: 'right' },
    { header: 'COST', align: 'right' },
  ]
  const body = rows.map((r) => [
    ...(withBucket ? [formatTime(r.bucket)] : []),
    ...groupBy.map((g) => {
      const v = r.group[g]
      return v === null || v === undefined ? paint('dim', '(none)') : safe(v)
    }),
    formatInt(r.count),
    r.error_count > 0 ? paint('red', formatPercent(r.error_rate)) : formatPercent(r.error_rate),
    formatMs(r.p50_ms),
    formatMs(r.p95_ms),
    formatMs(r.p99_ms),
    formatInt(r.input_tokens),
    formatInt(r.output_tokens),
    formatCost(r.cost_usd),
  ])
  return renderTable(columns, body, paint)
}

/** `threadline stats`: counts, error rate, latency percentiles, tokens and cost per group. */
export const statsCommand: CommandSpec = {
  summary: 'counts, error rate, p50/p95/p99, tokens and cost per group',
  usage: '--by model[,route...] [--interval 1h] [filters]',
  options: {
    ...FILTER_OPTIONS,
    by: {
      type: 'string',
      multiple: true,
      description: `group by ${GROUP_FIELDS.join(', ')}`,
      valueName: '<fields>',
    },
    interval: { type: 'string', description: 'time buckets: 30s, 5m, 1h, 1d', valueName: '<i>' },
    limit: { type: 'string', description: 'rows (default 1000)', valueName: '<n>' },
  },
  description:
    'Examples:\n  threadline stats --by model --since 7d\n  threadline stats --by route,status_code --interval 1h --category http',
  async run(ctx) {
    const options: StatsOptions = { ...toEventFilters(ctx.values, ctx.now) }
    const by = listValue(ctx.values, 'by')
    for (const g of by)
      if (!GROUP_FIELDS.includes(g as GroupByField))
        throw usageError(`--by: unknown field '${g}' (use ${GROUP_FIELDS.join(', ')})`, '--by')
    if (by.length) options.group_by = by as GroupByField[]
    const interval = stringValue(ctx.values, 'interval')
    if (interval !== undefined) {
      if (!INTERVAL.test(interval))
        throw usageError(
          `--interval: '${interval}' is not an interval (use 30s, 5m, 1h or 1d)`,
          '--interval',
        )
      options.interval = interval
    }
    const limit = stringValue(ctx.values, 'limit')
    if (limit !== undefined) options.limit = parsePositiveInt(limit, '--limit', 100_000)
    const store = await ctx.openReader()
    const rows = await store.stats(options)
    if (ctx.json) {
      await writeJsonLines(ctx.stdout, rows)
      return 0
    }
    if (rows.length === 0) {
      await writeOut(ctx.stdout, 'no events match\n')
      return 0
    }
    await writeOut(ctx.stdout, statsTable(rows, by, interval !== undefined, ctx.color))
    return 0
  },
}
