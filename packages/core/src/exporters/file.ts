/**
 * Rotating JSONL file exporter: one event per line, appended to an active file
 * that is rotated by size and/or UTC day, optionally gzipped in the background,
 * with retention by count and age.
 *
 * Rotation is rename-then-reopen (never copytruncate) and only ever happens
 * between two writes of this exporter, so no line is lost, duplicated or split
 * across files. One exporter per active path: two exporters (or processes)
 * rotating the same file is not supported.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  writeSync,
} from 'node:fs'
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'

import { diag } from '../diag.js'
import type { Exporter, ExportRecord, ExportResult } from '../types.js'

export interface FileExporterOptions {
  /**
   * The active file, e.g. `logs/app.jsonl` (resolved against the current directory at
   * setup). Parent directories are created. Rotated files go to the same directory as
   * `<name-without-ext>.<YYYYMMDD>T<HHMMSS>Z[.<n>]<ext>` (`<ext>` is `.jsonl` when the
   * active file has none), plus `.gz` when compressed.
   * @default — (required)
   */
  path: string
  /**
   * Rotate before a write that would make the active file larger than this many bytes.
   * A single line larger than the limit is still written, alone, into a fresh file.
   * `0` never rotates by size.
   * @default 52428800 (50 MiB)
   */
  maxSizeBytes?: number
  /**
   * Rotate when the UTC day (from `now`) differs from the day of the active file. Checked
   * at the start of each batch; at startup, an existing non-empty file belongs to the day
   * of its mtime.
   * @default true
   */
  rotateDaily?: boolean
  /**
   * Gzip rotated files in the background (`<rotated>.gz`, written as `.gz.tmp` then
   * renamed; the plain file is removed only once the `.gz` is complete).
   * @default true
   */
  gzip?: boolean
  /** Keep at most this many rotated files (compressed or not); `0` = no count limit. @default 10 */
  maxFiles?: number
  /** Delete rotated files whose mtime is older than this many days; `0` = no age limit. @default 0 */
  maxAgeDays?: number
  /** File mode of files this exporter creates (subject to the umask). @default 0o640 */
  mode?: number
  /** Clock in epoch milliseconds, for daily rotation, rotated names and age retention. @default Date.now */
  now?: () => number
}

const MiB = 1024 * 1024
const DAY_MS = 86_400_000

interface Archive {
  /** The archive's name without `.gz` / `.gz.tmp`: one rotation. */
  key: string
  stamp: string
  n: number
  suffix: '' | '.gz' | '.gz.tmp'
}

/**
 * A rotating JSONL file exporter.
 *
 * Errors: bad options throw a `TypeError` here; afterwards nothing is thrown. A failed
 * write returns `{ ok: false, error }` (and reports via `diag.error`); the next batch
 * reopens the file (recreating its directory). If the active file disappears or is
 * replaced (directory removed, external rotation), the next batch notices (one `stat`
 * per batch) and writes to a fresh file at `path` instead of an unlinked inode.
 *
 * `exportSync` appends through its own `O_APPEND` descriptor: it never overwrites or splits
 * a line of an async write, but if an async write is still in flight its lines may land
 * before or after that batch. It never rotates (the next async batch does, if needed).
 */
export function fileExporter(options: FileExporterOptions): Exporter & { readonly path: string } {
  const {
    path: rawPath,
    maxSizeBytes = 50 * MiB,
    rotateDaily = true,
    gzip = true,
    maxFiles = 10,
    maxAgeDays = 0,
    mode = 0o640,
    now = Date.now,
  } = options

  validate(rawPath, maxSizeBytes, rotateDaily, gzip, maxFiles, maxAgeDays, mode, now)

  const filePath = resolve(rawPath)
  const dir = dirname(filePath)
  const activeName = basename(filePath)
  const ext = extname(activeName)
  const stem = ext ? activeName.slice(0, -ext.length) : activeName
  const archiveExt = ext || '.jsonl'
  const archiveRe = new RegExp(
    `^${escapeRe(stem)}\\.(\\d{8}T\\d{6}Z)(?:\\.(\\d+))?${escapeRe(archiveExt)}(\\.gz(?:\\.tmp)?)?$`,
  )

  let handle: FileHandle | null = null
  let ino = -1
  let dev = -1
  /** Bytes in the active file, as far as this exporter knows. */
  let size = 0
  /** UTC day number of the active file's content. */
  let day: number | undefined
  let lastStamp = ''
  let lastN = -1
  let closed = false
  let shutdownPromise: Promise<void> | undefined
  let writes: Promise<unknown> = Promise.resolve()
  let background: Promise<void> = Promise.resolve()
  let retentionQueued = false

  function clock(): number {
    try {
      const t = now()
      if (Number.isFinite(t)) return t
    } catch (err) {
      diag.warn('file exporter: now() threw; using Date.now()', err)
    }
    return Date.now()
  }

  function parseArchive(name: string): Archive | undefined {
    if (name === activeName) return undefined
    const m = archiveRe.exec(name)
    if (!m) return undefined
    const suffix = (m[3] ?? '') as Archive['suffix']
    return {
      key: suffix ? name.slice(0, -suffix.length) : name,
      stamp: m[1] ?? '',
      n: m[2] === undefined ? 0 : Number(m[2]),
      suffix,
    }
  }

  // ---------------------------------------------------------------- background jobs

  function enqueue(what: string, job: () => Promise<void>): void {
    background = background.then(job).catch((err: unknown) => {
      diag.error(`file exporter: ${what} failed`, err)
    })
  }

  function scheduleRetention(): void {
    if ((maxFiles === 0 && maxAgeDays === 0) || retentionQueued) return
    retentionQueued = true
    enqueue('retention', async () => {
      retentionQueued = false
      await applyRetention()
    })
  }

  async function gzipFile(src: string): Promise<void> {
    const dst = `${src}.gz`
    const tmp = `${dst}.tmp`
    try {
      const st = await stat(src)
      await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { mode }))
      // Keep the plain file's mtime so age retention counts from the last write.
      await utimes(tmp, st.atime, st.mtime)
      await rename(tmp, dst)
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined)
      // Already removed (retention, or by hand): nothing to compress.
      if (isCode(err, 'ENOENT') && !(await exists(src))) return
      diag.error('file exporter: gzip of a rotated file failed; kept it uncompressed', err)
      return
    }
    await removeQuiet(src)
  }

  async function applyRetention(): Promise<void> {
    const groups = new Map<string, { stamp: string; n: number; files: string[] }>()
    for (const name of await readdir(dir)) {
      const a = parseArchive(name)
      if (!a || a.suffix === '.gz.tmp') continue
      let g = groups.get(a.key)
      if (!g) groups.set(a.key, (g = { stamp: a.stamp, n: a.n, files: [] }))
      g.files.push(name)
    }
    const newestFirst = [...groups.values()].sort((x, y) => compareArchives(y, x))
    const cutoff = clock() - maxAgeDays * DAY_MS
    for (const [i, g] of newestFirst.entries()) {
      let expired = maxFiles > 0 && i >= maxFiles
      if (!expired && maxAgeDays > 0) {
        let mtime = -Infinity
        for (const f of g.files) {
          const st = await stat(join(dir, f)).catch(() => undefined)
          if (st) mtime = Math.max(mtime, st.mtimeMs)
        }
        expired = mtime !== -Infinity && mtime < cutoff
      }
      if (!expired) continue
      for (const f of g.files) await removeQuiet(join(dir, f))
    }
  }

  /** Startup: drop our stale `.gz.tmp`, finish interrupted compressions, apply retention. */
  async function sweep(): Promise<void> {
    const names = await readdir(dir)
    const present = new Set(names)
    for (const name of names) {
      if (parseArchive(name)?.suffix === '.gz.tmp') await removeQuiet(join(dir, name))
    }
    if (maxFiles > 0 || maxAgeDays > 0) await applyRetention()
    for (const name of names) {
      const a = parseArchive(name)
      if (!a || a.suffix !== '') continue
      if (present.has(`${name}.gz`)) await removeQuiet(join(dir, name))
      else if (gzip) await gzipFile(join(dir, name))
    }
  }

  // ---------------------------------------------------------------- active file

  async function openActive(): Promise<void> {
    await mkdir(dir, { recursive: true })
    const h = await open(filePath, 'a', mode)
    try {
      const st = await h.stat()
      handle = h
      ino = st.ino
      dev = st.dev
      size = st.size
      if (st.size === 0) day = utcDay(clock())
      else day ??= utcDay(st.mtimeMs)
    } catch (err) {
      await h.close().catch(() => undefined)
      throw err
    }
  }

  async function closeActive(): Promise<void> {
    const h = handle
    handle = null
    if (h) {
      await h.close().catch((err: unknown) => {
        diag.warn('file exporter: closing the active file failed', err)
      })
    }
  }

  /** Open the active file, or reopen it if it was deleted or replaced behind our back. */
  async function ensureActive(): Promise<FileHandle> {
    if (handle) {
      let st
      try {
        st = await stat(filePath)
      } catch (err) {
        // Gone (ENOENT, or ENOTDIR: a parent was replaced by a file): reopen below.
        // Anything else (EACCES...): cannot tell, keep writing where we are.
        if (!isCode(err, 'ENOENT') && !isCode(err, 'ENOTDIR')) return handle
      }
      if (st && st.ino === ino && st.dev === dev) return handle
      diag.warn('file exporter: the active file was moved or deleted; reopening it')
      await closeActive()
    }
    await openActive()
    return active()
  }

  function active(): FileHandle {
    if (!handle) throw new Error('file exporter: the active file is not open')
    return handle
  }

  /** A rotated name not used on disk nor earlier by this exporter (counter within a second). */
  async function nextArchiveName(): Promise<string> {
    const stamp = formatStamp(clock())
    let n = stamp === lastStamp ? lastN + 1 : 0
    lastStamp = stamp
    for (;;) {
      const name = `${stem}.${stamp}${n === 0 ? '' : `.${n}`}${archiveExt}`
      const p = join(dir, name)
      if (!(await exists(p)) && !(await exists(`${p}.gz`))) {
        lastN = n
        return p
      }
      n++
    }
  }

  /** Rename the active file away and open a fresh one. False if the rename failed. */
  async function rotate(): Promise<boolean> {
    const target = await nextArchiveName()
    await closeActive()
    try {
      await rename(filePath, target)
    } catch (err) {
      if (!isCode(err, 'ENOENT')) {
        diag.error('file exporter: rotation failed; still writing to the active file', err)
        await openActive()
        return false
      }
      // The active file vanished: nothing to rotate, start a fresh one.
      await openActive()
      return true
    }
    if (gzip) enqueue('gzip', () => gzipFile(target))
    scheduleRetention()
    await openActive()
    return true
  }

  async function writeAll(h: FileHandle, buf: Buffer): Promise<void> {
    let off = 0
    while (off < buf.length) {
      const { bytesWritten } = await h.write(buf, off, buf.length - off, null)
      if (!(bytesWritten > 0)) throw new Error('file exporter: write made no progress')
      off += bytesWritten
      size += bytesWritten
    }
  }

  async function writeBatch(batch: readonly ExportRecord[]): Promise<ExportResult> {
    try {
      if (batch.length === 0) return { ok: true }
      let h = await ensureActive()
      if (rotateDaily && size > 0 && day !== utcDay(clock())) {
        await rotate()
        h = active()
      }
      // common case: the whole batch fits (or size rotation is off): one encode, one write
      let text = ''
      for (const record of batch) text += record.json + '\n'
      const whole = Buffer.from(text)
      if (
        maxSizeBytes === 0 ||
        size + whole.length <= maxSizeBytes ||
        (size === 0 && batch.length === 1)
      ) {
        await writeAll(h, whole)
        return { ok: true }
      }
      let parts: string[] = []
      let pending = 0
      let mayRotate = true
      for (const record of batch) {
        const line = `${record.json}\n`
        const bytes = Buffer.byteLength(line)
        if (mayRotate && size + pending + bytes > maxSizeBytes && size + pending > 0) {
          if (pending > 0) {
            await writeAll(h, Buffer.from(parts.join('')))
            parts = []
            pending = 0
          }
          // A failed rename is not retried within this batch.
          mayRotate = await rotate()
          h = active()
        }
        parts.push(line)
        pending += bytes
      }
      if (pending > 0) await writeAll(h, Buffer.from(parts.join('')))
      return { ok: true }
    } catch (error) {
      diag.error('file exporter: write failed', error)
      // Reopen on the next batch (recreating the directory if needed).
      await closeActive()
      return { ok: false, error }
    }
  }

  async function flush(): Promise<void> {
    await writes
    await background
  }

  mkdirSyncQuiet(dir)
  enqueue('startup sweep', sweep)

  return {
    name: 'file',
    path: filePath,
    batching: { maxBatchSize: 1024, flushIntervalMs: 200 },

    export(batch: readonly ExportRecord[]): Promise<ExportResult> {
      if (closed) {
        return Promise.resolve({ ok: false, error: new Error('file exporter is shut down') })
      }
      // The pipeline keeps one export in flight; serialize anyway so rotation is only
      // ever between two writes.
      const run = writes.then(() => writeBatch(batch))
      writes = run
      return run
    },

    exportSync(batch: readonly ExportRecord[]): void {
      if (closed) {
        diag.warn('file exporter: exportSync after shutdown; batch dropped')
        return
      }
      if (batch.length === 0) return
      let fd: number | undefined
      try {
        const buf = Buffer.from(batch.map((r) => `${r.json}\n`).join(''))
        mkdirSync(dir, { recursive: true })
        fd = openSync(filePath, 'a', mode)
        let off = 0
        while (off < buf.length) {
          const n = writeSync(fd, buf, off, buf.length - off)
          if (!(n > 0)) throw new Error('file exporter: write made no progress')
          off += n
          size += n
        }
      } catch (err) {
        diag.error('file exporter: synchronous write failed', err)
      } finally {
        if (fd !== undefined) {
          try {
            closeSync(fd)
          } catch {
            // nothing more to do at exit
          }
        }
      }
    },

    async forceFlush(): Promise<void> {
      await flush()
    },

    shutdown(): Promise<void> {
      closed = true
      shutdownPromise ??= flush().then(closeActive)
      return shutdownPromise
    },
  }
}

function validate(
  path: unknown,
  maxSizeBytes: unknown,
  rotateDaily: unknown,
  gzip: unknown,
  maxFiles: unknown,
  maxAgeDays: unknown,
  mode: unknown,
  now: unknown,
): void {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new TypeError('fileExporter: `path` must be a non-empty string')
  }
  if (/[\\/]$/.test(path)) {
    throw new TypeError(`fileExporter: \`path\` must name a file, not a directory (got "${path}")`)
  }
  const nonNegative = (name: string, v: unknown, integer: boolean): void => {
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < 0 ||
      (integer && !Number.isInteger(v))
    ) {
      throw new TypeError(
        `fileExporter: \`${name}\` must be a non-negative ${integer ? 'integer' : 'number'} (got ${String(v)})`,
      )
    }
  }
  nonNegative('maxSizeBytes', maxSizeBytes, false)
  nonNegative('maxFiles', maxFiles, true)
  nonNegative('maxAgeDays', maxAgeDays, false)
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new TypeError(
      `fileExporter: \`mode\` must be a file mode such as 0o640 (got ${String(mode)})`,
    )
  }
  if (typeof rotateDaily !== 'boolean')
    throw new TypeError('fileExporter: `rotateDaily` must be a boolean')
  if (typeof gzip !== 'boolean') throw new TypeError('fileExporter: `gzip` must be a boolean')
  if (typeof now !== 'function') throw new TypeError('fileExporter: `now` must be a function')
}

function compareArchives(a: { stamp: string; n: number }, b: { stamp: string; n: number }): number {
  return a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n
}

function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS)
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
function formatStamp(ms: number): string {
  const d = new Date(ms)
  const p = (v: number, w = 2): string => String(v).padStart(w, '0')
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  )
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code
}

async function removeQuiet(file: string): Promise<void> {
  try {
    await rm(file, { force: true })
  } catch (err) {
    diag.warn('file exporter: could not delete a file', err)
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p)
    return true
  } catch {
    return false
  }
}

function mkdirSyncQuiet(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (err) {
    // Not fatal: every export retries (and reports) until the directory can be created.
    diag.error('file exporter: could not create the log directory', err)
  }
}
