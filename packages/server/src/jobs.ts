// Export jobs: a big export runs in the background into a file; the client polls for
// progress and downloads the result. Files expire; jobs are only visible to their org.
import { randomBytes } from 'node:crypto'
import { chmodSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { once } from 'node:events'
import { join } from 'node:path'
import type { ExportFormat, ExportOptions, Store } from '@threadline/store'

export type OutputFormat = ExportFormat | 'json'

export interface ExportJob {
  id: string
  /** `undefined` in local mode. */
  org_id: string | undefined
  format: OutputFormat
  status: 'running' | 'done' | 'failed'
  rows: number
  bytes: number
  error?: string
  created_at: string
  finished_at?: string
  path: string
}

/** A piece of an export and the rows it holds. */
export interface ExportChunk {
  text: string
  rows: number
}

const count = (text: string, sep: string): number => {
  let n = 0
  for (let i = text.indexOf(sep); i !== -1; i = text.indexOf(sep, i + sep.length)) n++
  return n
}

/**
 * CSV or JSONL from the store, or a JSON array built from the JSONL lines. Row counts are
 * exact for JSON and JSONL (a line per event); for CSV they count CRLF row ends, which a
 * cell holding a CRLF of its own would inflate.
 */
export function exportChunks(
  store: Store,
  filters: ExportOptions,
  format: OutputFormat,
): AsyncGenerator<ExportChunk> {
  // Called now, so a bad option throws before anything is answered or written.
  const source = store.export({ ...filters, format: format === 'json' ? 'jsonl' : format })
  return chunks(source, format)
}

async function* chunks(
  source: AsyncIterable<string>,
  format: OutputFormat,
): AsyncGenerator<ExportChunk> {
  if (format === 'json') yield { text: '[', rows: 0 }
  let first = true
  for await (const chunk of source) {
    if (format === 'csv') {
      // The header comes alone as the first chunk.
      yield { text: chunk, rows: first ? 0 : count(chunk, '\r\n') }
    } else if (format === 'jsonl') {
      yield { text: chunk, rows: count(chunk, '\n') }
    } else {
      const rows = count(chunk, '\n')
      yield { text: (first ? '' : ',') + chunk.slice(0, -1).replaceAll('\n', ','), rows }
    }
    first = false
  }
  if (format === 'json') yield { text: ']\n', rows: 0 }
}

export interface Jobs {
  start(
    store: Store,
    org: string | undefined,
    filters: ExportOptions,
    format: OutputFormat,
  ): ExportJob
  get(id: string, org: string | undefined): ExportJob | undefined
  /** Running jobs of an org. */
  running(org: string | undefined): number
  close(): void
}

/**
 * Job files hold events, so only this process's user may read them: files are created 0600
 * in a 0700 directory (by default a fresh one under the system temp directory, removed on
 * close; a given `dir` is created or narrowed to 0700).
 */
export function createJobs(dir: string | undefined, ttlMs: number): Jobs {
  const jobs = new Map<string, ExportJob>()
  const timers = new Set<NodeJS.Timeout>()
  const own = dir === undefined
  const root = own ? mkdtempSync(join(tmpdir(), 'threadline-exports-')) : dir
  if (!own) {
    mkdirSync(root, { recursive: true, mode: 0o700 })
    chmodSync(root, 0o700)
  }
  const expire = (job: ExportJob) => {
    const t = setTimeout(() => {
      timers.delete(t)
      jobs.delete(job.id)
      rmSync(job.path, { force: true })
    }, ttlMs)
    t.unref()
    timers.add(t)
  }
  return {
    start(store, org, filters, format) {
      const id = randomBytes(12).toString('hex')
      const ext = format === 'csv' ? 'csv' : format === 'json' ? 'json' : 'jsonl'
      const job: ExportJob = {
        id,
        org_id: org,
        format,
        status: 'running',
        rows: 0,
        bytes: 0,
        created_at: new Date().toISOString(),
        path: join(root, `${id}.${ext}`),
      }
      jobs.set(id, job)
      void (async () => {
        const out = createWriteStream(job.path, { flags: 'wx', mode: 0o600 })
        try {
          for await (const chunk of exportChunks(store, filters, format)) {
            job.rows += chunk.rows
            job.bytes += Buffer.byteLength(chunk.text)
            if (!out.write(chunk.text)) await once(out, 'drain')
          }
          out.end()
          await once(out, 'finish')
          job.status = 'done'
        } catch (error) {
          out.destroy()
          job.status = 'failed'
          job.error = error instanceof Error ? error.message : String(error)
        }
        job.finished_at = new Date().toISOString()
        expire(job)
      })()
      return job
    },
    get(id, org) {
      const job = jobs.get(id)
      return job && job.org_id === org ? job : undefined
    },
    running(org) {
      let n = 0
      for (const j of jobs.values()) if (j.org_id === org && j.status === 'running') n++
      return n
    },
    close() {
      for (const t of timers) clearTimeout(t)
      for (const j of jobs.values()) rmSync(j.path, { force: true })
      jobs.clear()
      if (own) rmSync(root, { recursive: true, force: true })
    },
  }
}
