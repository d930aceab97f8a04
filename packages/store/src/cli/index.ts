import { parseArgs } from 'node:util'
import type { ParseArgsConfig } from 'node:util'
import type { Store, StoreOptions, StoreReader } from '../types.js'
import { isUsageError, usageError } from './command.js'
import type {
  CliIo,
  CliOutput,
  CommandContext,
  CommandSpec,
  OptionSpec,
  OptionValues,
} from './command.js'
import { errorsCommand } from './commands/errors.js'
import { exportCommand } from './commands/export.js'
import { infoCommand } from './commands/info.js'
import { queryCommand } from './commands/query.js'
import { retentionCommand } from './commands/retention.js'
import { statsCommand } from './commands/stats.js'
import { traceCommand } from './commands/trace.js'
import { flagForField } from './filters.js'
import { GLOBAL_OPTIONS, commandHelp, overallHelp } from './help.js'
import { safe } from './format.js'
import { writeOut } from './output.js'

export type {
  CliIo,
  CliOutput,
  CommandContext,
  CommandSpec,
  OptionSpec,
  OptionValues,
  UsageError,
} from './command.js'
export { isUsageError, usageError } from './command.js'
export { FILTER_OPTIONS, toEventFilters } from './filters.js'
export { renderWaterfall } from './waterfall.js'
export { painter, renderTable } from './format.js'
export type { Paint, TableColumn } from './format.js'
export { writeOut } from './output.js'
export type { WaterfallOptions } from './waterfall.js'

/** The commands built into the `threadline` binary. */
export const BUILTIN_COMMANDS: Readonly<Record<string, CommandSpec>> = {
  query: queryCommand,
  trace: traceCommand,
  errors: errorsCommand,
  stats: statsCommand,
  export: exportCommand,
  retention: retentionCommand,
  info: infoCommand,
}

const VALUE_GLOBALS = new Set(
  Object.entries(GLOBAL_OPTIONS)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
)

/** Index of the command word: the first argument that is neither a flag nor a global flag's value. */
function findCommand(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1
    if (!a.startsWith('-')) return i
    if (VALUE_GLOBALS.has(a)) i++
  }
  return -1
}

function parseConfig(options: Record<string, OptionSpec>): ParseArgsConfig['options'] {
  const out: NonNullable<ParseArgsConfig['options']> = {}
  for (const [name, o] of Object.entries(options)) {
    out[name] = o.short
      ? { type: o.type, multiple: o.multiple ?? false, short: o.short }
      : { type: o.type, multiple: o.multiple ?? false }
  }
  return out
}

/** A `parseArgs` failure as a short message naming the flag. */
function parseError(err: unknown): Error {
  const code = (err as { code?: unknown }).code
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return err as Error
  const message = (err as Error).message
  const flag = /'(-{1,2}[^' =]+)/.exec(message)?.[1]
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return usageError(`unknown option '${flag}'`, flag)
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']*)'/.exec(message)?.[1]
    return usageError(`unexpected argument '${arg}'`)
  }
  if (/argument missing|ambiguous/.test(message)) return usageError(`${flag} needs a value`, flag)
  if (message.includes('does not take an argument'))
    return usageError(`${flag} takes no value`, flag)
  return usageError(message.split('. ')[0]!.replace(/^Option /, ''), flag)
}

/** A store error caused by a bad filter: it names the `field`. */
function isFieldError(err: unknown): err is Error & { field: string; reason?: unknown } {
  return err instanceof Error && typeof (err as { field?: unknown }).field === 'string'
}

function isConfigError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ThreadlineConfigError'
}

function decideColor(
  values: OptionValues,
  io: CliIo,
  stdout: CliOutput,
  env: CliIo['env'],
): boolean {
  if (values['no-color'] === true) return false
  if (values['color'] === true) return true
  if (io.color !== undefined) return io.color
  if (env?.['NO_COLOR']) return false
  if (env?.['FORCE_COLOR'] && env['FORCE_COLOR'] !== '0') return true
  return io.isTTY ?? stdout.isTTY === true
}

function resolveStoreOptions(
  values: OptionValues,
  env: Record<string, string | undefined>,
): StoreOptions {
  const options: StoreOptions = {}
  const url =
    (typeof values['database-url'] === 'string' ? values['database-url'] : undefined) ??
    (env['THREADLINE_DATABASE_URL'] || undefined) ??
    (env['DATABASE_URL'] || undefined)
  if (url) options.databaseUrl = url
  else
    options.dataDir =
      typeof values['data-dir'] === 'string' && values['data-dir'] !== ''
        ? values['data-dir']
        : '.threadline/data'
  if (typeof values['schema'] === 'string') {
    if (!/^[a-z_][a-z0-9_]*$/.test(values['schema']))
      throw usageError(
        `--schema: '${values['schema']}' may hold lower-case letters, digits and _ only`,
        '--schema',
      )
    options.schema = values['schema']
  }
  return options
}

async function defaultOpenStore(options: StoreOptions): Promise<Store> {
  const { createStore } = await import('../store.js')
  return createStore(options)
}

/**
 * Run the `threadline` command line and resolve to its exit code (0 ok, 1 failure,
 * 2 usage error); never exits the process. `extraCommands` add (or replace) commands of
 * the same binary, e.g. a server's `serve`.
 */
export async function runCli(
  argv: string[],
  io: CliIo = {},
  extraCommands: Record<string, CommandSpec> = {},
): Promise<number> {
  const stdout = io.stdout ?? (process.stdout as CliOutput)
  const stderr = io.stderr ?? (process.stderr as CliOutput)
  const env = io.env ?? process.env
  const commands: Record<string, CommandSpec> = { ...BUILTIN_COMMANDS, ...extraCommands }

  const at = findCommand(argv)
  let name = at >= 0 ? argv[at]! : undefined
  let rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 1)] : argv
  if (name === 'help') {
    const target = rest.find((a) => !a.startsWith('-'))
    if (target === undefined) {
      await writeOut(stdout, overallHelp(commands))
      return 0
    }
    if (!commands[target]) {
      await writeOut(stderr, `threadline: unknown command '${target}'\n\n${overallHelp(commands)}`)
      return 2
    }
    name = target
    rest = ['--help']
  }
  if (name === undefined) {
    const help = rest.includes('--help') || rest.includes('-h')
    await writeOut(help ? stdout : stderr, overallHelp(commands))
    return help ? 0 : 2
  }
  const spec = commands[name]
  if (!spec) {
    await writeOut(
      stderr,
      `threadline: unknown command '${name}'\nCommands: ${Object.keys(commands).sort().join(', ')}\n`,
    )
    return 2
  }

  let store: Store | undefined
  let reader: StoreReader | undefined
  const owned = io.openStore === undefined
  try {
    let parsed: { values: OptionValues; positionals: string[] }
    try {
      parsed = parseArgs({
        args: rest,
        options: parseConfig({ ...(spec.options ?? {}), ...GLOBAL_OPTIONS }),
        allowPositionals: true,
        strict: true,
      }) as { values: OptionValues; positionals: string[] }
    } catch (err) {
      throw parseError(err)
    }
    const { values, positionals } = parsed
    if (values['help'] === true) {
      await writeOut(stdout, commandHelp(name, spec))
      return 0
    }
    const min = spec.minPositionals ?? 0
    const max = spec.maxPositionals ?? 0
    if (positionals.length > max) throw usageError(`unexpected argument '${positionals[max]}'`)
    if (positionals.length < min) throw usageError(`missing argument: ${spec.usage ?? ''}`.trim())

    const storeOptions = resolveStoreOptions(values, env)
    const open = io.openStore ?? defaultOpenStore
    let opening: Promise<Store> | undefined
    let openingReader: Promise<StoreReader> | undefined
    const context: CommandContext = {
      command: name,
      values,
      positionals,
      stdout,
      stderr,
      env,
      color: decideColor(values, io, stdout, env),
      json: values['json'] === true,
      now: io.now,
      storeOptions,
      openStore: () => {
        opening ??= open(storeOptions).then((s) => (store = s))
        return opening
      },
      openReader: () => {
        if (!io.openReader) return context.openStore()
        const openReader = io.openReader
        openingReader ??= openReader(storeOptions).then((r) => (reader = r))
        return openingReader
      },
    }
    return await spec.run(context)
  } catch (err) {
    return await report(err, name, stderr, env)
  } finally {
    if (store && owned) await store.close().catch(() => {})
    if (reader) await reader.close().catch(() => {})
  }
}

async function report(
  err: unknown,
  command: string,
  stderr: CliOutput,
  env: Record<string, string | undefined>,
): Promise<number> {
  // Messages may quote what was asked or answered (a flag value, a server's error): neutralised.
  if (isUsageError(err)) {
    await writeOut(
      stderr,
      `threadline ${command}: ${safe(err.message)}\nRun 'threadline ${command} --help' for usage.\n`,
    )
    return 2
  }
  if (isFieldError(err)) {
    const flag = flagForField(err.field)
    const reason = typeof err.reason === 'string' ? err.reason : err.message
    const text = flag ? `${flag}: ${reason}` : err.message
    await writeOut(stderr, `threadline ${command}: ${safe(text)}\n`)
    return 2
  }
  if (isConfigError(err)) {
    await writeOut(
      stderr,
      `threadline ${command}: ${safe(err.message.replace(/^threadline: /, ''))}\n`,
    )
    return 2
  }
  const message = err instanceof Error ? err.message : String(err)
  const debug =
    env['THREADLINE_DEBUG'] && err instanceof Error && err.stack
      ? `\n${err.stack.split('\n').map(safe).join('\n')}`
      : ''
  await writeOut(stderr, `threadline ${command}: ${safe(message)}${debug}\n`)
  return 1
}
