/**
 * A bounded on-disk queue in front of any exporter. When the destination is down (a batch
 * fails with a retryable reason, or the circuit breaker is open), the batch is written to
 * disk instead of being dropped, and replayed in order once the destination answers again.
 * What was spooled survives a crash or `kill -9` and is replayed by the next process that
 * opens the same directory.
 *
 * Layout: one file per batch, `<sequence>-<events>.jsonl` (the events' JSON lines), written
 * to a `.tmp` name and renamed into place, so a file is either whole or absent. While any
 * file is pending, new batches are appended behind it (never sent ahead of it), so the
 * destination receives batches in the order the pipeline produced them. Delivery is at least
 * once: a batch that failed part way is spooled whole (the destinations, or the Threadline
 * server, deduplicate by event `id`).
 */
import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'

import { diag } from '../diag.js'
import { ThreadlineConfigError } from '../errors.js'
import type { Exporter, ExportRecord, ExportResult, ThreadlineEvent } from '../types.js'
import { abortableWait, positive } from './shared.js'

export interface DiskSpoolOptions {
  /** Directory of the spool (created if missing); one directory per exporter. @default — (required) */
  dir: string
  /**
   * Most bytes kept on disk. A batch that does not fit is dropped and counted
   * (`spool_full`), as is one that cannot be written (`spool_error`: full disk, permissions).
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number
  /**
   * `'always'`: each spooled batch is fsynced (file and directory) before the export
   * returns, so it survives a power loss or kernel crash. `'never'`: written without fsync:
   * it survives the process dying (`kill -9`, a crash), since the kernel holds the data, but
   * not a power loss; faster on slow disks.
   * @default 'always'
   */
  fsync?: 'always' | 'never'
  /** Wait before replaying again after the destination failed, in ms (doubled each time). @default 1000 */
  retryIntervalMs?: number
  /** Upper bound of that wait, in ms. @default 30000 */
  maxRetryIntervalMs?: number
}

/** The spool's own accounting: spooled = replayed + dropped + pending (in events). */
export interface SpoolStats {
  /** Events written to the spool since this process opened it (plus those found on disk at start). */
  spooled: number
  /** Events replayed to the destination from the spool. */
  replayed: number
  /** Events that left the spool without delivery: `rejected` (refused by the destination on replay). */
  dropped: Record<string, number>
  /** Events on disk waiting for replay. */
  pending: number
  pendingBytes: number
  pendingFiles: number
  /** Batches not spooled, by reason (`spool_full`, `spool_error`), in events; also counted as dropped by the pipeline. */
  refused: Record<string, number>
}

export interface SpoolControls {
  spoolStats(): SpoolStats
}

/** Reasons worth spooling for: the destination is down or shedding load, or we are stopping. */
const SPOOLABLE = new Set(['retry_exhausted', 'breaker_open', 'export_timeout', 'shutdown'])

interface SpoolFile {
  name: string
  events: number
  bytes: number
}

class SpooledRecord implements ExportRecord {
  private parsed: ThreadlineEvent | undefined
  constructor(readonly json: string) {}
  get event(): ThreadlineEvent {
    return (this.parsed ??= JSON.parse(this.json) as ThreadlineEvent)
  }
}

/**
 * Wrap `exporter` with a disk spool. The wrapper has the exporter's name and methods (its
 * `stats()` too), plus `spoolStats()`. A spooled batch counts as delivered for the pipeline
 * (it is on disk); the spool's own counters then account for it until it is replayed.
 * Never throws once set up; the directory is created at set-up (an error there throws).
 */
export function withDiskSpool<E extends Exporter>(
  exporter: E,
  options: DiskSpoolOptions,
): E & SpoolControls {
  const {
    dir,
    maxBytes = 64 * 1024 * 1024,
    fsync = 'always',
    retryIntervalMs = 1000,
    maxRetryIntervalMs = 30_000,
  } = options ?? ({} as DiskSpoolOptions)
  if (typeof dir !== 'string' || dir === '')
    throw new ThreadlineConfigError('dir is required', 'dir')
  positive('maxBytes', maxBytes)
  positive('retryIntervalMs', retryIntervalMs)
  positive('maxRetryIntervalMs', maxRetryIntervalMs)
  if (fsync !== 'always' && fsync !== 'never')
    throw new ThreadlineConfigError(`fsync must be 'always' or 'never'`, 'fsync')
  mkdirSync(dir, { recursive: true })

  const files: SpoolFile[] = []
  let seq = 0
  for (const name of readdirSync(dir).sort()) {
    const m = /^(\d{16})-(\d+)\.jsonl$/.exec(name)
    if (m) {
      files.push({ name, events: Number(m[2]), bytes: statSync(join(dir, name)).size })
      seq = Math.max(seq, Number(m[1]) + 1)
    } else if (name.endsWith('.tmp')) {
      // a write cut short by a crash: it was never acknowledged, so it was not counted as spooled
      try {
        unlinkSync(join(dir, name))
      } catch {
        // leave it
      }
    }
  }
  let bytes = files.reduce((n, f) => n + f.bytes, 0)
  const st = {
    spooled: files.reduce((n, f) => n + f.events, 0),
    replayed: 0,
    dropped: {} as Record<string, number>,
    refused: {} as Record<string, number>,
  }
  const stopping = new AbortController()
  let replaying: Promise<void> | undefined
  let waitingForDestination = false
  /** Direct exports in progress: shutdown waits for them, so a batch cut short is spooled. */
  const inflight = new Set<Promise<ExportResult>>()
  const idleWaiters: (() => void)[] = []

  function refuse(reason: string, n: number, error: unknown): ExportResult {
    st.refused[reason] = (st.refused[reason] ?? 0) + n
    diag.warn(`${exporter.name} spool: batch dropped (${reason})`, error)
    return { ok: false, reason, error }
  }

  /**
   * Write a batch to disk (one small file, fsynced per policy), without blocking the event
   * loop. Batches arrive one at a time (the pipeline runs one export per exporter), so the
   * size check and the sequence stay consistent.
   */
  async function write(batch: readonly ExportRecord[]): Promise<ExportResult> {
    let text = ''
    for (const r of batch) text += r.json + '\n'
    const size = Buffer.byteLength(text)
    if (bytes + size > maxBytes)
      return refuse('spool_full', batch.length, new Error(`spool at its cap of ${maxBytes} bytes`))
    const name = `${String(seq++).padStart(16, '0')}-${batch.length}.jsonl`
    const tmp = join(dir, name + '.tmp')
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(text)
        if (fsync === 'always') await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, join(dir, name))
      if (fsync === 'always') await syncDir(dir)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      return refuse('spool_error', batch.length, err)
    }
    files.push({ name, events: batch.length, bytes: size })
    bytes += size
    st.spooled += batch.length
    kick()
    return { ok: true }
  }

  function kick(): void {
    if (replaying || stopping.signal.aborted || files.length === 0) return
    replaying = replay().finally(() => {
      replaying = undefined
      if (files.length > 0 && !stopping.signal.aborted) kick()
      else for (const w of idleWaiters.splice(0)) w()
    })
  }

  async function replay(): Promise<void> {
    let interval = retryIntervalMs
    while (files.length > 0 && !stopping.signal.aborted) {
      const f = files[0]!
      let text: string
      try {
        text = await readFile(join(dir, f.name), 'utf8')
      } catch (err) {
        diag.error(`${exporter.name} spool: a spooled batch could not be read; dropped`, err)
        remove(f, { spool_error: f.events })
        continue
      }
      const batch = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => new SpooledRecord(l))
      let r: ExportResult
      try {
        r = await exporter.export(batch)
      } catch (error) {
        r = { ok: false, error }
      }
      if (stopping.signal.aborted && !r.ok) return
      if (r.ok || !(r.retryable || SPOOLABLE.has(r.reason ?? ''))) {
        waitingForDestination = false
        interval = retryIntervalMs
        const n = f.events
        const drops: Record<string, number> = {}
        if (r.ok) {
          drops['rejected'] = Math.min(r.rejected ?? 0, n)
          st.replayed += n - drops['rejected']
        } else {
          const delivered = Math.min(r.delivered ?? 0, n)
          drops['rejected'] = Math.min(r.rejected ?? 0, delivered)
          drops[r.reason ?? 'exporter_error'] = n - delivered
          st.replayed += delivered - drops['rejected']
        }
        remove(f, drops)
        continue
      }
      waitingForDestination = true
      for (const w of idleWaiters.splice(0)) w()
      if (!(await abortableWait(interval, stopping.signal))) return
      interval = Math.min(maxRetryIntervalMs, interval * 2)
    }
  }

  function remove(f: SpoolFile, drops: Record<string, number>): void {
    files.shift()
    bytes = Math.max(0, bytes - f.bytes)
    for (const [reason, n] of Object.entries(drops))
      if (n > 0) st.dropped[reason] = (st.dropped[reason] ?? 0) + n
    unlink(join(dir, f.name)).catch((err: unknown) =>
      diag.error(`${exporter.name} spool: a replayed batch could not be removed`, err),
    )
  }

  kick()

  return {
    ...exporter,
    name: exporter.name,
    async export(batch: readonly ExportRecord[]): Promise<ExportResult> {
      if (batch.length === 0) return { ok: true }
      const p = (async (): Promise<ExportResult> => {
        // behind what is already spooled, never ahead of it
        if (files.length > 0) return write(batch)
        let r: ExportResult
        try {
          r = await exporter.export(batch)
        } catch (error) {
          r = { ok: false, error }
        }
        if (r.ok || !(r.retryable || SPOOLABLE.has(r.reason ?? ''))) return r
        return write(batch)
      })().catch((error: unknown) => refuse('spool_error', batch.length, error))
      inflight.add(p)
      try {
        return await p
      } finally {
        inflight.delete(p)
      }
    },
    async forceFlush() {
      await exporter.forceFlush?.()
      // replay what it can now; a destination still down leaves the rest on disk
      if (files.length === 0 || stopping.signal.aborted) return
      kick()
      if (waitingForDestination) return
      await new Promise<void>((resolve) => idleWaiters.push(resolve))
    },
    async shutdown() {
      stopping.abort()
      await exporter.shutdown?.()
      // the inner exporter ends its requests at once; what they leave undelivered is spooled
      await Promise.all([...inflight, replaying])
    },
    spoolStats(): SpoolStats {
      return {
        spooled: st.spooled,
        replayed: st.replayed,
        dropped: { ...st.dropped },
        pending: files.reduce((n, f) => n + f.events, 0),
        pendingBytes: bytes,
        pendingFiles: files.length,
        refused: { ...st.refused },
      }
    },
  } as E & SpoolControls
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    // some platforms cannot fsync a directory; the file itself is synced
  }
}
