/**
 * Internal diagnostics: problems inside Threadline itself (an exporter down, a
 * user hook that threw, a dropped event). Never thrown into the host; written to
 * stderr when `THREADLINE_DIAG` allows the level, rate-limited per message, and
 * always counted.
 *
 * THREADLINE_DIAG=off|error|warn|info|debug (default: warn)
 */

export type DiagLevel = 'error' | 'warn' | 'info' | 'debug'
export type DiagListener = (level: DiagLevel, message: string, detail?: unknown) => void

const ORDER: Record<DiagLevel | 'off', number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 }
const WINDOW_MS = 60_000
const PER_WINDOW = 5

interface DiagState {
  threshold: number
  listeners: Set<DiagListener>
  seen: Map<string, { windowStart: number; count: number; suppressed: number }>
  counts: Record<DiagLevel, number>
}

const KEY = Symbol.for('threadline.diag.v1')
const g = globalThis as unknown as Record<symbol, DiagState | undefined>

function readThreshold(): number {
  const raw =
    (typeof process !== 'undefined' ? process.env['THREADLINE_DIAG'] : undefined) ?? 'warn'
  return ORDER[raw.toLowerCase() as DiagLevel] ?? ORDER.warn
}

const state: DiagState = (g[KEY] ??= {
  threshold: readThreshold(),
  listeners: new Set(),
  seen: new Map(),
  counts: { error: 0, warn: 0, info: 0, debug: 0 },
})

function write(level: DiagLevel, message: string, detail?: unknown): void {
  state.counts[level]++
  for (const l of state.listeners) {
    try {
      l(level, message, detail)
    } catch {
      // a diagnostics listener must not break diagnostics
    }
  }
  if (ORDER[level] > state.threshold) return
  const now = Date.now()
  let s = state.seen.get(message)
  if (!s || now - s.windowStart >= WINDOW_MS) {
    const suppressed = s?.suppressed ?? 0
    if (state.seen.size > 1000) state.seen.clear()
    s = { windowStart: now, count: 0, suppressed: 0 }
    state.seen.set(message, s)
    if (suppressed > 0) emitLine('warn', `${suppressed} more "${message}" suppressed`)
  }
  if (++s.count > PER_WINDOW) {
    s.suppressed++
    return
  }
  emitLine(level, message, detail)
}

function emitLine(level: DiagLevel, message: string, detail?: unknown): void {
  try {
    let d = ''
    if (detail instanceof Error) d = `: ${detail.name}: ${detail.message}`
    else if (detail !== undefined) {
      try {
        d = `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`
      } catch {
        d = ': [unserializable]'
      }
    }
    process.stderr.write(`[threadline ${level}] ${message}${d.replace(/[\r\n]+/g, ' ')}\n`)
  } catch {
    // stderr closed: nothing left to tell
  }
}

export const diag = {
  error: (message: string, detail?: unknown): void => write('error', message, detail),
  warn: (message: string, detail?: unknown): void => write('warn', message, detail),
  info: (message: string, detail?: unknown): void => write('info', message, detail),
  debug: (message: string, detail?: unknown): void => write('debug', message, detail),
  /** Listen to every diagnostic, whatever the threshold. Returns an unsubscribe function. */
  subscribe(listener: DiagListener): () => void {
    state.listeners.add(listener)
    return () => state.listeners.delete(listener)
  },
  /** Override THREADLINE_DIAG at run time. */
  setLevel(level: DiagLevel | 'off'): void {
    state.threshold = ORDER[level]
  },
  counts(): Readonly<Record<DiagLevel, number>> {
    return { ...state.counts }
  },
}

/** Run a user callback; report and swallow what it throws. */
export function safeCall<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn()
  } catch (err) {
    diag.warn(`${what} threw`, err)
    return undefined
  }
}
