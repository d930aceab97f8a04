import { toLevel } from '@threadline/core'
import type { Level } from '@threadline/core'

/** npm, syslog and cli level names -> Threadline levels. */
export const DEFAULT_LEVELS: Readonly<Record<string, Level>> = {
  // npm
  error: 'error',
  warn: 'warn',
  info: 'info',
  http: 'debug',
  verbose: 'debug',
  debug: 'debug',
  silly: 'trace',
  // syslog
  emerg: 'fatal',
  alert: 'fatal',
  crit: 'fatal',
  warning: 'warn',
  notice: 'info',
  // cli
  help: 'info',
  data: 'info',
  prompt: 'debug',
  input: 'debug',
}

const ANSI = /\u001b\[[0-9;]*m/g

/** Threadline level of a winston level name (`info[Symbol.for('level')]`, or a colorized `info.level`). */
export function mapLevel(name: unknown, levels: Readonly<Record<string, Level>>): Level {
  if (typeof name !== 'string') return 'info'
  const plain = name.includes('\u001b') ? name.replace(ANSI, '') : name
  return (Object.hasOwn(levels, plain) ? levels[plain] : undefined) ?? toLevel(plain) ?? 'info'
}
