import type { CommandSpec, OptionSpec } from './command.js'

/** Options every command accepts. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  'database-url': {
    type: 'string',
    description: 'PostgreSQL URL (default: $THREADLINE_DATABASE_URL, $DATABASE_URL, else PGlite)',
    valueName: '<url>',
  },
  'data-dir': {
    type: 'string',
    description: "PGlite data directory, or 'memory' (default: .threadline/data)",
    valueName: '<dir>',
  },
  schema: {
    type: 'string',
    description: 'schema holding the tables (default: threadline)',
    valueName: '<name>',
  },
  json: { type: 'boolean', description: 'machine output (JSON / JSON lines)' },
  color: { type: 'boolean', description: 'force colours' },
  'no-color': { type: 'boolean', description: 'no colours (also: NO_COLOR=1)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.valueName ?? '<value>'}` : ''}`
    const more = o.multiple ? ' (repeatable)' : ''
    return [flag, o.description + more] as const
  })
  const width = Math.min(28, Math.max(...entries.map(([f]) => f.length)))
  return entries.map(([f, d]) =>
    f.length > width ? `  ${f}\n  ${' '.repeat(width)}  ${d}` : `  ${f.padEnd(width)}  ${d}`,
  )
}

/** The overall help: usage, commands with their summaries, global options. */
export function overallHelp(commands: Record<string, CommandSpec>): string {
  const names = Object.keys(commands).sort()
  const width = Math.max(...names.map((n) => n.length))
  return [
    'Usage: threadline <command> [options]',
    '',
    'Query and maintain a Threadline event store (embedded PGlite or PostgreSQL).',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${commands[n]!.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    "Run 'threadline <command> --help' for the options of a command.",
    '',
  ].join('\n')
}

/** Help of one command: usage, summary, its options, global options, examples. */
export function commandHelp(name: string, spec: CommandSpec): string {
  const lines = [`Usage: threadline ${name}${spec.usage ? ` ${spec.usage}` : ' [options]'}`, '']
  lines.push(spec.summary, '')
  if (spec.options && Object.keys(spec.options).length) {
    lines.push('Options:', ...optionLines(spec.options), '')
  }
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS), '')
  if (spec.description) lines.push(spec.description, '')
  return lines.join('\n')
}
