import type { Level, ThreadlineEvent } from '@threadline/core'

/** Where the events live. */
export type StoreEngine = 'pglite' | 'postgres'

export interface StoreOptions {
  /**
   * PostgreSQL connection string. When set, the store uses PostgreSQL; otherwise
   * `THREADLINE_DATABASE_URL`, then `DATABASE_URL`, then embedded PGlite.
   * @default process.env.THREADLINE_DATABASE_URL ?? process.env.DATABASE_URL
   */
  databaseUrl?: string
  /**
   * PGlite data directory, or `'memory'` for an in-memory database. Ignored on PostgreSQL.
   * @default '.threadline/data'
   */
  dataDir?: string
  /**
   * Schema holding the tables. Lower-case letters, digits and `_` only.
   * @default 'threadline'
   */
  schema?: string
  /** Pool size on PostgreSQL. @default 10 */
  poolSize?: number
  /** Apply pending migrations on open. @default true */
  migrate?: boolean
  /**
   * Rows per COPY / INSERT statement. Multi-row INSERTs are also kept under the
   * 65,535-parameter limit whatever this says.
   * @default 5000
   */
  insertChunkSize?: number
}

/** Outcome of one `insert` call: every input event is counted exactly once. */
export interface InsertResult {
  /** Rows written now. */
  inserted: number
  /** Events whose `id` (with its timestamp) was already stored: a retried batch. */
  duplicates: number
  /** Events that could not be stored, with why. The rest of the batch is kept. */
  rejected: RejectedEvent[]
  /**
   * `__proto__` and `constructor.prototype` keys dropped from the stored events (present only
   * when some were): JSON may carry them, but they are never stored or used as prototypes.
   */
  dropped_keys?: number
}

export interface RejectedEvent {
  /** Position in the input array. */
  index: number
  id: string | undefined
  reason: string
}

export type SortField =
  | 'timestamp'
  | 'level'
  | 'duration_ms'
  | 'cost_usd'
  | 'status_code'
  | 'service'
  | 'category'
  | 'event'
  | 'total_tokens'

export type SortOrder = 'asc' | 'desc'

/** A time bound: an ISO-8601 string, a Date, epoch milliseconds, or a relative `'24h'` / `'7d'` (before now). */
export type TimeInput = string | number | Date

export type ScalarValue = string | number | boolean

/**
 * Filters shared by `query`, `errors`, `stats` and `export`. Every value is bound as a
 * parameter; every list accepts one value or an array. Unknown keys are an error.
 */
export interface EventFilters {
  org_id?: string
  /** Seeds' alias: `log_types`. */
  categories?: string | string[]
  events?: string | string[]
  /** Minimum level (`warn` means warn, error and fatal). */
  level?: Level | 'critical'
  /** An exact set of levels. Seeds' alias: `severities`. */
  levels?: string | string[]
  kinds?: 'log' | 'span' | ('log' | 'span')[]
  services?: string | string[]
  environments?: string | string[]
  /** Inclusive lower bound on `timestamp`. Seeds' alias: `start_date`. */
  since?: TimeInput
  /** Exclusive upper bound on `timestamp`. Seeds' alias: `end_date`. */
  until?: TimeInput
  user_id?: string | string[]
  session_id?: string | string[]
  trace_id?: string | string[]
  request_id?: string
  resource_type?: string
  resource_id?: string
  action?: string
  models?: string | string[]
  providers?: string | string[]
  routes?: string | string[]
  methods?: string | string[]
  span_kinds?: string | string[]
  status_min?: number
  status_max?: number
  fingerprint?: string
  /** Only events with an error object or level error and above. */
  errors_only?: boolean
  /** Full-text search over message and error message (web-search syntax: `"a b" -c or d`). */
  search?: string
  /** Equality on top-level attribute keys (keys are literal: `{ 'http.route': '/x' }`). */
  attributes?: Record<string, ScalarValue>
  tags?: string | string[]
}

export interface QueryOptions extends EventFilters {
  /** @default 100 (max 10000) */
  limit?: number
  /** Offset pagination (seeds' API shape). Prefer `cursor` for deep pages. @default 0 */
  offset?: number
  /** Opaque cursor from a previous page's `next_cursor`. Stable under concurrent inserts. */
  cursor?: string
  /** Seeds' alias: `created_at` = `timestamp`. @default 'timestamp' */
  sort_by?: SortField | 'created_at'
  /** @default 'desc' */
  sort_order?: SortOrder
  /** Also count every match (costs a second query). @default false */
  with_total?: boolean
}

export interface QueryResult {
  events: ThreadlineEvent[]
  /** Pass back as `cursor` for the next page; `null` on the last page. */
  next_cursor: string | null
  limit: number
  offset: number
  /** Only when `with_total` was set. */
  total?: number
}

export interface SpanNode {
  span: ThreadlineEvent
  /** Start and end in ms since the epoch. */
  start_ms: number
  end_ms: number
  depth: number
  children: SpanNode[]
  /** Logs written while this span was active (by `span_id`), in time order. */
  logs: ThreadlineEvent[]
  /** The span's parent id names a span not in the store (lost, sampled out, another org). */
  orphan: boolean
}

export interface TraceResult {
  trace_id: string
  /** Every event of the trace, ordered by timestamp then id. */
  events: ThreadlineEvent[]
  /** Root spans (and orphans), children nested, ordered by start. */
  roots: SpanNode[]
  /** Logs whose span id names no stored span. */
  unattached_logs: ThreadlineEvent[]
  services: string[]
  start: string
  end: string
  /** From the earliest start to the latest end. */
  duration_ms: number
  /** Span ids from the root to the leaf whose chain ends last: where the time went. */
  critical_path: string[]
  span_count: number
  /** Events with level error/fatal or span status `error`. */
  error_count: number
  /**
   * Token and cost sums. Taken from spans when any span carries usage (so a log repeating
   * an LLM call's numbers is not counted twice), else from whichever events carry it.
   */
  input_tokens: number
  output_tokens: number
  total_tokens: number
  /** Summed cost; `undefined` when no counted event has one. */
  cost_usd: number | undefined
}

export interface ErrorsOptions extends EventFilters {
  /** Groups returned, most frequent first. @default 50 */
  limit?: number
  /**
   * Also count each group in this many equal slices (1-200) of the window, from `since`
   * (or the earliest first occurrence among the groups) to `until` (or now): a sparkline.
   */
  buckets?: number
}

export interface ErrorGroup {
  fingerprint: string
  type: string | null
  /** The most recent message of the group. */
  message: string | null
  category: string | null
  service: string | null
  count: number
  first_seen: string
  last_seen: string
  affected_users: number
  /** Up to 10 of the affected user ids. */
  users: string[]
  /** The trace of the most recent occurrence. */
  sample_trace_id: string | null
  /** Services the group occurred in (up to 10). */
  services: string[]
  /** Levels its events were written at, e.g. `['error']`. */
  levels: string[]
  /** With `buckets`: the group's count in each slice of the window, oldest first. */
  buckets?: number[]
  /** With `buckets`: the window the slices divide (ISO). */
  window?: { since: string; until: string }
}

export type GroupByField =
  | 'service'
  | 'category'
  | 'event'
  | 'route'
  | 'method'
  | 'status_code'
  | 'model'
  | 'provider'
  | 'user'
  | 'org'
  | 'level'
  | 'kind'
  | 'environment'

/** A field `facets` counts the values of: any `group_by` name, or `session`. */
export type FacetField = GroupByField | 'session'

export interface FacetsOptions extends EventFilters {
  /** Values returned, most frequent first. @default 50 (max 1000) */
  limit?: number
}

export interface FacetsResult {
  field: FacetField
  /** Most frequent first; events without a value are not counted. `status_code` values are numbers. */
  values: { value: string | number; count: number }[]
}

export interface SessionsOptions extends EventFilters {
  /** Sessions returned, latest activity first. @default 50 (max 1000) */
  limit?: number
}

/** One conversation (`session_id`): counted over the events that carry the session id. */
export interface SessionSummary {
  session_id: string
  /** The user of the latest event that names one. */
  user_id: string | null
  org_id: string | null
  first_seen: string
  last_seen: string
  /** Distinct trace ids: one per request or agent turn. */
  turns: number
  events: number
  /** Events at error or fatal, or spans with status `error`. */
  errors: number
  input_tokens: number
  output_tokens: number
  /** `null` when no event carries a cost. */
  cost_usd: number | null
  models: string[]
  services: string[]
}

/** A quality score an app recorded for a turn (see the store README's score convention). */
export interface SessionScore {
  name: string
  value: number
  comment: string | null
}

/** One trace of a session, in time order. Counted over every event of the trace. */
export interface SessionTurn {
  trace_id: string
  /** The turn's first event. */
  timestamp: string
  /** The root span's name, else the first event's message. */
  name: string | null
  duration_ms: number
  models: string[]
  /** Token and cost sums, counted once as in `trace()` (spans when they carry usage). */
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
  /** Time to first token of the turn's first LLM call that reports one. */
  ttft_ms: number | null
  errors: number
  /** The prompt of the turn's first LLM event, as recorded (redaction markers kept); `null` when not recorded. */
  input: unknown
  /** The completion of the turn's last LLM event, as recorded; `null` when not recorded. */
  output: unknown
  scores: SessionScore[]
}

export interface SessionDetail {
  session_id: string
  user_ids: string[]
  first_seen: string
  last_seen: string
  totals: {
    turns: number
    events: number
    errors: number
    input_tokens: number
    output_tokens: number
    cost_usd: number | null
    /** From the first event's start to the last one's end. */
    duration_ms: number
  }
  turns: SessionTurn[]
}

export interface UsersOptions extends EventFilters {
  /** Users returned, most events first. @default 50 (max 1000) */
  limit?: number
}

export interface UserSummary {
  user_id: string
  /** Server spans and HTTP request events (`category: http`, `event: request`). */
  requests: number
  events: number
  errors: number
  /** Distinct session ids. */
  sessions: number
  input_tokens: number
  output_tokens: number
  /** `null` when no event carries a cost. */
  cost_usd: number | null
  first_seen: string
  last_seen: string
}

export interface StatsOptions extends EventFilters {
  group_by?: GroupByField | GroupByField[]
  /** Time bucket: `30s`, `5m`, `1h`, `1d` ... (1 s to 31 d). */
  interval?: string
  /**
   * Rows returned: largest count first; with `interval`, in time order (then largest count),
   * and when there are more, the latest ones.
   * @default 1000
   */
  limit?: number
}

export interface StatsRow {
  /** Group values by `group_by` name (`null` where the event has none). */
  group: Record<string, string | number | null>
  /** Start of the time bucket when `interval` was given. */
  bucket?: string
  count: number
  error_count: number
  /** `error_count / count`. */
  error_rate: number
  p50_ms: number | null
  p95_ms: number | null
  p99_ms: number | null
  avg_ms: number | null
  input_tokens: number
  output_tokens: number
  cost_usd: number
}

export type ExportFormat = 'csv' | 'jsonl'

export interface ExportOptions extends EventFilters {
  format?: ExportFormat
  /** Max rows exported. @default unlimited */
  limit?: number
  /** @default 'asc' */
  sort_order?: SortOrder
}

/** A duration such as `'14d'`, `'12h'`, `'90m'`, or milliseconds. */
export type DurationInput = string | number

export interface RetentionOptions {
  /** Max age per category, e.g. `{ audit: '365d', http: '14d' }`. */
  categories?: Record<string, DurationInput>
  /** Max age of every other category. `undefined` keeps them forever. @default undefined */
  default?: DurationInput
  /** Reference time (tests). @default new Date() */
  now?: Date
  /** Rows per DELETE statement. @default 10000 */
  chunkSize?: number
  /** Report what would go (partitions, row count) without removing anything. @default false */
  dryRun?: boolean
}

export interface RetentionResult {
  /** Daily partitions dropped whole (every category in them had expired). */
  dropped_partitions: string[]
  /** Rows deleted from partitions that still hold younger categories. */
  deleted_rows: number
  /** Set when nothing was removed: the numbers say what would have been. */
  dry_run?: true
}

export interface StoreInfo {
  engine: StoreEngine
  schema: string
  /** `dataDir` for PGlite (or `memory`), the URL without its password for PostgreSQL. */
  location: string
  migrations: string[]
}

export type ApiKeyScope = 'ingest' | 'read' | 'admin'

export interface ApiKeyInfo {
  /** Public id (also inside the key: `tl_<id>_<secret>`). */
  id: string
  org_id: string
  name: string | null
  scopes: ApiKeyScope[]
  created_at: string
  revoked_at: string | null
}

export interface CreatedApiKey {
  /** The key itself: shown once, never stored (only its SHA-256 is). */
  key: string
  info: ApiKeyInfo
}

/** API keys for the server, each bound to one org. */
export interface ApiKeys {
  /** @param scopes @default ['ingest', 'read'] */
  create(options: { org_id: string; scopes?: ApiKeyScope[]; name?: string }): Promise<CreatedApiKey>
  /** The key's record when it exists and is not revoked. */
  verify(key: string): Promise<ApiKeyInfo | undefined>
  list(filter?: { org_id?: string }): Promise<ApiKeyInfo[]>
  /** Whether a live key was revoked now. */
  revoke(id: string): Promise<boolean>
  activeCount(): Promise<number>
}

/**
 * Everything that reads events: what the CLI's read commands, the query API and the console
 * need. A running server's query API implements it too (the CLI's `--server`).
 */
export interface StoreReader {
  readonly engine: StoreEngine
  readonly schema: string
  query(options?: QueryOptions): Promise<QueryResult>
  /** `org_id` scopes the lookup; another org's trace returns `undefined`. */
  trace(traceId: string, scope?: { org_id?: string }): Promise<TraceResult | undefined>
  errors(options?: ErrorsOptions): Promise<ErrorGroup[]>
  stats(options?: StatsOptions): Promise<StatsRow[]>
  /** Streams the export in chunks of text; memory stays bounded whatever the size. */
  /** Throws `StoreQueryError` when called with a bad option or filter, before any chunk. */
  export(options?: ExportOptions): AsyncIterable<string>
  /** The most frequent values of one field among the matching events (for filter menus). */
  facets(field: FacetField, options?: FacetsOptions): Promise<FacetsResult>
  /** Sessions (`session_id`), latest activity first. */
  sessions(options?: SessionsOptions): Promise<SessionSummary[]>
  /** One session turn by turn; `org_id` scopes it, `undefined` when it has no events there. */
  session(sessionId: string, scope?: { org_id?: string }): Promise<SessionDetail | undefined>
  /** Users, most events first. */
  users(options?: UsersOptions): Promise<UserSummary[]>
  /** Count of stored events (all orgs). */
  count(): Promise<number>
  info(): Promise<StoreInfo>
  /** Release connections. */
  close(): Promise<void>
}

/** Everything that changes the store or administers it. */
export interface StoreWriter {
  insert(events: readonly ThreadlineEvent[]): Promise<InsertResult>
  applyRetention(options: RetentionOptions): Promise<RetentionResult>
  /** Apply pending migrations (done on open unless `migrate: false`). Returns the ids applied now. */
  migrate(): Promise<string[]>
  readonly keys: ApiKeys
  /** Integrations (forwarding to vendors), for the server. */
  readonly integrations: Integrations
  close(): Promise<void>
}

/** An open store: the reader and the writer over one database. */
export interface Store extends StoreReader, StoreWriter {}

/** An integration's event filters; an empty list matches anything. */
export interface IntegrationFilters {
  categories: string[]
  levels: string[]
  services: string[]
}

/** One stored integration. `credentials_encrypted` is opaque to the store. */
export interface IntegrationRecord {
  id: string
  /** `null` in local mode. */
  org_id: string | null
  name: string
  integration_type: string
  config: Record<string, unknown>
  credentials_encrypted: string | null
  credentials_hint: string | null
  enabled: boolean
  filters: IntegrationFilters
  created_at: string
  updated_at: string
}

export interface IntegrationInput {
  org_id?: string | null
  name: string
  integration_type: string
  config?: Record<string, unknown>
  credentials_encrypted?: string | null
  credentials_hint?: string | null
  enabled?: boolean
  filters?: Partial<IntegrationFilters>
}

export type IntegrationPatch = Partial<
  Pick<
    IntegrationInput,
    'name' | 'config' | 'credentials_encrypted' | 'credentials_hint' | 'enabled' | 'filters'
  >
>

/** `org_id` set: only that org's integrations; absent: all (local mode). */
export interface IntegrationScope {
  org_id?: string
}

/** Integrations, org-scoped: another org's integration is not found. */
export interface Integrations {
  create(input: IntegrationInput): Promise<IntegrationRecord>
  /** Newest first. */
  list(scope?: IntegrationScope): Promise<IntegrationRecord[]>
  /** Every org's, for the server's forwarding. */
  all(): Promise<IntegrationRecord[]>
  get(id: string, scope?: IntegrationScope): Promise<IntegrationRecord | undefined>
  update(
    id: string,
    patch: IntegrationPatch,
    scope?: IntegrationScope,
  ): Promise<IntegrationRecord | undefined>
  delete(id: string, scope?: IntegrationScope): Promise<boolean>
}
