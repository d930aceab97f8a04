import type { CommandSpec } from '../command.js'
import { formatInt } from '../format.js'
import { jsonLine, writeOut } from '../output.js'

/** `threadline info`: where the store is, its migrations and how many events it holds. */
export const infoCommand: CommandSpec = {
  summary: 'show the store: engine, location, schema, migrations, event count',
  async run(ctx) {
    const store = await ctx.openReader()
    const [info, count] = await Promise.all([store.info(), store.count()])
    if (ctx.json) {
      await writeOut(ctx.stdout, jsonLine({ ...info, events: count }))
      return 0
    }
    const lines = [
      `engine:     ${info.engine}`,
      `location:   ${info.location}`,
      `schema:     ${info.schema}`,
      `migrations: ${info.migrations.join(', ') || '-'}`,
      `events:     ${formatInt(count)}`,
    ]
    await writeOut(ctx.stdout, lines.join('\n') + '\n')
    return 0
  },
}
