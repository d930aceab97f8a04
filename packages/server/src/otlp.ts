/**
 * OTLP/HTTP JSON -> threadline event v1, as pure functions: `otlpTracesToEvents` for
 * `POST /v1/traces` and `otlpLogsToEvents` for `POST /v1/logs`, plus `partialSuccess` for the
 * response body.
 *
 * Errors follow OTLP partial success: a span or log record that cannot be mapped (bad id, bad
 * timestamp, malformed attribute) is counted in `rejected` with a short reason and its
 * neighbours are kept; a body whose containers have the wrong shape throws `OtlpFormatError`,
 * which the server answers with 400.
 *
 * Mapping of the resource (shared by every record under it):
 *   service.name                                    -> service (default `unknown_service`)
 *   deployment.environment.name | deployment.environment -> environment
 *   service.version                                 -> service_version
 *   every other resource attribute                  -> attributes[`resource.<key>`]
 * The `resource.` prefix keeps resource attributes (`host.name`, `telemetry.sdk.*`, ...) apart
 * from the record's own: a record attribute never collides with one of its resource, and the
 * record's attributes come first, so when the attribute cap is reached resource ones go first.
 * The instrumentation scope goes to `otel.scope.name` and `otel.scope.version`.
 *
 * Attribute values are flattened from AnyValue to JSON values: string, boolean, double as is;
 * int64 as a number when it is a safe integer, else its decimal string; bytes as their base64
 * string; arrays and kvlists as arrays and objects. Keys stay literal (`http.route`).
 * Attributes consumed into wire fields (http, llm, identity, exception, category and event
 * overrides) are removed from `attributes`; the rest stays. Everything then goes through the
 * core sanitizer, so secrets are redacted as in native events.
 *
 * Spans: start -> timestamp, (end - start) / 1e6 -> duration_ms, name -> name and message,
 * SPAN_KIND_SERVER/CLIENT/INTERNAL -> server/client/internal (PRODUCER and CONSUMER -> internal,
 * the original under `otel.span_kind`), any `gen_ai.operation.name` or `gen_ai.usage.*` -> llm;
 * STATUS_CODE_ERROR -> status and level `error`. HTTP and GenAI semconv (stable and older names)
 * fill `http` and `llm`; the last `exception` span event fills `error`, other span events go to
 * `otel.events`. Logs: severityNumber (else severityText) -> level, body -> message,
 * `event.name` or `eventName` -> event, `exception.*` -> error. On both, `enduser.id`/`user.id`,
 * `session.id` and `threadline.org_id`/`tenant.id` fill the identity fields, and
 * `threadline.category` / `threadline.event` override the inferred category and event.
 *
 * Ids are deterministic, so a retried batch dedupes in the store: a UUIDv7-shaped string whose
 * 48-bit time is the record's timestamp (ms) and whose other bits come from a SHA-256 of the
 * span's trace and span ids, or of a log record's service, scope, time, trace and span ids,
 * severity, event name, body and attributes.
 */
import type { ThreadlineEvent } from '@threadline/core'
import { Run, list, object } from './otlp/common.js'
import type { OtlpMapOptions, OtlpMapResult } from './otlp/common.js'
import { readResource, readScope } from './otlp/values.js'
import type { ResourceInfo, ScopeInfo } from './otlp/values.js'
import { mapSpan } from './otlp/spans.js'
import { mapLog } from './otlp/logs.js'
import type { OtlpExportLogsServiceResponse, OtlpExportTraceServiceResponse } from './otlp-types.js'

export type * from './otlp-types.js'
export { DEFAULT_MAX_RECORDS, OtlpFormatError } from './otlp/common.js'
export type { OtlpMapOptions, OtlpMapResult } from './otlp/common.js'

// ---------------------------------------------------------------------------------------------
// public API

/** Map an `ExportTraceServiceRequest` (OTLP/HTTP JSON, `POST /v1/traces`) to span events. */
export function otlpTracesToEvents(body: unknown, options: OtlpMapOptions = {}): OtlpMapResult {
  return walk(body, options, ['resourceSpans', 'scopeSpans', 'spans'], mapSpan)
}

/** Map an `ExportLogsServiceRequest` (OTLP/HTTP JSON, `POST /v1/logs`) to log events. */
export function otlpLogsToEvents(body: unknown, options: OtlpMapOptions = {}): OtlpMapResult {
  return walk(body, options, ['resourceLogs', 'scopeLogs', 'logRecords'], mapLog)
}

type MapRecord = (
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
) => ThreadlineEvent

/**
 * Walk resource -> scope -> records. Containers of the wrong shape throw `OtlpFormatError`
 * (checked for a whole resource before any of its records is mapped); a resource or scope whose
 * contents cannot be read rejects every record under it; a bad record rejects only itself.
 */
function walk(
  body: unknown,
  options: OtlpMapOptions,
  [resourcesKey, scopesKey, recordsKey]: [string, string, string],
  mapRecord: MapRecord,
): OtlpMapResult {
  const run = new Run(options)
  const root = object(body, 'body')
  const resources = list(root[resourcesKey], resourcesKey)
  for (let r = 0; r < resources.length; r++) {
    const rpath = `${resourcesKey}[${r}]`
    const ro = object(resources[r], rpath)
    const scopes = list(ro[scopesKey], `${rpath}.${scopesKey}`).map((sc, i) => {
      const spath = `${rpath}.${scopesKey}[${i}]`
      const so = object(sc, spath)
      return { so, spath, records: list(so[recordsKey], `${spath}.${recordsKey}`) }
    })
    let resource: ResourceInfo
    try {
      resource = readResource(ro['resource'], `${rpath}.resource`)
    } catch (err) {
      for (const s of scopes) run.rejectMany(s.records.length, err)
      continue
    }
    for (const { so, spath, records } of scopes) {
      let scope: ScopeInfo
      try {
        scope = readScope(so['scope'], `${spath}.scope`)
      } catch (err) {
        run.rejectMany(records.length, err)
        continue
      }
      for (let i = 0; i < records.length; i++) {
        if (!run.admit(records.length - i)) break
        const path = `${spath}.${recordsKey}[${i}]`
        run.attempt(() => mapRecord(records[i], path, resource, scope, run))
      }
    }
  }
  return run.result()
}

/**
 * The OTLP response body for a mapped request: `{}` when everything was accepted, else
 * `{ partialSuccess: { rejectedSpans | rejectedLogRecords, errorMessage } }`.
 */
export function partialSuccess(
  kind: 'traces',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse
export function partialSuccess(
  kind: 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportLogsServiceResponse
export function partialSuccess(
  kind: 'traces' | 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse | OtlpExportLogsServiceResponse
export function partialSuccess(
  kind: 'traces' | 'logs',
  result: Pick<OtlpMapResult, 'rejected' | 'errors'>,
): OtlpExportTraceServiceResponse | OtlpExportLogsServiceResponse {
  if (result.rejected <= 0) return {}
  const what = kind === 'traces' ? 'span' : 'log record'
  const head = `${result.rejected} ${what}${result.rejected === 1 ? '' : 's'} rejected`
  const errorMessage = result.errors.length ? `${head}: ${result.errors.join('; ')}` : head
  return kind === 'traces'
    ? { partialSuccess: { rejectedSpans: result.rejected, errorMessage } }
    : { partialSuccess: { rejectedLogRecords: result.rejected, errorMessage } }
}
