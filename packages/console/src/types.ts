// The query API's answers, as the console reads them (see the server README).

export interface Ev {
  id: string
  kind: 'log' | 'span'
  timestamp: string
  level: string
  message: string
  service: string
  category?: string
  event?: string
  environment?: string
  trace_id?: string
  span_id?: string
  parent_span_id?: string
  request_id?: string
  org_id?: string
  user_id?: string
  session_id?: string
  name?: string
  span_kind?: string
  status?: string
  duration_ms?: number
  cost_usd?: number
  http?: Record<string, string | number | undefined>
  llm?: {
    provider?: string
    model?: string
    operation?: string
    input_tokens?: number
    output_tokens?: number
    total_tokens?: number
    cache_read_tokens?: number
    cache_write_tokens?: number
    reasoning_tokens?: number
    ttft_ms?: number
    usage_source?: string
  }
  error?: { type?: string; message?: string; stack?: string; fingerprint?: string }
  attributes?: Record<string, unknown>
  tags?: string[]
}

export interface QueryResult {
  events: Ev[]
  next_cursor: string | null
  total?: number
}

export interface SpanNode {
  span: Ev
  start_ms: number
  end_ms: number
  depth: number
  children: SpanNode[]
  logs: Ev[]
  orphan: boolean
}

export interface TraceResult {
  trace_id: string
  events: Ev[]
  roots: SpanNode[]
  unattached_logs: Ev[]
  services: string[]
  start: string
  end: string
  duration_ms: number
  critical_path: string[]
  span_count: number
  error_count: number
  input_tokens: number
  output_tokens: number
  total_tokens: number
  cost_usd: number | null | undefined
}

export interface StatsRow {
  group: Record<string, string | number | null>
  bucket?: string
  count: number
  error_count: number
  error_rate: number
  p50_ms: number | null
  p95_ms: number | null
  p99_ms: number | null
  avg_ms: number | null
  input_tokens: number
  output_tokens: number
  cost_usd: number
}

export interface ErrorGroup {
  fingerprint: string
  type: string | null
  message: string | null
  category: string | null
  service: string | null
  count: number
  first_seen: string
  last_seen: string
  affected_users: number
  users: string[]
  sample_trace_id: string | null
  buckets?: number[]
}

export interface Facet {
  field: string
  values: { value: string | number; count: number }[]
}

export interface SessionSummary {
  session_id: string
  user_id: string | null
  org_id: string | null
  first_seen: string
  last_seen: string
  turns: number
  events: number
  errors: number
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
  models: string[]
  services: string[]
}

export interface Turn {
  trace_id: string
  timestamp: string
  name: string | null
  duration_ms: number | null
  models: string[]
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
  ttft_ms: number | null
  errors: number
  input: unknown
  output: unknown
  scores: { name: string; value: number; comment?: string | null }[]
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
    duration_ms: number | null
  }
  turns: Turn[]
}

export interface UserRow {
  user_id: string
  requests: number
  events: number
  errors: number
  sessions: number
  input_tokens: number
  output_tokens: number
  cost_usd: number | null
  first_seen: string
  last_seen: string
}

export interface ServerInfo {
  mode: 'keys' | 'local'
  engine: string
  version?: string
}
