import type { RetentionOptions } from '../../types.js'
import { usageError } from '../command.js'
import type { CommandSpec } from '../command.js'
import { parseDuration, stringValue } from '../filters.js'
import { formatInt, painter } from '../format.js'
import { jsonLine, writeOut } from '../output.js'

/** `threadline retention`: delete events older than each category's max age. */
export const retentionCommand: CommandSpec = {
  summary: 'delete events older than a max age per category',
  usage: '--category audit=365d --category http=14d [--default 30d] [--dry-run]',
  options: {
    category: {
      type: 'string',
      multiple: true,
      description: 'max age of one category, repeatable',
      valueName: '<name=age>',
    },
    default: {
      type: 'string',
      description: 'max age of every other category (default: keep)',
      valueName: '<age>',
    },
    'dry-run': {
      type: 'boolean',
      description: 'say what would be dropped and deleted, remove nothing',
    },
  },
  description:
    'Ages: 14d, 12h, 90m, 30s, 2w. Whole daily partitions are dropped when every category in\nthem has expired; other expired rows are deleted. Try --dry-run first.',
  async run(ctx) {
    const options: RetentionOptions = {}
    const raw = ctx.values['category']
    const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (v): v is string => typeof v === 'string',
    )
    const categories: Record<string, string | number> = {}
    for (const item of list.flatMap((v) => v.split(','))) {
      const eq = item.indexOf('=')
      const name = item.slice(0, eq).trim()
      if (eq <= 0 || name === '')
        throw usageError(`--category: '${item}' must be name=age, e.g. http=14d`, '--category')
      categories[name] = parseDuration(item.slice(eq + 1), '--category')
    }
    if (Object.keys(categories).length) options.categories = categories
    const def = stringValue(ctx.values, 'default')
    if (def !== undefined) options.default = parseDuration(def, '--default')
    if (options.categories === undefined && options.default === undefined)
      throw usageError('nothing to do: give --category name=age and/or --default age', '--category')
    if (ctx.now) options.now = ctx.now
    const dryRun = ctx.values['dry-run'] === true
    if (dryRun) options.dryRun = true

    const store = await ctx.openStore()
    const result = await store.applyRetention(options)
    if (ctx.json) {
      await writeOut(ctx.stdout, jsonLine(result))
      return 0
    }
    const paint = painter(ctx.color)
    const dropped = result.dropped_partitions
    const verb = dryRun ? 'would drop' : 'dropped'
    let text = `${verb} ${dropped.length} partition${dropped.length === 1 ? '' : 's'}`
    text += dropped.length ? `: ${dropped.join(', ')}\n` : '\n'
    text += `${dryRun ? 'would delete' : 'deleted'} ${formatInt(result.deleted_rows)} row${result.deleted_rows === 1 ? '' : 's'}\n`
    await writeOut(
      ctx.stdout,
      paint('bold', dryRun ? 'retention dry run: nothing removed' : 'retention applied') +
        '\n' +
        text,
    )
    return 0
  },
}
