import type { HttpOutcome, Level } from './types.js'

export const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']

/** Sortable numbers (pino's scale). */
export const LEVEL_VALUES: Readonly<Record<Level, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
}

const ALIASES: Record<string, Level> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
}

/** Map any level name (case-insensitive; `critical` -> `fatal`) or pino number to a level. */
export function toLevel(input: unknown): Level | undefined {
  if (typeof input === 'string') {
    return ALIASES[input] ?? ALIASES[input.toLowerCase()]
  }
  if (typeof input === 'number' && Number.isFinite(input)) {
    if (input >= 60) return 'fatal'
    if (input >= 50) return 'error'
    if (input >= 40) return 'warn'
    if (input >= 30) return 'info'
    if (input >= 20) return 'debug'
    return 'trace'
  }
  return undefined
}

/** Level of an HTTP request event: 5xx error, 4xx and aborted warn, else info. */
export function httpLevel(status: number | undefined, outcome?: HttpOutcome): Level {
  if (status !== undefined && status >= 500) return 'error'
  if (outcome === 'errored' && status === undefined) return 'error'
  if (outcome === 'aborted' || (status !== undefined && status >= 400)) return 'warn'
  return 'info'
}
