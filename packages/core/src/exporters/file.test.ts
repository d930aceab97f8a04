import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { diag } from '../diag.js'
import type { DiagLevel } from '../diag.js'
import type { ExportRecord, ExportResult, ThreadlineEvent } from '../types.js'
import { fileExporter } from './file.js'
import type { FileExporterOptions } from './file.js'

const dirs: string[] = []

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'threadline-file-'))
  dirs.push(d)
  return d
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

function rec(i: number, pad = 0): ExportRecord {
  const event: ThreadlineEvent = {
    id: `e${i}`,
    kind: 'log',
    timestamp: '2024-01-01T00:00:00.000Z',
    level: 'info',
    message: `m${i}`,
    service: 'svc',
  }
  return { event, json: JSON.stringify({ i, pad: 'x'.repeat(pad) }) }
}

function recs(from: number, to: number, pad = 0): ExportRecord[] {
  const out: ExportRecord[] = []
  for (let i = from; i < to; i++) out.push(rec(i, pad))
  return out
}

const ROTATED = /^app\.(\d{8}T\d{6}Z)(?:\.(\d+))?\.jsonl(\.gz)?$/

/** Rotated files of `app.jsonl`, oldest first (timestamp, then counter). */
function rotatedFiles(dir: string): string[] {
  const parsed: { name: string; stamp: string; n: number }[] = []
  for (const name of fs.readdirSync(dir)) {
    const m = ROTATED.exec(name)
    if (m) parsed.push({ name, stamp: m[1] ?? '', n: m[2] === undefined ? 0 : Number(m[2]) })
  }
  parsed.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n))
  return parsed.map((p) => p.name)
}

function readText(file: string): string {
  const raw = fs.readFileSync(file)
  return file.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8')
}

function linesOf(text: string): string[] {
  expect(text === '' || text.endsWith('\n')).toBe(true)
  return text === '' ? [] : text.slice(0, -1).split('\n')
}

/** Every line across rotated files (in order) then the active file. */
function allLines(dir: string): string[] {
  const out: string[] = []
  for (const name of rotatedFiles(dir)) out.push(...linesOf(readText(path.join(dir, name))))
  const active = path.join(dir, 'app.jsonl')
  if (fs.existsSync(active)) out.push(...linesOf(readText(active)))
  return out
}

function indices(lines: string[]): number[] {
  return lines.map((l) => (JSON.parse(l) as { i: number }).i)
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k)
}

/** The exporter with the optional `Exporter` members this implementation always has. */
type FileExp = Omit<
  ReturnType<typeof fileExporter>,
  'export' | 'exportSync' | 'forceFlush' | 'shutdown'
> & {
  export(batch: readonly ExportRecord[]): Promise<ExportResult>
  exportSync(batch: readonly ExportRecord[]): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

function make(dir: string, opts: Partial<FileExporterOptions> = {}): FileExp {
  const exp = fileExporter({ path: path.join(dir, 'app.jsonl'), ...opts })
  expect(typeof exp.exportSync).toBe('function')
  expect(typeof exp.forceFlush).toBe('function')
  expect(typeof exp.shutdown).toBe('function')
  return exp as FileExp
}

describe('fileExporter', () => {
  it('writes one JSON line per record, in order', async () => {
    const dir = tempDir()
    const exp = make(path.join(dir, 'nested', 'deeper'))
    expect(exp.name).toBe('file')
    expect(exp.batching).toEqual({ maxBatchSize: 1024, flushIntervalMs: 200 })
    expect(fs.statSync(path.join(dir, 'nested', 'deeper')).isDirectory()).toBe(true)
    expect(await exp.export(recs(0, 10))).toEqual({ ok: true })
    expect(await exp.export(recs(10, 25))).toEqual({ ok: true })
    expect(await exp.export([])).toEqual({ ok: true })
    await exp.shutdown()
    const lines = linesOf(fs.readFileSync(exp.path, 'utf8'))
    expect(lines).toHaveLength(25)
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual(
      range(0, 25).map((i) => ({ i, pad: '' })),
    )
    expect(fs.statSync(exp.path).mode & 0o007).toBe(0) // default mode 0o640: nothing for others
  })

  it('rotates by size under load without losing or duplicating a line', async () => {
    const dir = tempDir()
    const max = 64 * 1024
    const exp = make(dir, { maxSizeBytes: max, maxFiles: 100_000 })
    let seed = 42
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const total = 50_000
    const pending: Promise<ExportResult>[] = []
    for (let i = 0; i < total;) {
      const n = Math.min(total - i, 1 + Math.floor(rand() * 1000))
      // Fire without awaiting: the exporter must serialize its own writes.
      pending.push(exp.export(recs(i, i + n, Math.floor(rand() * 40))))
      i += n
    }
    const results = await Promise.all(pending)
    expect(results.every((r) => r.ok)).toBe(true)
    await exp.forceFlush()

    const names = fs.readdirSync(dir)
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([])
    const rotated = rotatedFiles(dir)
    expect(rotated.length).toBeGreaterThan(20)
    expect(rotated.every((n) => n.endsWith('.gz'))).toBe(true)
    // Many rotations within one second: the counter keeps names unique.
    expect(rotated.some((n) => /Z\.\d+\.jsonl\.gz$/.test(n))).toBe(true)
    for (const n of rotated) {
      const size = Buffer.byteLength(readText(path.join(dir, n)))
      expect(size).toBeLessThanOrEqual(max)
      expect(size).toBeGreaterThan(max - 200) // rotated only when the next line would not fit
    }
    expect(indices(allLines(dir))).toEqual(range(0, total))
    await exp.shutdown()
  })

  it('splits a batch at a line boundary: the line that would cross goes to the new file', async () => {
    const dir = tempDir()
    const line = Buffer.byteLength(rec(0).json) + 1 // `{"i":0,"pad":""}` + newline
    const exp = make(dir, { maxSizeBytes: line * 3, gzip: false, maxFiles: 0 })
    expect(await exp.export(recs(0, 7))).toEqual({ ok: true })
    await exp.shutdown()
    const files = rotatedFiles(dir).map((n) => indices(linesOf(readText(path.join(dir, n)))))
    expect(files).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ])
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([6])
  })

  it('rotates when the UTC day changes (injected clock)', async () => {
    const dir = tempDir()
    let t = Date.UTC(2024, 0, 1, 23, 59, 0)
    const exp = make(dir, { gzip: false, now: () => t })
    await exp.export(recs(0, 3))
    t = Date.UTC(2024, 0, 1, 23, 59, 59)
    await exp.export(recs(3, 5))
    expect(rotatedFiles(dir)).toEqual([])
    t = Date.UTC(2024, 0, 2, 0, 0, 5)
    await exp.export(recs(5, 8))
    t = Date.UTC(2024, 0, 2, 13, 0, 0)
    await exp.export(recs(8, 9))
    t = Date.UTC(2024, 0, 4, 1, 2, 3)
    await exp.export(recs(9, 10))
    await exp.shutdown()
    expect(rotatedFiles(dir)).toEqual(['app.20240102T000005Z.jsonl', 'app.20240104T010203Z.jsonl'])
    expect(indices(linesOf(readText(path.join(dir, 'app.20240102T000005Z.jsonl'))))).toEqual(
      range(0, 5),
    )
    expect(indices(linesOf(readText(path.join(dir, 'app.20240104T010203Z.jsonl'))))).toEqual(
      range(5, 9),
    )
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([9])
  })

  it('gzips rotated files into valid gzip, removes the plain file, leaves no .tmp', async () => {
    const dir = tempDir()
    let t = Date.UTC(2024, 5, 1, 12, 0, 0)
    const exp = make(dir, { now: () => t })
    await exp.export(recs(0, 100, 50))
    t += 86_400_000
    await exp.export(recs(100, 101))
    await exp.forceFlush()
    const names = fs.readdirSync(dir).sort()
    expect(names).toEqual(['app.20240602T120000Z.jsonl.gz', 'app.jsonl'])
    const gz = fs.readFileSync(path.join(dir, names[0] ?? ''))
    expect(gz[0]).toBe(0x1f)
    expect(gz[1]).toBe(0x8b)
    expect(indices(linesOf(zlib.gunzipSync(gz).toString('utf8')))).toEqual(range(0, 100))
    await exp.shutdown()
  })

  it('keeps the plain rotated file and reports when gzip fails', async () => {
    const dir = tempDir()
    const seen: [DiagLevel, string][] = []
    const unsubscribe = diag.subscribe((level, message) => seen.push([level, message]))
    diag.setLevel('off')
    try {
      const t = Date.UTC(2024, 0, 1, 0, 0, 0)
      const exp = make(dir, { now: () => t, maxSizeBytes: 40 })
      await exp.forceFlush() // startup sweep done
      // A directory in the way of the temp file makes the gzip fail.
      fs.mkdirSync(path.join(dir, 'app.20240101T000000Z.jsonl.gz.tmp'))
      await exp.export(recs(0, 3))
      await exp.forceFlush()
      expect(seen.some(([l, m]) => l === 'error' && m.includes('gzip'))).toBe(true)
      const names = fs.readdirSync(dir).sort()
      expect(names).toContain('app.20240101T000000Z.jsonl')
      expect(names).not.toContain('app.20240101T000000Z.jsonl.gz')
      expect(readText(path.join(dir, 'app.20240101T000000Z.jsonl'))).toBe(
        `${rec(0).json}\n${rec(1).json}\n`,
      )
      await exp.shutdown()
    } finally {
      unsubscribe()
      diag.setLevel('warn')
    }
  })

  it('keeps at most maxFiles rotated files and never touches other files', async () => {
    const dir = tempDir()
    const unrelated = [
      'app.jsonl.bak',
      'notes.txt',
      'other.20200101T000000Z.jsonl',
      'app.20200101T000000Z.log',
      'app.2020T000000Z.jsonl',
    ]
    for (const n of unrelated) fs.writeFileSync(path.join(dir, n), 'keep\n')
    // 17-byte lines for i < 10, 18 bytes after: two lines per file.
    const exp = make(dir, { maxSizeBytes: 40, maxFiles: 3 })
    for (let i = 0; i < 20; i += 2) await exp.export(recs(i, i + 2))
    await exp.forceFlush()
    const rotated = rotatedFiles(dir)
    expect(rotated).toHaveLength(3)
    // The newest three rotations survive: lines 12..17 (18, 19 are in the active file).
    expect(indices(rotated.flatMap((n) => linesOf(readText(path.join(dir, n)))))).toEqual(
      range(12, 18),
    )
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([18, 19])
    for (const n of unrelated) expect(fs.readFileSync(path.join(dir, n), 'utf8')).toBe('keep\n')
    await exp.shutdown()
  })

  it('deletes rotated files older than maxAgeDays, and only those', async () => {
    const dir = tempDir()
    const day = 86_400
    const nowS = Date.now() / 1000
    const files: Record<string, number> = {
      'app.20200101T000000Z.jsonl.gz': nowS - 30 * day, // expired
      'app.20200102T000000Z.1.jsonl': nowS - 10 * day, // expired
      'app.20200103T000000Z.jsonl.gz': nowS - 1 * day, // kept
      'unrelated.20200101T000000Z.jsonl.gz': nowS - 60 * day, // not ours
      'old.txt': nowS - 60 * day,
    }
    for (const [n, mtime] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, n), 'x')
      fs.utimesSync(path.join(dir, n), mtime, mtime)
    }
    // An old active file is never removed by retention (it is rotated instead, by day).
    fs.writeFileSync(path.join(dir, 'app.jsonl'), '')
    fs.utimesSync(path.join(dir, 'app.jsonl'), nowS - 60 * day, nowS - 60 * day)
    const exp = make(dir, { gzip: false, maxAgeDays: 7, maxFiles: 0, maxSizeBytes: 40 })
    await exp.export(recs(0, 6))
    await exp.forceFlush()
    const names = fs.readdirSync(dir)
    expect(names).not.toContain('app.20200101T000000Z.jsonl.gz')
    expect(names).not.toContain('app.20200102T000000Z.1.jsonl')
    expect(names).toContain('app.20200103T000000Z.jsonl.gz')
    expect(names).toContain('unrelated.20200101T000000Z.jsonl.gz')
    expect(names).toContain('old.txt')
    expect(names).toContain('app.jsonl')
    // Fresh rotations are kept.
    const fresh = rotatedFiles(dir).filter((n) => !n.startsWith('app.2020'))
    expect(fresh.length).toBeGreaterThan(0)
    const lines = fresh.flatMap((n) => linesOf(readText(path.join(dir, n))))
    lines.push(...linesOf(fs.readFileSync(exp.path, 'utf8')))
    expect(indices(lines)).toEqual(range(0, 6))
    await exp.shutdown()
  })

  it('at startup removes stale .gz.tmp files and compresses leftover rotated files', async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, 'app.20240101T000000Z.jsonl'), '{"i":0}\n')
    fs.writeFileSync(path.join(dir, 'app.20240101T000001Z.jsonl.gz.tmp'), 'partial')
    fs.writeFileSync(path.join(dir, 'other.jsonl.gz.tmp'), 'not ours')
    const exp = make(dir)
    await exp.forceFlush()
    expect(fs.readdirSync(dir).sort()).toEqual([
      'app.20240101T000000Z.jsonl.gz',
      'other.jsonl.gz.tmp',
    ])
    expect(readText(path.join(dir, 'app.20240101T000000Z.jsonl.gz'))).toBe('{"i":0}\n')
    await exp.shutdown()
  })

  it('appends to an existing active file and counts its size', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'app.jsonl')
    fs.writeFileSync(file, '{"i":-2}\n{"i":-1}\n')
    const existing = fs.statSync(file).size
    const line = Buffer.byteLength(rec(0).json) + 1
    const exp = make(dir, { gzip: false, maxSizeBytes: existing + line * 2 })
    await exp.export(recs(0, 2)) // fits exactly
    expect(rotatedFiles(dir)).toEqual([])
    expect(indices(linesOf(fs.readFileSync(file, 'utf8')))).toEqual([-2, -1, 0, 1])
    await exp.export(recs(2, 3)) // would exceed: rotate first
    await exp.shutdown()
    const rotated = rotatedFiles(dir)
    expect(rotated).toHaveLength(1)
    expect(indices(linesOf(readText(path.join(dir, rotated[0] ?? ''))))).toEqual([-2, -1, 0, 1])
    expect(indices(linesOf(fs.readFileSync(file, 'utf8')))).toEqual([2])
  })

  it('recovers when the directory is removed mid-run, and reports ok:false while it cannot', async () => {
    const root = tempDir()
    const dir = path.join(root, 'logs')
    const seen: [DiagLevel, string][] = []
    const unsubscribe = diag.subscribe((level, message) => seen.push([level, message]))
    diag.setLevel('off')
    try {
      const exp = make(dir, { gzip: false })
      expect(await exp.export(recs(0, 2))).toEqual({ ok: true })

      // Removed: the next batch notices and writes to a fresh file in a recreated directory.
      fs.rmSync(dir, { recursive: true, force: true })
      expect(await exp.export(recs(2, 4))).toEqual({ ok: true })
      expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([2, 3])

      // Replaced by a regular file: the directory cannot be recreated, the batch fails.
      fs.rmSync(dir, { recursive: true, force: true })
      fs.writeFileSync(dir, 'in the way')
      const failed = await exp.export(recs(4, 6))
      expect(failed.ok).toBe(false)
      expect(failed.ok === false && failed.error instanceof Error).toBe(true)
      expect(seen.some(([l, m]) => l === 'error' && m.includes('write failed'))).toBe(true)
      expect(() => exp.exportSync(recs(6, 7))).not.toThrow()

      // Fixed: the following batch reopens.
      fs.rmSync(dir)
      expect(await exp.export(recs(7, 9))).toEqual({ ok: true })
      await exp.shutdown()
      expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([7, 8])
    } finally {
      unsubscribe()
      diag.setLevel('warn')
    }
  })

  it('keeps writing the rest of a chunk after a partial write', async () => {
    const dir = tempDir()
    const probe = await fs.promises.open(path.join(dir, 'probe'), 'w')
    const proto = Object.getPrototypeOf(probe) as {
      write: (...args: any[]) => Promise<{ bytesWritten: number }>
    }
    await probe.close()
    const original = proto.write
    let calls = 0
    vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: any[]) {
      calls++
      const [buf, off, len, pos] = args as [Buffer, number, number, number | null]
      return original.call(this, buf, off, Math.min(len, 7), pos)
    })
    const exp = make(dir, { gzip: false })
    expect(await exp.export(recs(0, 20, 3))).toEqual({ ok: true })
    await exp.shutdown()
    expect(calls).toBeGreaterThan(20)
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual(range(0, 20))
  })

  it('exportSync writes synchronously, after completed async writes', async () => {
    const dir = tempDir()
    const exp = make(dir)
    await exp.export(recs(0, 3))
    exp.exportSync(recs(3, 6))
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual(range(0, 6))
    await exp.export(recs(6, 8))
    await exp.shutdown()
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual(range(0, 8))
  })

  it('exportSync works before any async export and creates the file', () => {
    const dir = tempDir()
    const exp = make(path.join(dir, 'sub'))
    exp.exportSync(recs(0, 2))
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([0, 1])
    return exp.shutdown()
  })

  it('returns ok:false after shutdown, and exportSync writes nothing', async () => {
    const dir = tempDir()
    const exp = make(dir)
    await exp.export(recs(0, 1))
    await exp.shutdown()
    await exp.shutdown() // idempotent
    const r = await exp.export(recs(1, 2))
    expect(r.ok).toBe(false)
    expect(r.ok === false && String(r.error)).toContain('shut down')
    diag.setLevel('off')
    try {
      exp.exportSync(recs(2, 3))
    } finally {
      diag.setLevel('warn')
    }
    expect(indices(linesOf(fs.readFileSync(exp.path, 'utf8')))).toEqual([0])
  })

  it('throws a TypeError for bad options', () => {
    const dir = tempDir()
    const p = path.join(dir, 'app.jsonl')
    const bad: unknown[] = [
      { path: '' },
      { path: '   ' },
      { path: dir + path.sep },
      { path: 42 },
      { path: p, maxSizeBytes: -1 },
      { path: p, maxSizeBytes: Number.NaN },
      { path: p, maxFiles: -1 },
      { path: p, maxFiles: 1.5 },
      { path: p, maxAgeDays: -1 },
      { path: p, mode: -1 },
      { path: p, mode: 0o10000 },
      { path: p, gzip: 'yes' },
      { path: p, rotateDaily: 1 },
      { path: p, now: 5 },
    ]
    for (const opts of bad) {
      expect(() => fileExporter(opts as FileExporterOptions), JSON.stringify(opts)).toThrow(
        TypeError,
      )
    }
    expect(fs.readdirSync(dir)).toEqual([])
  })
})
