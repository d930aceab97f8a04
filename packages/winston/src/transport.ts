import { format as utilFormat } from 'node:util'
import { getLogger } from '@threadline/core'
import type { EventInput, Level, Logger, ThreadlineContext } from '@threadline/core'
import TransportStream from 'winston-transport'
import { CONTEXT } from './context.js'
import { DEFAULT_LEVELS, mapLevel } from './levels.js'
import type { ThreadlineTransportOptions } from './types.js'

const LEVEL = Symbol.for('level')
const SPLAT = Symbol.for('splat')
const MESSAGE = Symbol.for('message')
const TOKENS = /%[scdjifoO%]/g
// keys that would change the log event's identity (`id` is the dedupe key): kept as attributes
const AS_ATTRIBUTES = new Set(['id', 'kind'])

type Info = Record<string | symbol, unknown>

/**
 * A winston transport that turns every `info` object into a Threadline log
 * event: level mapped, message interpolated, metadata as fields and attributes,
 * errors as `error`, in the trace context of the log call, through core's
 * redaction and pipeline. It never throws: failures are emitted as `warn`.
 */
export class ThreadlineTransport extends TransportStream {
  readonly #logger: Logger | undefined
  readonly #levels: Readonly<Record<string, Level>>
  readonly #splat: boolean

  constructor(options: ThreadlineTransportOptions = {}) {
    const { logger, levels = {}, splat = true, ...rest } = options
    super(rest)
    this.#logger = logger
    this.#levels = { ...DEFAULT_LEVELS, ...levels }
    this.#splat = splat
  }

  override log(info: unknown, callback: () => void): void {
    try {
      this.#write(info)
    } catch (err) {
      try {
        this.emit('warn', err)
      } catch {
        // a throwing 'warn' listener must not reach the log call
      }
    }
    setImmediate(() => {
      try {
        this.emit('logged', info)
      } catch {
        // same for 'logged' listeners
      }
    })
    // synchronously, so the next write reaches log() in its own call (and context)
    callback()
  }

  #write(info: unknown): void {
    if (info === null || typeof info !== 'object') return
    const o = info as Info
    const logger = this.#logger ?? getLogger()
    const level = mapLevel(read(o, LEVEL) ?? read(o, 'level'), this.#levels)
    if (!logger.isLevelEnabled(level)) return

    let message = read(o, 'message')
    let error: unknown
    const consumed = new Set(['level', 'message'])
    const input: EventInput = { message: '', level }
    const meta: Record<string, unknown> = {}
    const attributes: Record<string, unknown> = {}

    if (info instanceof Error) error = info
    else if (message instanceof Error) {
      error = message
      message = message.message
    }

    const rawSplat = read(o, SPLAT)
    const splat = Array.isArray(rawSplat) ? rawSplat : undefined
    if (this.#splat && splat?.length && typeof message === 'string') {
      // what format.splat() does, when the logger did not do it
      const tokens = message.match(TOKENS)
      const expected = tokens ? tokens.filter((t) => t !== '%%').length : 0
      if (expected > 0) {
        message = utilFormat(message, ...splat.slice(0, expected))
        for (const extra of splat.slice(expected))
          if (extra && typeof extra === 'object' && !(extra instanceof Error)) copy(extra, meta)
      }
    }

    const own = ownFields(o)
    const metaError = own['error'] ?? own['err']
    if (error === undefined && (metaError === undefined || metaError === null)) {
      error = splat?.find((a) => a instanceof Error)
      const stack = own['stack']
      if (error === undefined && typeof stack === 'string') {
        // format.errors({ stack: true }) flattened the Error: rebuild it
        const name = typeof own['name'] === 'string' ? own['name'] : stackType(stack)
        error = { name, message: typeof message === 'string' ? message : '', stack }
        consumed.add('name')
      }
    }
    if (error !== undefined) consumed.add('stack')
    for (const k in own) {
      if (consumed.has(k)) continue
      if (AS_ATTRIBUTES.has(k)) attributes[k] = own[k]
      else meta[k] = own[k]
    }
    if (typeof meta['durationMs'] === 'number' && meta['duration_ms'] === undefined) {
      meta['duration_ms'] = meta['durationMs']
      delete meta['durationMs']
    }

    input.message = messageText(message, o)
    Object.assign(input, meta)
    if (error !== undefined) input.error = error
    for (const _ in attributes) {
      const a = input.attributes as unknown
      input.attributes =
        a === undefined
          ? attributes
          : isPlainObject(a)
            ? { ...a, ...attributes }
            : { ...attributes, attributes: a }
      break
    }
    // the context captured by threadlineContext() at the log call (none, if it
    // was outside any) wins over the one current when winston delivers the line
    if (Object.hasOwn(o, CONTEXT)) {
      logger.emit(input, { context: (o[CONTEXT] as ThreadlineContext | undefined) ?? null })
    } else logger.emit(input)
  }
}

function read(o: Info, key: string | symbol): unknown {
  try {
    return o[key]
  } catch (err) {
    return `[Throws: ${err instanceof Error ? err.message : String(err)}]`
  }
}

/** Own enumerable string keys, read one by one so a throwing getter costs only its key. */
function ownFields(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  copy(o, out)
  return out
}

function copy(from: object, to: Record<string, unknown>): void {
  let keys: string[]
  try {
    keys = Object.keys(from)
  } catch {
    to['threadline.unreadable_fields'] = true
    return
  }
  for (const k of keys) {
    if (k === '__proto__') continue
    const v = read(from as Info, k)
    if (v !== undefined && !(Object.hasOwn(to, k) && to[k] !== undefined)) to[k] = v
  }
}

function messageText(m: unknown, o: Info): string {
  if (typeof m === 'string') return m
  if (m === undefined || m === null) {
    const formatted = read(o, MESSAGE)
    return typeof formatted === 'string' ? formatted : ''
  }
  if (typeof m === 'object') {
    try {
      return JSON.stringify(m) ?? String(m)
    } catch {
      return Object.prototype.toString.call(m)
    }
  }
  return String(m as string | number | boolean | bigint | symbol)
}

/** `TypeError` from `TypeError: boom\n    at ...` (and `Error` from `Error [ERR_X]: boom`). */
function stackType(stack: string): string {
  return /^([A-Za-z_$][\w$.]*)(?: \[[^\]]*\])?:/.exec(stack)?.[1] ?? 'Error'
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false
  const p = Object.getPrototypeOf(v) as unknown
  return p === Object.prototype || p === null
}
