import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import type { ExportFormat, ExportOptions } from '../../types.js'
import { usageError } from '../command.js'
import type { CliOutput, CommandSpec } from '../command.js'
import { FILTER_OPTIONS, parsePositiveInt, stringValue, toEventFilters } from '../filters.js'
import { formatInt } from '../format.js'
import { writeOut } from '../output.js'

/** `threadline export`: stream matching events as CSV or JSONL to stdout or a file. */
export const exportCommand: CommandSpec = {
  summary: 'stream events as CSV or JSONL to stdout or a file',
  usage: '--format csv|jsonl [--output file] [filters] [--limit n] [--desc]',
  options: {
    ...FILTER_OPTIONS,
    format: { type: 'string', description: 'csv or jsonl (default csv)', valueName: '<f>' },
    output: {
      type: 'string',
      short: 'o',
      description: 'write to this file instead of stdout',
      valueName: '<file>',
    },
    limit: { type: 'string', description: 'at most this many events', valueName: '<n>' },
    desc: { type: 'boolean', description: 'newest first (default oldest first)' },
  },
  description:
    'Examples:\n  threadline export --format csv --since 7d --output week.csv\n  threadline export --category audit | gzip > audit.jsonl.gz',
  async run(ctx) {
    const options: ExportOptions = { ...toEventFilters(ctx.values, ctx.now) }
    const format = stringValue(ctx.values, 'format') ?? 'csv'
    if (format !== 'csv' && format !== 'jsonl')
      throw usageError(`--format: '${format}' must be csv or jsonl`, '--format')
    options.format = format as ExportFormat
    const limit = stringValue(ctx.values, 'limit')
    if (limit !== undefined) options.limit = parsePositiveInt(limit, '--limit')
    options.sort_order = ctx.values['desc'] === true ? 'desc' : 'asc'
    const output = stringValue(ctx.values, 'output')
    if (output === '') throw usageError('--output: a file name is needed', '--output')

    const store = await ctx.openReader()
    if (output === undefined || output === '-') {
      await pump(store.export(options), ctx.stdout)
      return 0
    }
    const file = createWriteStream(output)
    await once(file, 'open')
    let failure: Error | undefined
    file.on('error', (err) => {
      failure = err
    })
    let bytes = 0
    const sink: CliOutput = {
      write(chunk) {
        if (failure) throw failure
        bytes += Buffer.byteLength(chunk)
        return file.write(chunk)
      },
      once(_event, listener) {
        const done = (): void => {
          file.off('drain', done)
          file.off('close', done)
          listener()
        }
        file.once('drain', done)
        file.once('close', done)
      },
    }
    try {
      await pump(store.export(options), sink)
    } catch (err) {
      file.destroy()
      throw err
    }
    file.end()
    await finished(file)
    if (!ctx.json) await writeOut(ctx.stderr, `wrote ${formatInt(bytes)} bytes to ${output}\n`)
    return 0
  },
}

async function pump(chunks: AsyncIterable<string>, out: CliOutput): Promise<void> {
  for await (const chunk of chunks) await writeOut(out, chunk)
}
