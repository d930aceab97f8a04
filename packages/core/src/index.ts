export type * from './types.js'
export { LEVELS, LEVEL_VALUES, toLevel } from './levels.js'
export {
  getContext,
  runWithContext,
  withBindings,
  setBindings,
  withContentMode,
  enterContext,
  otelSpanContext,
} from './context.js'
export type { ThreadlineContext, ContextInput } from './context.js'
export {
  parseTraceparent,
  formatTraceparent,
  parseTracestate,
  isValidTraceId,
  isValidSpanId,
} from './traceparent.js'
export type { TraceParent } from './traceparent.js'
export { newTraceId, newSpanId, uuidv7 } from './ids.js'
export { createLogger } from './logger.js'
export type { Logger, LoggerOptions, GenerationFields, HttpFields } from './logger.js'
export { isCancellation } from './span.js'
export type { Span, SpanOptions, TracedOptions } from './span.js'
export { normalizeEvent } from './normalize.js'
export type { NormalizeOptions, Resource } from './normalize.js'
export { createSanitizer, DEFAULT_REDACT_KEYS, CONTENT_KEYS } from './sanitize.js'
export type {
  RedactionOptions,
  LimitOptions,
  ContentOptions,
  Sanitizer,
  SanitizerOptions,
} from './sanitize.js'
export { createValueScanner, luhnValid, SECRET_PATTERNS, ALL_PATTERNS } from './patterns.js'
export type { PatternName, ValuePattern } from './patterns.js'
export { toErrorInfo, errorFingerprint, ThreadlineConfigError } from './errors.js'
export { createPipeline, serializeEvent, DEFAULT_BATCH } from './pipeline.js'
export type { Pipeline, PipelineOptions } from './pipeline.js'
export { consoleExporter, formatPretty, escapeForTerminal } from './exporters/console.js'
export type { ConsoleExporterOptions } from './exporters/console.js'
export { fileExporter } from './exporters/file.js'
export type { FileExporterOptions } from './exporters/file.js'
export { httpExporter } from './exporters/http.js'
export type { HttpExporterOptions } from './exporters/http.js'
export { memoryExporter } from './exporters/memory.js'
export { datadogExporter } from './exporters/datadog.js'
export type { DatadogExporterOptions } from './exporters/datadog.js'
export { splunkExporter } from './exporters/splunk.js'
export type { SplunkExporterOptions } from './exporters/splunk.js'
export { cloudwatchExporter } from './exporters/cloudwatch.js'
export type { CloudWatchExporterOptions, AwsCredentials } from './exporters/cloudwatch.js'
export { webhookExporter, verifyWebhookSignature } from './exporters/webhook.js'
export type { WebhookExporterOptions } from './exporters/webhook.js'
export type {
  VendorCommonOptions,
  VendorExporter,
  VendorExporterStats,
} from './exporters/intake.js'
export type { BreakerOptions, BreakerState } from './exporters/shared.js'
export {
  vendorExporter,
  VENDOR_TYPES,
  VENDOR_CONFIG_KEYS,
  VENDOR_CREDENTIAL_KEYS,
} from './exporters/vendor.js'
export type { VendorType } from './exporters/vendor.js'
export { withDiskSpool } from './exporters/spool.js'
export type { DiskSpoolOptions, SpoolStats, SpoolControls } from './exporters/spool.js'
export type { MemoryExporter, MemoryExporterOptions } from './exporters/memory.js'
export { costOf, createPriceTable, setPrices, DEFAULT_PRICES, PRICES_AS_OF } from './pricing.js'
export type { ModelPrice, PriceTable, TokenUsage } from './pricing.js'
export { normalizeAnthropicUsage, normalizeOpenAIUsage } from './usage.js'
export type { NormalizedUsage } from './usage.js'
export { diag, safeCall } from './diag.js'
export type { DiagLevel, DiagListener } from './diag.js'
export { getLogger, setDefaultLogger, startSpan, span, traced } from './default.js'
export {
  startHttpServerSpan,
  resolveHttpOptions,
  defaultLevel,
  extractTraceContext,
  traceHeaders,
  validRequestId,
  pathOf,
  instrumentFetch,
} from './http.js'
export type {
  HttpServerOptions,
  HttpServerScope,
  HttpServerMetrics,
  IncomingRequest,
  RequestOutcome,
  ResolvedHttpOptions,
  HeaderBag,
  InstrumentFetchOptions,
} from './http.js'
