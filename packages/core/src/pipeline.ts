import { diag } from './diag.js'
import { ThreadlineConfigError } from './errors.js'
import { safeJson } from './sanitize.js'
import type {
  BatchOptions,
  DropReason,
  Exporter,
  ExporterStats,
  ExportRecord,
  ExportResult,
  PipelineStats,
  ThreadlineEvent,
} from './types.js'

export interface PipelineOptions {
  /** Where batches go. Each exporter gets its own bounded queue and one export at a time. */
  exporters: readonly Exporter[]
  /** Batching for every exporter (each exporter's own `batching` hints fill the gaps). @default DEFAULT_BATCH */
  batch?: Partial<BatchOptions>
  /** Largest serialized event kept, in bytes; see `shrink`. @default 262144 */
  maxEventBytes?: number
  /**
   * Drain on SIGTERM, SIGINT and `beforeExit`, and write what is left
   * synchronously on `exit` (exporters with `exportSync`). A signal is re-raised
   * after draining when no other listener handles it.
   * @default true
   */
  hookProcess?: boolean
  /** Deadline of the drain run by the process hooks, in ms. @default 5000 */
  shutdownTimeoutMs?: number
}

export const DEFAULT_BATCH: Readonly<BatchOptions> = {
  maxQueueSize: 20_000,
  maxQueueBytes: 32 * 1024 * 1024,
  maxBatchSize: 512,
  flushIntervalMs: 1000,
  exportTimeoutMs: 30_000,
}

export interface Pipeline {
  /** Serialize and queue one event (already normalized and redacted). Never throws, never blocks. */
  emit(event: ThreadlineEvent): void
  /**
   * @internal Queue one event given as its JSON line (what `serializeEvent`
   * would give for it). Exporters that read `record.event` get it parsed from
   * the line, on first access.
   */
  emitLine?(json: string): void
  /** Export everything queued. Resolves false if the deadline passed first. */
  flush(timeoutMs?: number): Promise<boolean>
  /** Flush, then shut every exporter down; later events are dropped (`shutdown`). */
  shutdown(timeoutMs?: number): Promise<boolean>
  stats(): PipelineStats
  readonly closed: boolean
}

/** One JSON line for an event: valid JSON, no raw line separators or control characters. */
export function serializeEvent(event: ThreadlineEvent): string {
  return safeJson(JSON.stringify(event))
}

/**
 * A record queued as its line only: the line is the snapshot of the event, and
 * the object form is parsed from it for exporters that ask (most never do), so
 * a queued event costs one string until its batch is written.
 */
class LineRecord implements ExportRecord {
  private parsed: ThreadlineEvent | undefined
  constructor(readonly json: string) {}
  get event(): ThreadlineEvent {
    return (this.parsed ??= JSON.parse(this.json) as ThreadlineEvent)
  }
}

/** Flattens a concatenated string in place (V8 does so on the first indexed read). */
function flatten(s: string): void {
  if (s.length > 0) void s.charCodeAt(0)
}

function byteLength(s: string): number {
  // exact only when needed: ASCII-heavy lines are far under the cap
  return s.length * 3 <= 65_536 ? s.length : Buffer.byteLength(s)
}

/**
 * Shrink an oversized event: drop attributes, cap message and stack. The event
 * says what happened in `attributes["threadline.truncated"]`.
 */
function shrink(event: ThreadlineEvent, maxBytes: number, size: number): ThreadlineEvent {
  const out: ThreadlineEvent = { ...event }
  const note = `event of ${size} bytes exceeded ${maxBytes}: attributes dropped, message and stack capped`
  out.attributes = { 'threadline.truncated': note }
  const cap = Math.max(256, Math.floor(maxBytes / 8))
  if (out.message.length > cap)
    out.message = out.message.slice(0, cap) + `…[truncated ${out.message.length - cap} chars]`
  if (out.error) {
    out.error = { ...out.error }
    if (out.error.message.length > cap)
      out.error.message = out.error.message.slice(0, cap) + '…[truncated]'
    if (out.error.stack && out.error.stack.length > cap)
      out.error.stack = out.error.stack.slice(0, cap) + '…[truncated]'
  }
  if (out.tags && out.tags.length > 16) out.tags = out.tags.slice(0, 16)
  return out
}

/** An exporter's partial count, as a whole number within 0..max (anything else counts as 0). */
function countIn(n: unknown, max: number): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), max) : 0
}

class Processor {
  private queue: ExportRecord[] = []
  private head = 0
  private bytes = 0
  private inFlight = 0
  private inFlightBytes = 0
  private exporting = false
  private timer: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined
  private waiters: (() => void)[] = []
  delivered = 0
  readonly dropped: Record<string, number> = {}

  constructor(
    readonly exporter: Exporter,
    private readonly opts: BatchOptions,
  ) {}

  get queued(): number {
    return this.queue.length - this.head + this.inFlight
  }

  stats(): ExporterStats {
    return {
      name: this.exporter.name,
      delivered: this.delivered,
      dropped: { ...this.dropped },
      queued: this.queued,
      queuedBytes: this.bytes + this.inFlightBytes,
    }
  }

  drop(reason: DropReason, n: number): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n
  }

  push(rec: ExportRecord, size: number): void {
    const waiting = this.queue.length - this.head
    if (waiting >= this.opts.maxQueueSize || this.bytes + size > this.opts.maxQueueBytes) {
      this.drop('queue_full', 1)
      diag.warn(`exporter "${this.exporter.name}": queue full, dropping events`)
      return
    }
    this.queue.push(rec)
    this.bytes += size
    if (waiting + 1 >= this.opts.maxBatchSize) this.kick()
    else if (!this.timer && !this.exporting) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.drain()
      }, this.opts.flushIntervalMs)
      this.timer.unref()
    }
  }

  private kick(): void {
    if (this.immediate || this.exporting) return
    this.immediate = setImmediate(() => {
      this.immediate = undefined
      this.drain()
    })
  }

  private take(): ExportRecord[] {
    const end = Math.min(this.queue.length, this.head + this.opts.maxBatchSize)
    const batch = this.queue.slice(this.head, end)
    this.head = end
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
    let b = 0
    for (const r of batch) b += r.json.length
    this.bytes = Math.max(0, this.bytes - b)
    this.inFlight = batch.length
    this.inFlightBytes = b
    return batch
  }

  /** Start the next export if none is running. */
  drain(): void {
    if (this.exporting) return
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.queue.length - this.head === 0) {
      this.wake()
      return
    }
    this.exporting = true
    const batch = this.take()
    let settled = false
    let deadline: NodeJS.Timeout | undefined
    const done = (result: ExportResult | undefined, timedOut = false): void => {
      if (settled) return
      settled = true
      if (deadline) clearTimeout(deadline)
      if (timedOut) {
        this.drop('export_timeout', batch.length)
        diag.error(
          `exporter "${this.exporter.name}": export timed out after ${this.opts.exportTimeoutMs} ms`,
        )
      } else if (result && result.ok) {
        const rejected = countIn(result.rejected, batch.length)
        this.delivered += batch.length - rejected
        if (rejected > 0) this.drop('rejected', rejected)
      } else {
        const delivered = result ? countIn(result.delivered, batch.length) : 0
        const rejected = result ? countIn(result.rejected, delivered) : 0
        this.delivered += delivered - rejected
        if (rejected > 0) this.drop('rejected', rejected)
        if (batch.length > delivered)
          this.drop(
            result && typeof result.reason === 'string' ? result.reason : 'exporter_error',
            batch.length - delivered,
          )
        diag.error(
          `exporter "${this.exporter.name}": export failed`,
          result && !result.ok ? result.error : undefined,
        )
      }
      this.inFlight = 0
      this.inFlightBytes = 0
      this.exporting = false
      const waiting = this.queue.length - this.head
      if (waiting >= this.opts.maxBatchSize || (waiting > 0 && this.waiters.length > 0)) this.kick()
      else if (waiting > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined
          this.drain()
        }, this.opts.flushIntervalMs)
        this.timer.unref()
      } else this.wake()
    }
    let r: Promise<ExportResult> | ExportResult
    try {
      r = this.exporter.export(batch)
    } catch (err) {
      done({ ok: false, error: err })
      return
    }
    if (r && typeof (r as Promise<ExportResult>).then === 'function') {
      deadline = setTimeout(() => done(undefined, true), this.opts.exportTimeoutMs)
      deadline.unref()
      ;(r as Promise<ExportResult>).then(
        (res) => done(res ?? { ok: true }),
        (err: unknown) => done({ ok: false, error: err }),
      )
    } else done(r as ExportResult)
  }

  private wake(): void {
    if (this.queued > 0) return
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (this.queued === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiters.push(resolve)
      this.drain()
    })
  }

  /** Synchronous last-chance write, for `process.on('exit')`. */
  drainSync(): void {
    const rest = this.queue.slice(this.head)
    if (rest.length === 0) return
    this.queue = []
    this.head = 0
    this.bytes = 0
    if (!this.exporter.exportSync) {
      this.drop('shutdown', rest.length)
      return
    }
    try {
      this.exporter.exportSync(rest)
      this.delivered += rest.length
    } catch (err) {
      this.drop('exporter_error', rest.length)
      diag.error(`exporter "${this.exporter.name}": exportSync failed`, err)
    }
  }

  discardQueued(reason: DropReason): void {
    const n = this.queue.length - this.head
    if (n > 0) this.drop(reason, n)
    this.queue = []
    this.head = 0
    this.bytes = 0
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}

function validateBatch(b: BatchOptions): void {
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1) {
      throw new ThreadlineConfigError(
        `batch.${k} must be a positive number, got ${String(v)}`,
        `batch.${k}`,
      )
    }
  }
}

export function createPipeline(options: PipelineOptions): Pipeline {
  const {
    exporters,
    batch = {},
    maxEventBytes = 262_144,
    hookProcess = true,
    shutdownTimeoutMs = 5000,
  } = options
  if (!Array.isArray(exporters))
    throw new ThreadlineConfigError('exporters must be an array', 'exporters')
  for (const e of exporters) {
    if (!e || typeof e.export !== 'function' || typeof e.name !== 'string') {
      throw new ThreadlineConfigError(
        'every exporter needs a name and an export(batch) function',
        'exporters',
      )
    }
  }
  validateBatch({ ...DEFAULT_BATCH, ...batch })
  const processors = exporters.map((e) => {
    const opts: BatchOptions = { ...DEFAULT_BATCH, ...e.batching, ...batch }
    validateBatch(opts)
    return new Processor(e, opts)
  })
  let emitted = 0
  const dropped: Record<string, number> = {}
  let closed = false
  const drop = (reason: DropReason): void => {
    dropped[reason] = (dropped[reason] ?? 0) + 1
  }

  const pipeline: Pipeline = {
    get closed() {
      return closed
    },
    emitLine(json) {
      emitted++
      if (closed) {
        drop('shutdown')
        return
      }
      try {
        const size = byteLength(json)
        if (size > maxEventBytes) {
          // rare: shrink the object form, exactly as `emit` would have
          emitted--
          pipeline.emit(JSON.parse(json) as ThreadlineEvent)
          return
        }
        // A line built by concatenation is a tree of string pieces; make it one
        // flat string now, while the pieces are young, rather than keep the tree
        // alive in the queue (each scavenge copies it) until its batch is written.
        flatten(json)
        const rec = new LineRecord(json)
        for (const p of processors) p.push(rec, size)
      } catch (err) {
        drop('invalid')
        diag.error('event could not be queued: dropped', err)
      }
    },
    emit(event) {
      emitted++
      if (closed) {
        drop('shutdown')
        return
      }
      let json: string
      try {
        json = serializeEvent(event)
        let size = byteLength(json)
        if (size > maxEventBytes) {
          event = shrink(event, maxEventBytes, size)
          json = serializeEvent(event)
          size = byteLength(json)
          if (size > maxEventBytes) {
            drop('too_large')
            diag.warn('event too large even after truncation: dropped', {
              bytes: size,
              max: maxEventBytes,
            })
            return
          }
        }
        const rec: ExportRecord = { event, json }
        for (const p of processors) p.push(rec, size)
      } catch (err) {
        drop('invalid')
        diag.error('event could not be serialized: dropped', err)
      }
    },
    async flush(timeoutMs = 10_000) {
      const all = Promise.all(
        processors.map(async (p) => {
          await p.idle()
          await p.exporter.forceFlush?.()
        }),
      ).then(
        () => true,
        (err: unknown) => {
          diag.error('flush failed', err)
          return false
        },
      )
      return withDeadline(all, timeoutMs)
    },
    async shutdown(timeoutMs = 10_000) {
      if (closed) return true
      const ok = await pipeline.flush(timeoutMs)
      closed = true
      unregister(pipeline)
      for (const p of processors) p.discardQueued('shutdown')
      await Promise.all(
        processors.map(async (p) => {
          try {
            await withDeadline(
              Promise.resolve(p.exporter.shutdown?.()).then(() => true),
              timeoutMs,
            )
          } catch (err) {
            diag.error(`exporter "${p.exporter.name}": shutdown failed`, err)
          }
        }),
      )
      return ok
    },
    stats() {
      return {
        emitted,
        dropped: { ...dropped },
        exporters: processors.map((p) => {
          const s = p.stats()
          for (const [k, v] of Object.entries(dropped)) s.dropped[k] = (s.dropped[k] ?? 0) + v
          return s
        }),
      }
    },
  }
  if (hookProcess) register(pipeline, processors, shutdownTimeoutMs)
  return pipeline
}

function withDeadline(p: Promise<boolean>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    t = setTimeout(() => resolve(false), ms)
    t.unref()
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(t))
}

// ---- process hooks: one set of listeners per process, shared by every pipeline ----

interface Hooks {
  entries: Map<Pipeline, { processors: Processor[]; timeoutMs: number }>
  installed: boolean
  draining: boolean
}
const HOOKS_KEY = Symbol.for('threadline.pipeline.hooks.v1')
const gh = globalThis as unknown as Record<symbol, Hooks | undefined>
const hooks: Hooks = (gh[HOOKS_KEY] ??= { entries: new Map(), installed: false, draining: false })

function register(p: Pipeline, processors: Processor[], timeoutMs: number): void {
  hooks.entries.set(p, { processors, timeoutMs })
  if (hooks.installed || typeof process === 'undefined' || typeof process.on !== 'function') return
  hooks.installed = true
  const onSignal = (signal: NodeJS.Signals): void => {
    if (hooks.draining) return
    hooks.draining = true
    const deadline = Math.max(0, ...[...hooks.entries.values()].map((e) => e.timeoutMs))
    void Promise.all([...hooks.entries.keys()].map((pl) => pl.shutdown(deadline))).finally(() => {
      hooks.draining = false
      // we replaced the default action; restore it when nobody else handles the signal
      if (process.listenerCount(signal) <= 1) {
        process.removeListener(signal, onSignal)
        process.kill(process.pid, signal)
      }
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  process.on('beforeExit', () => {
    const busy = [...hooks.entries.values()].some((e) => e.processors.some((p) => p.queued > 0))
    if (busy)
      void Promise.all(
        [...hooks.entries.keys()].map((pl) => pl.flush(hooks.entries.get(pl)?.timeoutMs)),
      )
  })
  process.on('exit', () => {
    for (const e of hooks.entries.values()) for (const p of e.processors) p.drainSync()
  })
}

function unregister(p: Pipeline): void {
  hooks.entries.delete(p)
}
