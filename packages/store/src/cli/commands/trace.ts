import type { CommandSpec } from '../command.js'
import { usageError } from '../command.js'
import { stringValue } from '../filters.js'
import { jsonLine, writeOut } from '../output.js'
import { renderWaterfall } from '../waterfall.js'

/** `threadline trace <trace_id>`: the trace as a terminal waterfall (JSON with `--json`). */
export const traceCommand: CommandSpec = {
  summary: 'show one trace as a waterfall of spans and logs',
  usage: '<trace_id> [--org id] [--width n]',
  minPositionals: 1,
  maxPositionals: 1,
  options: {
    org: { type: 'string', description: 'only within this org', valueName: '<id>' },
    width: { type: 'string', description: 'timeline columns (default 40)', valueName: '<n>' },
  },
  async run(ctx) {
    const given = ctx.positionals[0] ?? ''
    const traceId = given.trim().toLowerCase().replace(/-/g, '')
    if (!/^[0-9a-f]{32}$/.test(traceId))
      throw usageError(`<trace_id>: '${given}' is not a trace id (32 hex characters)`, '<trace_id>')
    const width = stringValue(ctx.values, 'width')
    let barWidth = 40
    if (width !== undefined) {
      barWidth = Number(width)
      if (!/^\d+$/.test(width) || barWidth < 10 || barWidth > 200)
        throw usageError(`--width: '${width}' must be a whole number from 10 to 200`, '--width')
    }
    const org = stringValue(ctx.values, 'org')
    const store = await ctx.openReader()
    const trace = await store.trace(traceId, org === undefined ? {} : { org_id: org })
    if (!trace) {
      await writeOut(ctx.stderr, `threadline trace: trace ${traceId} not found\n`)
      return 1
    }
    if (ctx.json) {
      await writeOut(ctx.stdout, jsonLine(trace))
      return 0
    }
    await writeOut(ctx.stdout, renderWaterfall(trace, { color: ctx.color, barWidth }))
    return 0
  },
}
