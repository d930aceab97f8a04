// The query API answers with the store's own result types serialised as JSON (they hold only
// strings, numbers, arrays and plain objects), so the console reads them with those types.
// Type-only imports: nothing of the store or core is bundled but the filter vocabulary.
import type { ThreadlineEvent } from '@threadline/core'

export type {
  ErrorGroup,
  FacetsResult as Facet,
  QueryResult,
  SessionDetail,
  SessionSummary,
  SessionTurn as Turn,
  SpanNode,
  StatsRow,
  TraceResult,
  UserSummary as UserRow,
} from '@threadline/store'

export type Ev = ThreadlineEvent

/** `GET /api/info`. */
export interface ServerInfo {
  mode: 'keys' | 'local'
  engine: string
  version?: string
}

/** An integration as `/api/logs/integrations` shows it (credentials only as a hint). */
export interface Integration {
  id: string
  name: string
  integration_type: string
  config: Record<string, unknown>
  credentials_hint: string | null
  enabled: boolean
  filters: { categories: string[]; levels: string[]; services: string[] }
  created_at: string
  updated_at: string
  stats: {
    delivered: number
    dropped: Record<string, number>
    queued: number
    breaker: 'closed' | 'open' | 'half_open'
    last_error: string | null
    last_error_at: string | null
    last_success_at: string | null
    spooled: number
  }
}

/** `POST /api/logs/integrations/:id/test`. */
export interface IntegrationTest {
  ok: boolean
  status: number | null
  message: string
  duration_ms: number
}
