import { createHash } from 'node:crypto'
import type { ErrorInfo } from './types.js'

/** Thrown only at setup, for options that cannot work. */
export class ThreadlineConfigError extends TypeError {
  override readonly name = 'ThreadlineConfigError'
  constructor(
    message: string,
    readonly option?: string,
  ) {
    super(`threadline: ${message}`)
  }
}

const MESSAGE_NOISE: [RegExp, string][] = [
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[0-9a-f]{16,}\b/gi, '<hex>'],
  [/\b\d{4}-\d{2}-\d{2}[T ][\d:.]+Z?\b/g, '<time>'],
  [/\b[\w.+-]+@[\w-]+\.[\w.-]+\b/g, '<email>'],
  [/(["'`]).*?\1/g, '<str>'],
  [/\b\d+(\.\d+)?\b/g, '<n>'],
]

/** Message with ids, numbers, quoted values and timestamps replaced, so one bug is one group. */
export function normalizeErrorMessage(message: string): string {
  let m = message.slice(0, 500)
  for (const [re, rep] of MESSAGE_NOISE) m = m.replace(re, rep)
  return m
}

const FRAME = /^\s*at (?:(.+?) \()?(.+?):\d+:\d+\)?\s*$/

/** Top stack frames as `function@file`, without line numbers or absolute directories. */
export function stackFrames(stack: string | undefined, count = 3): string[] {
  if (!stack) return []
  const frames: string[] = []
  for (const line of stack.split('\n')) {
    const m = FRAME.exec(line)
    if (!m) continue
    const file = m[2]!
    if (file.startsWith('node:') || file.includes('/node_modules/')) continue
    const short = file
      .replace(/^file:\/\//, '')
      .split(/[\\/]/)
      .slice(-2)
      .join('/')
    frames.push(`${(m[1] ?? '<anonymous>').replace(/^async /, '')}@${short}`)
    if (frames.length >= count) break
  }
  return frames
}

/** A stable 16-hex hash of type, normalized message and top frames. */
export function errorFingerprint(type: string, message: string, stack?: string): string {
  const basis = [type, normalizeErrorMessage(message), ...stackFrames(stack)].join('\n')
  return createHash('sha1').update(basis).digest('hex').slice(0, 16)
}

/** Turn anything thrown (Error, string, object, null) into the wire `error` object. */
export function toErrorInfo(
  err: unknown,
  clean: (s: string, max?: number) => string = (s) => s,
  maxStack = 8192,
): ErrorInfo {
  let type = 'Error'
  let message = ''
  let stack: string | undefined
  try {
    if (err instanceof Error) {
      type = err.name || err.constructor?.name || 'Error'
      message = String(err.message ?? '')
      stack = typeof err.stack === 'string' ? err.stack : undefined
      let cause = (err as { cause?: unknown }).cause
      for (let i = 0; i < 3 && cause !== undefined && stack !== undefined; i++) {
        stack += `\ncaused by: ${cause instanceof Error ? (cause.stack ?? `${cause.name}: ${cause.message}`) : String(cause)}`
        cause = cause instanceof Error ? (cause as { cause?: unknown }).cause : undefined
      }
    } else if (err !== null && typeof err === 'object') {
      const o = err as Record<string, unknown>
      if (typeof o['type'] === 'string') type = o['type']
      else if (typeof o['name'] === 'string') type = o['name']
      message = typeof o['message'] === 'string' ? o['message'] : safeJson(o)
      if (typeof o['stack'] === 'string') stack = o['stack']
      if (typeof o['fingerprint'] === 'string' && /^[\w:.-]{1,128}$/.test(o['fingerprint'])) {
        const info: ErrorInfo = {
          type: clean(type, 200),
          message: clean(message),
          fingerprint: o['fingerprint'],
        }
        if (stack) info.stack = clean(stack, maxStack)
        return info
      }
    } else {
      type = typeof err === 'string' ? 'Error' : `Thrown(${err === null ? 'null' : typeof err})`
      message = String(err)
    }
  } catch {
    message = message || '[unreadable error]'
  }
  const info: ErrorInfo = {
    type: clean(type, 200),
    message: clean(message),
    fingerprint: errorFingerprint(type, message, stack),
  }
  if (stack) info.stack = clean(stack, maxStack)
  return info
}

function safeJson(o: unknown): string {
  try {
    return JSON.stringify(o) ?? String(o)
  } catch {
    return Object.prototype.toString.call(o)
  }
}
