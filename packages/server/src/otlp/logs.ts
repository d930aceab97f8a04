// OTLP log records to log events.
import { isValidSpanId, isValidTraceId, toLevel } from '@threadline/core'
import type { Level, ThreadlineEvent } from '@threadline/core'
import { RecordError, Run, VALUE_BUDGET, isObject, optString } from './common.js'
import {
  Attrs,
  SEVERITY_NAMES,
  anyValue,
  attributeMap,
  enumValue,
  hexId,
  nanos,
  nanosToMs,
  severityLevel,
  stableId,
  traceFlags,
} from './values.js'
import type { Budget, ResourceInfo, ScopeInfo } from './values.js'
import { baseEvent, errorInfo, exceptionOf, finishAttributes, identity, text } from './fields.js'

// ---------------------------------------------------------------------------------------------
// logs

export function mapLog(
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
): ThreadlineEvent {
  if (!isObject(raw)) throw new RecordError(path, 'expected a log record object')
  const s = run.s
  const time =
    nanos(raw['timeUnixNano'], `${path}.timeUnixNano`) ??
    nanos(raw['observedTimeUnixNano'], `${path}.observedTimeUnixNano`)
  const ms = time !== undefined ? nanosToMs(time) : run.now.getTime()
  if (!Number.isFinite(ms)) throw new RecordError(path, 'no usable time')

  // ids are optional on a log record: a malformed one is dropped, not fatal
  let trace_id: string | undefined
  let span_id: string | undefined
  try {
    const t = hexId(raw['traceId'], 32, '')
    if (isValidTraceId(t)) {
      trace_id = t
      const sp = hexId(raw['spanId'], 16, '')
      if (isValidSpanId(sp)) span_id = sp
    }
  } catch {
    // keep what parsed
  }

  const sevRaw = raw['severityNumber']
  const sevNum =
    sevRaw === undefined || sevRaw === null
      ? undefined
      : enumValue(sevRaw, SEVERITY_NAMES, 'SEVERITY_NUMBER_')
  const sevText = optString(raw['severityText'], `${path}.severityText`)
  const eventName = optString(raw['eventName'], `${path}.eventName`)

  const budget: Budget = { n: VALUE_BUDGET }
  const body = anyValue(raw['body'], `${path}.body`, 0, budget)
  const map = attributeMap(raw['attributes'], `${path}.attributes`, budget)
  const id = stableId(
    ms,
    JSON.stringify([
      'log',
      resource.service,
      scope.name ?? '',
      time?.toString() ?? '',
      trace_id ?? '',
      span_id ?? '',
      sevNum ?? null,
      sevText ?? null,
      eventName ?? null,
      body,
      [...map],
    ]),
  )
  const a = new Attrs(map)
  const extra: [string, unknown][] = []

  const exception = exceptionOf(a)
  const level: Level =
    severityLevel(sevNum) ??
    (sevText !== undefined ? toLevel(sevText) : undefined) ??
    (exception ? 'error' : 'info')
  const e = baseEvent('log', id, ms, level, resource, s)
  if (trace_id !== undefined) e.trace_id = trace_id
  if (span_id !== undefined) e.span_id = span_id
  const flags = trace_id !== undefined ? traceFlags(raw['flags']) : undefined
  if (flags !== undefined) e.trace_flags = flags

  const evName = a.str('event.name') ?? (eventName || undefined)
  const explicitEvent = a.str('threadline.event')
  if (explicitEvent !== undefined && evName !== undefined) extra.push(['event.name', evName])
  e.category = s.string(a.str('threadline.category') ?? 'otel', 256)
  e.event = s.string(explicitEvent ?? evName ?? 'log', 256)
  identity(e, a, resource, s)
  if (exception) e.error = errorInfo(exception, s)

  let message = body === null ? '' : text(body)
  if (!message) message = exception?.message || evName || ''
  e.message = s.string(message)

  finishAttributes(e, a, extra, scope, resource, s)
  return e
}
