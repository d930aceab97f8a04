// The read side of a store over a running server's query API: lets the CLI (`--server`)
// read a store that another process holds open (an embedded PGlite directory can have
// only one process at a time), or a server elsewhere.
import type { ThreadlineEvent } from '@threadline/core'
import {
  StoreQueryError,
  type ErrorGroup,
  type FacetsResult,
  type QueryResult,
  type SessionDetail,
  type SessionSummary,
  type StatsRow,
  type StoreEngine,
  type StoreReader,
  type TraceResult,
  type UserSummary,
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

/**
 * A `StoreReader` whose reads go to `baseUrl`'s query API with `apiKey` (scoped to the
 * key's org). Asks the server's `/api/info` first, so an unreachable server or a wrong URL
 * fails here, with the address.
 */
export async function remoteStore(baseUrl: string, apiKey?: string): Promise<StoreReader> {
  const base = baseUrl.replace(/\/+$/, '')
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (apiKey) headers.authorization = `Bearer ${apiKey}`

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(base + path, { ...init, headers })
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message
      throw new Error(`cannot reach the server at ${base}${cause ? `: ${cause}` : ''}`)
    }
  }
  /** The JSON answer; `undefined` on a 404 when `missing` allows it. */
  async function call<T>(path: string, init: RequestInit = {}, missing = false) {
    const res = await request(path, init)
    if (res.status === 404 && missing) return undefined
    if (!res.ok) throw await failure(res)
    return (await res.json()) as T
  }
  async function failure(res: Response): Promise<Error> {
    const body = (await res.json().catch(() => ({}))) as { field?: string; message?: string }
    if (res.status === 400 && typeof body.field === 'string')
      return new StoreQueryError(body.field, (body.message ?? '').replace(/^invalid [^:]+: /, ''))
    return new Error(`${res.status} from ${base}: ${body.message ?? res.statusText}`)
  }
  const get = async <T>(path: string): Promise<T> => (await call<T>(path))!

  const info = await get<{ mode: string; engine: StoreEngine; version: string }>('/api/info')

  return {
    engine: info.engine,
    schema: 'remote',
    async query(options = {}) {
      return (await call<QueryResult>('/api/logs/query', {
        method: 'POST',
        body: JSON.stringify(options),
      }))!
    },
    trace: (traceId) =>
      call<TraceResult>(`/api/logs/trace/${encodeURIComponent(traceId)}`, {}, true),
    errors: async (options = {}) =>
      (await get<{ errors: ErrorGroup[] }>(`/api/errors${filtersToQuery(options)}`)).errors,
    stats: async (options = {}) =>
      (await get<{ stats: StatsRow[] }>(`/api/stats${filtersToQuery(options)}`)).stats,
    facets: (field, options = {}) =>
      get<FacetsResult>(`/api/facets${filtersToQuery({ field, ...options })}`),
    sessions: async (options = {}) =>
      (await get<{ sessions: SessionSummary[] }>(`/api/sessions${filtersToQuery(options)}`))
        .sessions,
    session: (sessionId) =>
      call<SessionDetail>(`/api/sessions/${encodeURIComponent(sessionId)}`, {}, true),
    users: async (options = {}) =>
      (await get<{ users: UserSummary[] }>(`/api/users${filtersToQuery(options)}`)).users,
    async *export(options = {}) {
      const res = await request('/api/logs/export', {
        method: 'POST',
        body: JSON.stringify(options),
      })
      if (!res.ok || !res.body) throw await failure(res)
      const decoder = new TextDecoder()
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        yield decoder.decode(chunk, { stream: true })
      const tail = decoder.decode()
      if (tail) yield tail
    },
    async count() {
      const r = await call<{ total: number; events: ThreadlineEvent[] }>('/api/logs/query', {
        method: 'POST',
        body: JSON.stringify({ limit: 1, with_total: true }),
      })
      return r?.total ?? 0
    },
    async info() {
      return { engine: info.engine, schema: 'remote', location: base, migrations: [] }
    },
    close: () => Promise.resolve(),
  }
}
