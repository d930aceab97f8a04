import type { Store, StoreOptions, StoreReader } from '../types.js'

/** Where the CLI writes: anything with a `write`, optionally a stream with backpressure. */
export interface CliOutput {
  write(chunk: string): boolean
  /** Present on real streams: used to wait for `'drain'` when `write` returns false. */
  once?(event: 'drain', listener: () => void): unknown
  isTTY?: boolean
}

/** What `runCli` talks to: injectable for tests and for embedding the CLI. */
export interface CliIo {
  /** @default process.stdout */
  stdout?: CliOutput
  /** @default process.stderr */
  stderr?: CliOutput
  /** @default process.env */
  env?: Record<string, string | undefined>
  /** Whether stdout is a terminal (colours by default). @default stdout.isTTY */
  isTTY?: boolean
  /** Force colours on or off (the `--color` / `--no-color` flags still win). */
  color?: boolean
  /** Reference time for relative `--since` / `--until` and retention. @default the store's clock */
  now?: Date
  /**
   * Opens the store. Stores from an injected `openStore` stay open after the command
   * (their owner closes them); the default one is closed by `runCli`.
   * @default createStore
   */
  openStore?: (options: StoreOptions) => Promise<Store>
  /**
   * Opens what the read commands (query, trace, errors, stats, export, info) read from, e.g.
   * a running server's query API. Closed after the command like a default store.
   * @default openStore
   */
  openReader?: (options: StoreOptions) => Promise<StoreReader>
}

/** One command-line option (a `node:util` `parseArgs` option plus help text). */
export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** One line of help. */
  description: string
  /** Placeholder in help, e.g. `<url>`. @default '<value>' */
  valueName?: string
}

/** Parsed option values, by option name. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** What a command's `run` receives. */
export interface CommandContext {
  /** The command's name as typed. */
  command: string
  values: OptionValues
  positionals: string[]
  stdout: CliOutput
  stderr: CliOutput
  env: Record<string, string | undefined>
  /** ANSI colours on. */
  color: boolean
  /** `--json`: machine output. */
  json: boolean
  now: Date | undefined
  /** Store options resolved from the global flags and the environment. */
  storeOptions: StoreOptions
  /** Opens the store once (later calls return the same one); `runCli` closes it when owned. */
  openStore(): Promise<Store>
  /** Opens the reader once: `openReader` when the CLI was given one, else the store. */
  openReader(): Promise<StoreReader>
}

/** A subcommand of the `threadline` binary. */
export interface CommandSpec {
  /** One line shown in the overall help. */
  summary: string
  /** Usage after `threadline <name> `, e.g. `<trace_id> [options]`. */
  usage?: string
  /** More help text, printed after the options. */
  description?: string
  /** The command's own options (the global ones are added). */
  options?: Record<string, OptionSpec>
  /** Positional arguments accepted, for usage checks. @default 0 */
  maxPositionals?: number
  minPositionals?: number
  /** Runs the command; resolves to the exit code. Throw `UsageError` for user mistakes. */
  run(context: CommandContext): Promise<number>
}

/** A user mistake (bad flag or value): printed without a stack trace, exit code 2. */
export interface UsageError extends Error {
  readonly name: 'UsageError'
  /** The flag at fault, e.g. `--status`. */
  readonly flag: string | undefined
}

/** Make a `UsageError` naming the flag at fault. */
export function usageError(message: string, flag?: string): UsageError {
  const err = new Error(message) as Error & { name: string; flag: string | undefined }
  err.name = 'UsageError'
  err.flag = flag
  return err as UsageError
}

/** Whether `err` is a `UsageError`. */
export function isUsageError(err: unknown): err is UsageError {
  return err instanceof Error && err.name === 'UsageError'
}
