/**
 * The OTLP/HTTP JSON request bodies accepted by the collector (OTLP 1.x, the protobuf JSON
 * mapping with the OTLP exceptions: trace and span ids are hex strings, enums are integers or
 * their names, 64-bit integers are decimal strings or numbers). Every field is optional here:
 * the mapper checks shapes itself and rejects what does not fit.
 */

/** One value: exactly one of the fields is set; none set means an empty value. */
export interface OtlpAnyValue {
  stringValue?: string
  boolValue?: boolean
  /** int64: a decimal string or a number. */
  intValue?: string | number
  /** A number, or `"NaN"`, `"Infinity"`, `"-Infinity"`. */
  doubleValue?: number | string
  arrayValue?: { values?: OtlpAnyValue[] }
  kvlistValue?: { values?: OtlpKeyValue[] }
  /** Base64. */
  bytesValue?: string
}

export interface OtlpKeyValue {
  key: string
  value?: OtlpAnyValue
}

export interface OtlpResource {
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

export interface OtlpInstrumentationScope {
  name?: string
  version?: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

/** Nanoseconds since the Unix epoch (fixed64): a decimal string or a number. */
export type OtlpNanos = string | number

export interface OtlpSpanEvent {
  timeUnixNano?: OtlpNanos
  name?: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
}

export interface OtlpSpanLink {
  traceId?: string
  spanId?: string
  traceState?: string
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  flags?: number
}

/** `SPAN_KIND_*`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type OtlpSpanKind =
  | 0
  | 1
  | 2
  | 3
  | 4
  | 5
  | 'SPAN_KIND_UNSPECIFIED'
  | 'SPAN_KIND_INTERNAL'
  | 'SPAN_KIND_SERVER'
  | 'SPAN_KIND_CLIENT'
  | 'SPAN_KIND_PRODUCER'
  | 'SPAN_KIND_CONSUMER'

/** `STATUS_CODE_*`: 0 unset, 1 ok, 2 error. */
export type OtlpStatusCode =
  0 | 1 | 2 | 'STATUS_CODE_UNSET' | 'STATUS_CODE_OK' | 'STATUS_CODE_ERROR'

export interface OtlpSpan {
  traceId?: string
  spanId?: string
  traceState?: string
  parentSpanId?: string
  /** W3C trace flags in the low 8 bits. */
  flags?: number
  name?: string
  kind?: OtlpSpanKind
  startTimeUnixNano?: OtlpNanos
  endTimeUnixNano?: OtlpNanos
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  events?: OtlpSpanEvent[]
  droppedEventsCount?: number
  links?: OtlpSpanLink[]
  droppedLinksCount?: number
  status?: { code?: OtlpStatusCode; message?: string }
}

export interface OtlpScopeSpans {
  scope?: OtlpInstrumentationScope
  spans?: OtlpSpan[]
  schemaUrl?: string
}

export interface OtlpResourceSpans {
  resource?: OtlpResource
  scopeSpans?: OtlpScopeSpans[]
  schemaUrl?: string
}

/** `POST /v1/traces`. */
export interface OtlpExportTraceServiceRequest {
  resourceSpans?: OtlpResourceSpans[]
}

export interface OtlpLogRecord {
  timeUnixNano?: OtlpNanos
  observedTimeUnixNano?: OtlpNanos
  /** 1-24 (`SEVERITY_NUMBER_TRACE` .. `SEVERITY_NUMBER_FATAL4`), or the enum name. */
  severityNumber?: number | string
  severityText?: string
  body?: OtlpAnyValue
  attributes?: OtlpKeyValue[]
  droppedAttributesCount?: number
  flags?: number
  traceId?: string
  spanId?: string
  eventName?: string
}

export interface OtlpScopeLogs {
  scope?: OtlpInstrumentationScope
  logRecords?: OtlpLogRecord[]
  schemaUrl?: string
}

export interface OtlpResourceLogs {
  resource?: OtlpResource
  scopeLogs?: OtlpScopeLogs[]
  schemaUrl?: string
}

/** `POST /v1/logs`. */
export interface OtlpExportLogsServiceRequest {
  resourceLogs?: OtlpResourceLogs[]
}

/** The response body of `POST /v1/traces` (`ExportTraceServiceResponse`). */
export interface OtlpExportTraceServiceResponse {
  partialSuccess?: { rejectedSpans: number; errorMessage: string }
}

/** The response body of `POST /v1/logs` (`ExportLogsServiceResponse`). */
export interface OtlpExportLogsServiceResponse {
  partialSuccess?: { rejectedLogRecords: number; errorMessage: string }
}
