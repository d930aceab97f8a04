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
