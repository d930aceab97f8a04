import type { ComponentChildren } from 'preact'
import type { ApiError } from '../api.js'

export function ErrorBox({ error, retry }: { error: ApiError; retry?: () => void }) {
  return (
    <div class="state error-state" role="alert">
      <strong>
        {error.status === 0 ? 'Cannot reach the server' : `The server answered ${error.status}`}
      </strong>
      <p>
        {error.message}
        {error.field ? ` (field: ${error.field})` : ''}
      </p>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  )
}

export function Empty({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="state empty-state">
      <strong>{title}</strong>
      {children}
    </div>
  )
}

/** Placeholder rows of the final size, so content arriving does not move the page. */
export function Skeleton({ rows = 6, height = 28 }: { rows?: number; height?: number }) {
  return (
    <div class="skeleton" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} class="skeleton-row" style={{ height: `${height}px` }} />
      ))}
    </div>
  )
}

export function FirstEvent() {
  const origin = location.origin
  // a complete event: the native endpoint stores events as they are sent (core builds them)
  const example = JSON.stringify({
    events: [
      {
        id: crypto.randomUUID?.() ?? '01937a4c-0000-7000-8000-000000000001',
        kind: 'log',
        timestamp: new Date().toISOString(),
        level: 'info',
        message: 'hello',
        service: 'api',
      },
    ],
  })
  return (
    <Empty title="No events yet">
      <p>Send the first one from an app with core's HTTP exporter:</p>
      <pre class="code">{`import { createLogger, httpExporter } from '@threadline/core'
const log = createLogger({ service: 'api', exporters: [httpExporter({ url: '${origin}' })] })
log.info('hello from api')`}</pre>
      <p>or from a shell:</p>
      <pre class="code">{`curl -X POST ${origin}/v1/events -H 'content-type: application/json' \\
  -d '${example}'`}</pre>
      <p>
        OpenTelemetry SDKs can send OTLP/HTTP to {origin}/v1/traces and {origin}/v1/logs. Run{' '}
        <code>pnpm demo</code> in the repository for a day's worth of examples.
      </p>
    </Empty>
  )
}
