/**
 * Public types of @threadline/core. The event types mirror the wire schema
 * (threadline event v1, `schema/event.v1.json`) exactly: snake_case fields,
 * optional fields absent rather than undefined or zero.
 */

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
/** Levels accepted on input: `critical` is an alias of `fatal`. */
export type LevelInput = Level | 'critical' | 'warning' | 'err'

export type EventKind = 'log' | 'span'
export type SpanKind =
  'server' | 'client' | 'internal' | 'llm' | 'chain' | 'tool' | 'retriever' | 'agent' | 'embedding'
export type SpanStatus = 'ok' | 'error' | 'cancelled'
export type HttpOutcome = 'completed' | 'errored' | 'aborted'
export type Action = 'create' | 'read' | 'update' | 'delete' | 'execute' | 'search' | (string & {})

export interface HttpInfo {
  method?: string
  /** Route template (`/users/:id`), never the raw path. */
  route?: string
  /** Path without the query string. */
  path?: string
  status_code?: number
  outcome?: HttpOutcome
  request_bytes?: number
  response_bytes?: number
  client_address?: string
  user_agent?: string
}

export interface LlmInfo {
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
  usage_source?: 'reported' | 'estimated' | (string & {})
}

export interface ErrorInfo {
  type: string
  message: string
  stack?: string
  /** Stable hash of type, normalized message and top stack frames, for grouping. */
  fingerprint: string
}

export type Attributes = Record<string, unknown>

/** One threadline event v1, as it travels on the wire. */
export interface ThreadlineEvent {
  id: string
  kind: EventKind
  timestamp: string
  level: Level
  message: string
  service: string
  environment?: string
  service_version?: string
  category?: string
  event?: string
  trace_id?: string
  span_id?: string
  parent_span_id?: string
  trace_flags?: string
  request_id?: string
  org_id?: string
  user_id?: string
  session_id?: string
  resource_type?: string
  resource_id?: string
  action?: Action
  duration_ms?: number
  cost_usd?: number
  http?: HttpInfo
  llm?: LlmInfo
  error?: ErrorInfo
  attributes?: Attributes
  tags?: string[]
  /** Span only. */
  name?: string
  span_kind?: SpanKind
  status?: SpanStatus
}

/** A log event. */
export type LogEvent = ThreadlineEvent & { kind: 'log' }
/** A span event: emitted once, when the span ends. */
export type SpanEvent = ThreadlineEvent & {
  kind: 'span'
  name: string
  span_kind: SpanKind
  status: SpanStatus
  duration_ms: number
  trace_id: string
  span_id: string
}

/**
 * What callers may pass: any subset of the event, any extra keys (moved under
 * `attributes`), an `err`/`error` that may be an Error, and looser levels.
 */
export interface EventInput {
  [key: string]: unknown
  level?: LevelInput | (string & {})
  message?: unknown
  msg?: unknown
  error?: unknown
  err?: unknown
  attributes?: Record<string, unknown>
  tags?: unknown
}

/** The fields every event in a scope inherits (context bindings, logger bindings). */
export interface Bindings {
  [key: string]: unknown
  user_id?: string
  org_id?: string
  session_id?: string
  request_id?: string
}

/** A serialized event ready for export: the event and its JSON line (no trailing newline). */
export interface ExportRecord {
  readonly event: ThreadlineEvent
  readonly json: string
}

export type ExportResult =
  | {
      ok: true
      /**
       * Events of the batch the destination refused as invalid (a partial success): counted
       * as dropped with reason `rejected`, the rest of the batch as delivered. @default 0
       */
      rejected?: number
    }
  | {
      ok: false
      error: unknown
      retryable?: boolean
      /** Drop reason counted for the batch. @default "exporter_error" */ reason?: string
      /**
       * Events of the batch that did reach the destination before the failure (a batch sent
       * in parts): counted as delivered, not dropped. @default 0
       */
      delivered?: number
      /** Events of the delivered part the destination refused as invalid (reason `rejected`). @default 0 */
      rejected?: number
    }

/**
 * An exporter receives batches from the pipeline, one export at a time.
 * It must not throw; a rejected promise or `{ ok: false }` counts the batch as
 * dropped with reason `exporter_error`.
 */
export interface Exporter {
  readonly name: string
  export(batch: readonly ExportRecord[]): Promise<ExportResult> | ExportResult
  /** Write a batch synchronously, used only from `process.on('exit')`. */
  exportSync?(batch: readonly ExportRecord[]): void
  /** Flush buffers held inside the exporter. */
  forceFlush?(): Promise<void>
  shutdown?(): Promise<void>
  /** Batching hints for this exporter's processor (user options win). */
  readonly batching?: Partial<BatchOptions>
}

export interface BatchOptions {
  /** Max events held for this exporter before new ones are dropped (`queue_full`). @default 20000 */
  maxQueueSize: number
  /** Max bytes (JSON) held for this exporter before new ones are dropped. @default 33554432 (32 MiB) */
  maxQueueBytes: number
  /** Max events handed to one export call. @default 512 */
  maxBatchSize: number
  /** Export at least this often while events wait. @default 1000 */
  flushIntervalMs: number
  /** An export running longer than this is counted as failed (`export_timeout`). @default 30000 */
  exportTimeoutMs: number
}

export type DropReason =
  | 'queue_full'
  | 'too_large'
  | 'exporter_error'
  | 'export_timeout'
  | 'shutdown'
  | 'retry_exhausted'
  | 'invalid'
  | 'rejected'
  | (string & {})

export interface ExporterStats {
  name: string
  delivered: number
  dropped: Record<string, number>
  /** Waiting plus in flight. */
  queued: number
  queuedBytes: number
}

export interface PipelineStats {
  /** Events accepted by the pipeline (each counted once, whatever the number of exporters). */
  emitted: number
  /** Events dropped before any exporter saw them (`too_large`, `invalid`, `shutdown`). */
  dropped: Record<string, number>
  exporters: ExporterStats[]
}

export type ContentMode = 'off' | 'hash' | 'truncate' | 'mask' | 'full'

export type Censor = string | ((value: unknown, path: readonly string[]) => unknown)
