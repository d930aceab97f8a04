import { escapeForTerminal, toLevel } from '@threadline/core'
import type { Level } from '@threadline/core'

/** ANSI styles used by the CLI. */
export const STYLE = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
  gray: '\x1b[90m',
} as const

export type StyleName = keyof typeof STYLE

/** Paints text with ANSI styles, or returns it unchanged when colours are off. */
export type Paint = (style: StyleName | StyleName[], text: string) => string

/** A painter: `paint('red', 'x')` is red only when `color` is true. */
export function painter(color: boolean): Paint {
  return (style, text) => {
    if (!color || text === '') return text
    const codes = (Array.isArray(style) ? style : [style]).map((s) => STYLE[s]).join('')
    return codes + text + STYLE.reset
  }
}

const LEVEL_STYLE: Record<Level, StyleName[]> = {
  trace: ['gray'],
  debug: ['cyan'],
  info: ['green'],
  warn: ['yellow'],
  error: ['red'],
  fatal: ['magenta', 'bold'],
}

/** The style of a level (any value: rows written before the schema was enforced vary). */
export function levelStyle(level: unknown): StyleName[] {
  const l = toLevel(level)
  return l ? LEVEL_STYLE[l] : ['gray']
}

/** A level for display, upper case: a known level by its name, anything else made safe. */
export function levelLabel(level: unknown): string {
  return (toLevel(level) ?? safe(level)).toUpperCase()
}

const ANSI = /\x1b\[[0-9;]*m/g

/** Text without ANSI styles. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

/** Width in terminal columns (ANSI styles excluded; one column per code point). */
export function visibleWidth(text: string): number {
  let n = 0
  for (const _ of stripAnsi(text)) n++
  return n
}

/** Pad to `width` columns on the right (or the left with `align: 'right'`). */
export function pad(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  const gap = Math.max(0, width - visibleWidth(text))
  return align === 'right' ? ' '.repeat(gap) + text : text + ' '.repeat(gap)
}

/** Cut to at most `max` columns, ending with `…` when cut. Plain text only. */
export function truncate(text: unknown, max: number): string {
  const chars = [...asText(text)]
  if (chars.length <= max) return chars.join('')
  return max <= 1 ? chars.slice(0, max).join('') : chars.slice(0, max - 1).join('') + '…'
}

/**
 * Any value as text: a string as it is, `null`/`undefined` as nothing, objects as JSON. The
 * CLI reads whatever the store (or a server) holds and must never throw on its shape.
 */
export function asText(v: unknown): string {
  if (typeof v === 'string') return v
  if (v === null || v === undefined) return ''
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v) ?? ''
    } catch {
      return '[unprintable]'
    }
  }
  return String(v)
}

/**
 * Event text made safe for one terminal line: C0 and C1 controls (ESC, BEL, CR, LF, ...),
 * DEL and U+2028/U+2029 become visible escapes, so one event stays one line and cannot move
 * the cursor, set the title or colour the screen.
 */
export function safe(text: unknown): string {
  return escapeForTerminal(asText(text))
}

/** A finite number, or undefined (for numbers read from stored events). */
export const finite = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) ? v : undefined

export interface TableColumn {
  header: string
  /** @default 'left' */
  align?: 'left' | 'right'
}

/**
 * A plain-text table: a header row, then rows, columns separated by two spaces.
 * Cells may carry ANSI styles; widths ignore them.
 */
export function renderTable(columns: TableColumn[], rows: string[][], paint: Paint): string {
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  )
  const line = (cells: string[]): string =>
    columns
      .map((c, i) => pad(cells[i] ?? '', widths[i] ?? 0, c.align ?? 'left'))
      .join('  ')
      .trimEnd()
  const head = paint('bold', line(columns.map((c) => c.header)))
  return [head, ...rows.map(line)].join('\n') + '\n'
}

export interface BarOptions {
  /** Offset of the bar's start from the trace start, in ms. */
  offsetMs: number
  durationMs: number
  /** Total span of the timeline, in ms. */
  totalMs: number
  /** Columns of the whole timeline. */
  width: number
}

/**
 * Position of a bar on a fixed-width timeline: `start` column and `length` in columns.
 * A span with a non-zero duration gets at least one column; the bar never overflows.
 */
export function barGeometry({ offsetMs, durationMs, totalMs, width }: BarOptions): {
  start: number
  length: number
} {
  if (!(totalMs > 0)) return { start: 0, length: durationMs > 0 ? width : 0 }
  let start = Math.floor((Math.max(0, offsetMs) / totalMs) * width)
  let length = Math.round((Math.max(0, durationMs) / totalMs) * width)
  if (durationMs > 0) length = Math.max(1, length)
  length = Math.min(width, length)
  start = Math.min(start, width - Math.max(length, 1))
  return { start: Math.max(0, start), length }
}

/** A timeline bar: `█` over the span, spaces elsewhere, `·` for a zero-length span. */
export function renderBar(options: BarOptions): string {
  const { start, length } = barGeometry(options)
  const body = length > 0 ? '█'.repeat(length) : '·'
  const used = start + (length > 0 ? length : 1)
  return ' '.repeat(start) + body + ' '.repeat(Math.max(0, options.width - used))
}

/** Milliseconds for humans: `0.42ms`, `12.3ms`, `1234ms`, `12.5s`. */
export function formatMs(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-'
  if (ms === 0) return '0ms'
  if (ms < 1) return `${ms.toFixed(2)}ms`
  if (ms < 100) return `${ms.toFixed(1)}ms`
  if (ms < 10_000) return `${Math.round(ms)}ms`
  return `${(ms / 1000).toFixed(1)}s`
}

/** Dollars: `$0.000123` under a cent, `$0.1234` under a dollar, `$12.34` above. */
export function formatCost(usd: unknown): string {
  if (typeof usd !== 'number' || !Number.isFinite(usd)) return '-'
  if (usd === 0) return '$0'
  if (Math.abs(usd) < 0.01) return `$${usd.toFixed(6)}`
  if (Math.abs(usd) < 1) return `$${usd.toFixed(4)}`
  return `$${usd.toFixed(2)}`
}

/** An integer with thousands separators (`12,345`). */
export function formatInt(n: unknown): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '-'
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** A percentage with one decimal from a 0..1 rate (`12.5%`). */
export function formatPercent(rate: unknown): string {
  if (typeof rate !== 'number' || !Number.isFinite(rate)) return '-'
  return `${(rate * 100).toFixed(1)}%`
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM:SS.mmm` (UTC); other text is returned as is. */
export function formatTime(iso: unknown): string {
  if (!iso || (typeof iso !== 'string' && typeof iso !== 'number')) return iso ? safe(iso) : '-'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return safe(iso)
  return d.toISOString().replace('T', ' ').replace('Z', '')
}
