// The read side of a Store, over a running server's query API: lets the CLI (`--server`)
// read a store that another process holds open (an embedded PGlite directory can have
// only one process at a time).
import type { ThreadlineEvent } from '@threadline/core'
import {
  StoreQueryError,
  type ErrorGroup,
  type EventFilters,
  type QueryResult,
  type StatsRow,
  type Store,
  type TraceResult,
} from '@threadline/store'

/** Filters as a query string (lists comma-joined, attributes as `attributes.key=value`). */
export function filtersToQuery(filters: object): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined) continue
    if (key === 'attributes' && value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) params.append(`attributes.${k}`, String(v))
    } else if (Array.isArray(value)) params.append(key, value.join(','))
    else if (value instanceof Date) params.append(key, value.toISOString())
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

const unavailable = (what: string) => () =>
  Promise.reject(new Error(`${what} is not available through --server; run it where the store is`))

/** A `Store` whose reads go to `baseUrl`'s query API with `apiKey`. */
export function remoteStore(baseUrl: string, apiKey?: string): Store {
  const base = baseUrl.replace(/\/+$/, '')
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`

  async function call<T>(path: string, init: RequestInit = {}): Promise<T | undefined> {
    const res = await fetch(base + path, { ...init, headers })
    if (res.status === 404 && path.startsWith('/api/logs/trace/')) return undefined
    if (!res.ok) throw await failure(res)
    return (await res.json()) as T
  }
  async function failure(res: Response): Promise<Error> {
    const body = (await res.json().catch(() => ({}))) as { field?: string; message?: string }
    if (res.status === 400 && typeof body.field === 'string')
      return new StoreQueryError(body.field, (body.message ?? '').replace(/^invalid [^:]+: /, ''))
    return new Error(`${res.status} from ${base}: ${body.message ?? res.statusText}`)
  }

  return {
    engine: 'postgres',
    schema: 'remote',
    keys: {
      create: unavailable('keys create'),
      verify: unavailable('keys'),
      list: unavailable('keys list'),
      revoke: unavailable('keys revoke'),
      activeCount: unavailable('keys'),
    },
    insert: unavailable('insert'),
    applyRetention: unavailable('retention'),
    migrate: unavailable('migrate'),
    async query(options = {}) {
      return (await call<QueryResult>('/api/logs/query', {
        method: 'POST',
        body: JSON.stringify(options),
      }))!
    },
    trace: (traceId) => call<TraceResult>(`/api/logs/trace/${encodeURIComponent(traceId)}`),
    async errors(options: EventFilters = {}) {
      return (await call<{ errors: ErrorGroup[] }>(`/api/errors${filtersToQuery(options)}`))!.errors
    },
    async stats(options = {}) {
      return (await call<{ stats: StatsRow[] }>(`/api/stats${filtersToQuery(options)}`))!.stats
    },
    async *export(options = {}) {
      const res = await fetch(`${base}/api/logs/export`, {
        method: 'POST',
        headers,
        body: JSON.stringify(options),
      })
      if (!res.ok || !res.body) throw await failure(res)
      const decoder = new TextDecoder()
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        yield decoder.decode(chunk, { stream: true })
    },
    async count() {
      const r = await call<{ total: number; events: ThreadlineEvent[] }>('/api/logs/query', {
        method: 'POST',
        body: JSON.stringify({ limit: 1, with_total: true }),
      })
      return r?.total ?? 0
    },
    async info() {
      return { engine: 'postgres', schema: 'remote', location: base, migrations: [] }
    },
    close: () => Promise.resolve(),
  }
}
