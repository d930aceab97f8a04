// Export the current filter as CSV or JSON through an export job: progress, then a download.
import { useEffect, useState } from 'preact/hooks'
import { ApiError, download, request } from '../api.js'
import { fmtInt } from '../format.js'

interface JobStatus {
  id: string
  status: 'running' | 'done' | 'failed'
  rows: number
  bytes: number
  error?: string
  format: string
  download_url: string | null
}

export function ExportButtons({ filters }: { filters: Record<string, unknown> }) {
  const [job, setJob] = useState<JobStatus | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    if (!job || job.status !== 'running') return
    const t = setTimeout(() => {
      request<JobStatus>(`/api/logs/export/${job.id}`).then(setJob, (e: ApiError) =>
        setError(e.message),
      )
    }, 400)
    return () => clearTimeout(t)
  }, [job])

  const start = async (format: 'csv' | 'json') => {
    setError(null)
    setJob(null)
    try {
      const { id } = await request<{ id: string }>('/api/logs/export', {
        body: { ...filters, format, mode: 'job' },
      })
      setJob({ id, status: 'running', rows: 0, bytes: 0, format, download_url: null })
    } catch (e) {
      setError((e as Error).message)
    }
  }

  return (
    <div class="export" aria-label="Export">
      <button type="button" onClick={() => void start('csv')} disabled={job?.status === 'running'}>
        Export CSV
      </button>
      <button type="button" onClick={() => void start('json')} disabled={job?.status === 'running'}>
        Export JSON
      </button>
      <span class="export-status" role="status">
        {job?.status === 'running' && `Exporting… ${fmtInt(job.rows)} rows`}
        {job?.status === 'failed' && `Export failed: ${job.error ?? 'unknown error'}`}
        {job?.status === 'done' && job.download_url && (
          <a
            href={job.download_url}
            class="download"
            onClick={(e) => {
              e.preventDefault()
              download(job.download_url!, `events.${job.format}`).catch((err: Error) =>
                setError(err.message),
              )
            }}
          >
            Download events.{job.format} ({fmtInt(job.rows)} rows)
          </a>
        )}
        {error && <span class="field-error">{error}</span>}
      </span>
    </div>
  )
}
