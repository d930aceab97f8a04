import { writeSync } from 'node:fs'
import { diag } from '../diag.js'
import type { Exporter, ExportRecord, Level, ThreadlineEvent } from '../types.js'

export interface ConsoleExporterOptions {
  /**
   * `pretty`: one colored, human line per event. `json`: the event's JSON line.
   * @default 'pretty' when the stream is a TTY and NODE_ENV is not 'production', else 'json'
   */
  format?: 'pretty' | 'json'
  /** Where lines go. @default process.stdout */
  stream?: NodeJS.WritableStream & { fd?: number; isTTY?: boolean }
  /** ANSI colors in pretty mode. @default stream.isTTY && !NO_COLOR */
  colors?: boolean
  /** Attributes shown inline in pretty mode (longer values are cut). @default 12 */
  maxInlineFields?: number
}

const COLORS: Record<Level, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35;1m',
}
const RESET = '\x1b[0m'
const DIM = '\x1b[2m'
const BOLD = '\x1b[1m'

// C0 controls (incl. CR, LF, ESC), DEL, C1 controls, U+2028/2029
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g
const UNSAFE_TEST = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/**
 * Make any text safe for one terminal line: control characters, ANSI escapes and
 * line separators become visible escapes, so an event can neither span lines,
 * forge another event, nor rewrite the terminal.
 */
export function escapeForTerminal(s: string): string {
  if (!UNSAFE_TEST.test(s)) return s
  return s.replace(UNSAFE, (c) => {
    switch (c) {
      case '\n':
        return '\\n'
      case '\r':
        return '\\r'
      case '\t':
        return '\\t'
      default:
        return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')
    }
  })
}

function short(v: unknown, max = 80): string {
  let s: string
  if (typeof v === 'string') s = /[\s="]/.test(v) ? JSON.stringify(v) : v
  else {
    try {
      s = JSON.stringify(v) ?? String(v)
    } catch {
      s = String(v)
    }
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s
}

/** One human line for an event (no trailing newline); every part escaped. */
export function formatPretty(e: ThreadlineEvent, colors: boolean, maxFields = 12): string {
  const c = (code: string, s: string): string => (colors ? code + s + RESET : s)
  const time = e.timestamp.length >= 23 ? e.timestamp.slice(11, 23) : e.timestamp
  const lvl = e.level.toUpperCase().padEnd(5)
  const x = escapeForTerminal
  const parts: string[] = [c(DIM, x(time)), c(COLORS[e.level] ?? '', lvl), c(DIM, x(e.service))]
  if (e.trace_id)
    parts.push(c(DIM, `[${e.trace_id.slice(0, 8)}${e.span_id ? '/' + e.span_id.slice(0, 6) : ''}]`))
  if (e.category || e.event)
    parts.push(c(BOLD, x(`${e.category ?? ''}${e.event ? '.' + e.event : ''}`)))
  if (e.kind === 'span') {
    parts.push(x(`${e.span_kind ?? 'span'} ${e.name ?? e.message}`))
    parts.push(
      c(
        e.status === 'error' ? COLORS.error : DIM,
        `${(e.duration_ms ?? 0).toFixed(1)}ms ${e.status ?? ''}`,
      ),
    )
  } else if (e.message !== `${e.category}.${e.event}`) parts.push(x(e.message))
  const kv: string[] = []
  if (e.http) {
    const h = e.http
    if (h.method || h.route) kv.push(`${h.method ?? ''} ${h.route ?? h.path ?? ''}`.trim())
    if (h.status_code !== undefined) kv.push(`status=${h.status_code}`)
    if (h.outcome && h.outcome !== 'completed') kv.push(`outcome=${h.outcome}`)
  }
  if (e.llm) {
    const l = e.llm
    if (l.model) kv.push(`model=${l.model}`)
    if (l.input_tokens !== undefined || l.output_tokens !== undefined)
      kv.push(`tokens=${l.input_tokens ?? '?'}/${l.output_tokens ?? '?'}`)
    if (l.ttft_ms !== undefined) kv.push(`ttft=${l.ttft_ms.toFixed(0)}ms`)
  }
  if (e.cost_usd !== undefined) kv.push(`cost=$${e.cost_usd.toFixed(6)}`)
  for (const k of ['user_id', 'org_id', 'session_id', 'request_id'] as const)
    if (e[k]) kv.push(`${k}=${short(e[k])}`)
  if (e.attributes) {
    let n = 0
    for (const [k, v] of Object.entries(e.attributes)) {
      if (n++ >= maxFields) {
        kv.push('…')
        break
      }
      kv.push(`${k}=${short(v)}`)
    }
  }
  if (e.tags?.length) kv.push(`tags=${e.tags.join(',')}`)
  if (kv.length) parts.push(c(DIM, x(kv.join(' '))))
  if (e.error) {
    parts.push(c(COLORS.error, x(`${e.error.type}: ${e.error.message}`)))
    const frame = e.error.stack?.split('\n').find((l) => l.trimStart().startsWith('at '))
    if (frame) parts.push(c(DIM, x(frame.trim())))
  }
  return parts.join(' ')
}

/** Pretty lines for humans on a TTY, JSON lines for machines. */
export function consoleExporter(options: ConsoleExporterOptions = {}): Exporter {
  const { stream = process.stdout, maxInlineFields = 12 } = options
  const tty = Boolean(stream.isTTY)
  const { format = tty && process.env['NODE_ENV'] !== 'production' ? 'pretty' : 'json' } = options
  const { colors = tty && !process.env['NO_COLOR'] } = options
  const render = (batch: readonly ExportRecord[]): string => {
    let out = ''
    for (const r of batch)
      out += (format === 'json' ? r.json : formatPretty(r.event, colors, maxInlineFields)) + '\n'
    return out
  }
  return {
    name: 'console',
    batching: { flushIntervalMs: 50 },
    export(batch) {
      const text = render(batch)
      return new Promise((resolve) => {
        try {
          stream.write(text, (err?: Error | null) =>
            resolve(err ? { ok: false, error: err } : { ok: true }),
          )
        } catch (err) {
          resolve({ ok: false, error: err })
        }
      })
    },
    exportSync(batch) {
      const text = render(batch)
      if (typeof stream.fd === 'number') writeSync(stream.fd, text)
      else stream.write(text)
    },
    async forceFlush() {
      // stream.write callbacks already waited for; nothing buffered here
    },
    async shutdown() {
      diag.debug('console exporter shut down')
    },
  }
}
