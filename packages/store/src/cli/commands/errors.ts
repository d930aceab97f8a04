import type { ErrorsOptions } from '../../types.js'
import type { CommandSpec } from '../command.js'
import { FILTER_OPTIONS, parsePositiveInt, stringValue, toEventFilters } from '../filters.js'
import { formatInt, formatTime, painter, renderTable, safe, truncate } from '../format.js'
import { writeJsonLines, writeOut } from '../output.js'

/** `threadline errors`: error groups by fingerprint, most frequent first. */
export const errorsCommand: CommandSpec = {
  summary: 'group errors by fingerprint: count, last seen, users affected',
  usage: '[filters] [--limit n]',
  options: {
    ...FILTER_OPTIONS,
    limit: { type: 'string', description: 'groups shown (default 50)', valueName: '<n>' },
  },
  description:
    'Examples:\n  threadline errors --since 24h\n  threadline errors --user u-123 --service api',
  async run(ctx) {
    const options: ErrorsOptions = { ...toEventFilters(ctx.values, ctx.now) }
    const limit = stringValue(ctx.values, 'limit')
    if (limit !== undefined) options.limit = parsePositiveInt(limit, '--limit', 10_000)
    const store = await ctx.openReader()
    const groups = await store.errors(options)
    if (ctx.json) {
      await writeJsonLines(ctx.stdout, groups)
      return 0
    }
    const paint = painter(ctx.color)
    if (groups.length === 0) {
      await writeOut(ctx.stdout, 'no errors match\n')
      return 0
    }
    const rows = groups.map((g) => [
      paint('red', formatInt(g.count)),
      safe(truncate(g.type ?? '-', 32)),
      safe(truncate(g.message ?? '-', 60)),
      safe(g.service ?? '-'),
      formatTime(g.last_seen),
      formatInt(g.affected_users),
      g.sample_trace_id ? safe(g.sample_trace_id) : '-',
    ])
    const table = renderTable(
      [
        { header: 'COUNT', align: 'right' },
        { header: 'TYPE' },
        { header: 'MESSAGE' },
        { header: 'SERVICE' },
        { header: 'LAST SEEN' },
        { header: 'USERS', align: 'right' },
        { header: 'SAMPLE TRACE' },
      ],
      rows,
      paint,
    )
    await writeOut(ctx.stdout, table)
    return 0
  },
}
