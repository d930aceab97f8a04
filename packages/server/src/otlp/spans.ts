// OTLP spans to span events.
import { isValidSpanId, isValidTraceId } from '@threadline/core'
import type {
  HttpInfo,
  Level,
  LlmInfo,
  Sanitizer,
  SpanKind,
  SpanStatus,
  ThreadlineEvent,
  TokenUsage,
} from '@threadline/core'
import {
  MAX_KEPT_EVENTS,
  MAX_SPAN_EVENTS,
  RecordError,
  Run,
  VALUE_BUDGET,
  isObject,
  optString,
  recordList,
} from './common.js'
import type { Obj } from './common.js'
import {
  Attrs,
  SPAN_KIND_NAMES,
  STATUS_NAMES,
  attributeMap,
  enumValue,
  hexId,
  isoOf,
  nanos,
  nanosToMs,
  requiredSpanId,
  requiredTraceId,
  stableId,
  traceFlags,
} from './values.js'
import type { Budget, ResourceInfo, ScopeInfo } from './values.js'
import { baseEvent, errorInfo, exceptionOf, finishAttributes, identity } from './fields.js'
import type { RawError } from './fields.js'

// ---------------------------------------------------------------------------------------------
// spans

export function mapSpan(
  raw: unknown,
  path: string,
  resource: ResourceInfo,
  scope: ScopeInfo,
  run: Run,
): ThreadlineEvent {
  if (!isObject(raw)) throw new RecordError(path, 'expected a span object')
  const s = run.s
  const trace_id = requiredTraceId(raw['traceId'], `${path}.traceId`)
  const span_id = requiredSpanId(raw['spanId'], `${path}.spanId`)
  const parent = hexId(raw['parentSpanId'], 16, `${path}.parentSpanId`)
  const name = raw['name']
  if (typeof name !== 'string') throw new RecordError(`${path}.name`, 'expected a string')
  const start = nanos(raw['startTimeUnixNano'], `${path}.startTimeUnixNano`)
  if (start === undefined) throw new RecordError(`${path}.startTimeUnixNano`, 'required')
  const end = nanos(raw['endTimeUnixNano'], `${path}.endTimeUnixNano`)
  if (end === undefined) throw new RecordError(`${path}.endTimeUnixNano`, 'required')
  if (end < start) throw new RecordError(`${path}.endTimeUnixNano`, 'before startTimeUnixNano')

  const budget: Budget = { n: VALUE_BUDGET }
  const a = new Attrs(attributeMap(raw['attributes'], `${path}.attributes`, budget))
  const extra: [string, unknown][] = []

  // kind and status
  const kindNum = enumValue(raw['kind'], SPAN_KIND_NAMES, 'SPAN_KIND_')
  let status: SpanStatus = 'ok'
  let statusMessage: string | undefined
  const st = raw['status']
  if (st !== undefined && st !== null) {
    if (!isObject(st)) throw new RecordError(`${path}.status`, 'expected an object')
    if (enumValue(st['code'], STATUS_NAMES, 'STATUS_CODE_') === 2) status = 'error'
    statusMessage = optString(st['message'], `${path}.status.message`) || undefined
  }

  // span events: the last exception becomes `error`, the others are kept under `otel.events`
  let exception: RawError | undefined
  const kept: Obj[] = []
  let truncated = false
  const events = recordList(raw['events'], `${path}.events`)
  const nEvents = Math.min(events.length, MAX_SPAN_EVENTS)
  for (let i = 0; i < nEvents; i++) {
    const epath = `${path}.events[${i}]`
    const ev = events[i]
    if (!isObject(ev)) throw new RecordError(epath, 'expected an object')
    const evName = optString(ev['name'], `${epath}.name`) ?? ''
    const time = nanos(ev['timeUnixNano'], `${epath}.timeUnixNano`)
    const ea = new Attrs(attributeMap(ev['attributes'], `${epath}.attributes`, budget))
    if (evName === 'exception') {
      const x = exceptionOf(ea)
      if (x) {
        exception = x
        continue
      }
    }
    if (kept.length >= MAX_KEPT_EVENTS) truncated = true
    else {
      const out: Obj = { name: evName }
      if (time !== undefined) out['time'] = isoOf(nanosToMs(time))
      if (ea.map.size > 0) out['attributes'] = Object.fromEntries(ea.map)
      kept.push(out)
    }
  }
  if (kept.length) extra.push(['otel.events', kept])
  if (truncated || events.length > nEvents) extra.push(['otel.events_truncated', true])

  const links = recordList(raw['links'], `${path}.links`)
  const keptLinks: Obj[] = []
  for (let i = 0; i < links.length && keptLinks.length < MAX_KEPT_EVENTS; i++) {
    const l = links[i]
    if (!isObject(l)) continue
    try {
      const lt = hexId(l['traceId'], 32, 'link')
      const ls = hexId(l['spanId'], 16, 'link')
      if (isValidTraceId(lt) && isValidSpanId(ls)) keptLinks.push({ trace_id: lt, span_id: ls })
    } catch {
      // a malformed link is dropped, the span kept
    }
  }
  if (keptLinks.length) extra.push(['otel.links', keptLinks])

  const startMs = nanosToMs(start)
  const level: Level = status === 'error' ? 'error' : 'info'
  const e = baseEvent(
    'span',
    stableId(startMs, `span:${trace_id}:${span_id}`),
    startMs,
    level,
    resource,
    s,
  )
  const spanName = s.string(name || 'span', 1024)
  e.message = spanName
  e.name = spanName
  e.trace_id = trace_id
  e.span_id = span_id
  if (parent !== undefined && isValidSpanId(parent)) e.parent_span_id = parent
  const flags = traceFlags(raw['flags'])
  if (flags !== undefined) e.trace_flags = flags
  e.duration_ms = Number(end - start) / 1e6
  e.status = status

  // span_kind; gen_ai (an operation or usage counts) makes it an llm span
  const isGenAi = a.map.has('gen_ai.operation.name') || a.has('gen_ai.usage.')
  let spanKind: SpanKind = 'internal'
  if (kindNum === 2) spanKind = 'server'
  else if (kindNum === 3) spanKind = 'client'
  else if (kindNum === 4 || kindNum === 5)
    extra.push(['otel.span_kind', kindNum === 4 ? 'producer' : 'consumer'])
  const otelKind = spanKind
  if (isGenAi) spanKind = 'llm'
  e.span_kind = spanKind

  // http
  const http = httpInfo(a, otelKind, status, s)
  const hasHttp = http !== undefined
  if (http) e.http = http

  // llm
  if (isGenAi) {
    const llm = llmInfo(a, s)
    e.llm = llm
    if (
      llm.model !== undefined &&
      (llm.input_tokens !== undefined || llm.output_tokens !== undefined)
    ) {
      const usage: TokenUsage = {}
      if (llm.input_tokens !== undefined) usage.input_tokens = llm.input_tokens
      if (llm.output_tokens !== undefined) usage.output_tokens = llm.output_tokens
      if (llm.cache_read_tokens !== undefined) usage.cache_read_tokens = llm.cache_read_tokens
      if (llm.cache_write_tokens !== undefined) usage.cache_write_tokens = llm.cache_write_tokens
      const cost = run.costOf(llm.model, usage)
      if (typeof cost === 'number' && Number.isFinite(cost) && cost >= 0) e.cost_usd = cost
    }
  }

  // category and event: explicit attributes win over the inference
  let category = 'otel'
  let event = 'span'
  if (isGenAi) {
    category = 'llm'
    event = 'generation'
  } else if (hasHttp && otelKind === 'server') {
    category = 'http'
    event = 'request'
  } else if (hasHttp && otelKind === 'client') {
    category = 'http'
    event = 'client_request'
  }
  e.category = s.string(a.str('threadline.category') ?? category, 256)
  e.event = s.string(a.str('threadline.event') ?? event, 256)
  identity(e, a, resource, s)

  if (exception) {
    e.error = errorInfo(exception, s)
    if (statusMessage !== undefined && statusMessage !== exception.message)
      extra.push(['otel.status_description', statusMessage])
  } else if (status === 'error' && statusMessage !== undefined) {
    e.error = errorInfo({ type: 'Error', message: statusMessage }, s)
  } else if (statusMessage !== undefined) {
    extra.push(['otel.status_description', statusMessage])
  }

  finishAttributes(e, a, extra, scope, resource, s)
  return e
}

export const HTTP_KEYS = [
  'http.request.method',
  'http.method',
  'http.route',
  'url.path',
  'http.target',
  'url.full',
  'http.url',
  'http.response.status_code',
  'http.status_code',
]

export function httpInfo(
  a: Attrs,
  kind: SpanKind,
  status: SpanStatus,
  s: Sanitizer,
): HttpInfo | undefined {
  if (!HTTP_KEYS.some((k) => a.map.has(k))) return undefined
  const h: HttpInfo = {}
  const method = a.str('http.request.method', 'http.method')
  if (method !== undefined) h.method = s.string(method, 64)
  const route = a.str('http.route')
  if (route !== undefined) h.route = s.string(route, 2048)
  let path = a.str('url.path')
  const target = a.str('http.target')
  if (path === undefined && target !== undefined) path = target.split(/[?#]/, 1)[0]
  if (path === undefined) {
    // a client span often has only the full URL: keep it in attributes, take its path
    const full = a.peekStr('url.full') ?? a.peekStr('http.url')
    if (full !== undefined) {
      try {
        path = new URL(full).pathname
      } catch {
        // not a URL: no path
      }
    }
  }
  if (path) h.path = s.string(path, 2048)
  const code = a.num('http.response.status_code', 'http.status_code')
  if (code !== undefined && Number.isInteger(code)) h.status_code = code
  const client = a.str('client.address', 'http.client_ip')
  if (client !== undefined && kind === 'server') h.client_address = s.string(client, 256)
  const ua = a.str('user_agent.original', 'http.user_agent')
  if (ua !== undefined) h.user_agent = s.string(ua, 1024)
  const reqBytes = a.num('http.request.body.size', 'http.request_content_length')
  if (reqBytes !== undefined) h.request_bytes = reqBytes
  const resBytes = a.num('http.response.body.size', 'http.response_content_length')
  if (resBytes !== undefined) h.response_bytes = resBytes
  if (h.status_code !== undefined) h.outcome = 'completed'
  else if (status === 'error') h.outcome = 'errored'
  return h
}

export function llmInfo(a: Attrs, s: Sanitizer): LlmInfo {
  const l: LlmInfo = {}
  const provider = a.str('gen_ai.provider.name', 'gen_ai.system')
  if (provider !== undefined) l.provider = s.string(provider, 256)
  const requested = a.str('gen_ai.request.model')
  const responded = a.peekStr('gen_ai.response.model')
  const model = requested ?? responded
  // the response model stays in attributes only when it says something new
  if (responded !== undefined && (requested === undefined || responded === requested))
    a.map.delete('gen_ai.response.model')
  if (model !== undefined) l.model = s.string(model, 2048)
  const op = a.str('gen_ai.operation.name')
  if (op !== undefined) l.operation = s.string(op, 256)
  const input = a.num('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens')
  const output = a.num('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens')
  const total = a.num('gen_ai.usage.total_tokens')
  const cacheRead = a.num(
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
  )
  const cacheWrite = a.num(
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
  )
  if (input !== undefined) l.input_tokens = input
  if (output !== undefined) l.output_tokens = output
  if (total !== undefined) l.total_tokens = total
  else if (input !== undefined && output !== undefined) l.total_tokens = input + output
  if (cacheRead !== undefined) l.cache_read_tokens = cacheRead
  if (cacheWrite !== undefined) l.cache_write_tokens = cacheWrite
  if (input !== undefined || output !== undefined || total !== undefined)
    l.usage_source = 'reported'
  return l
}
