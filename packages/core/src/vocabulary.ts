import { httpLevel, toLevel } from './levels.js'
import type { TokenUsage } from './pricing.js'
import type { ContentMode, EventInput, HttpInfo, Level, LlmInfo } from './types.js'

/*
 * What the logger's methods mean, as pure functions from what the caller passed
 * to the event input the logger emits: how `(message, fields)` / `(fields,
 * message)` / `(error, message)` are read, and the domain helpers (`http`,
 * `generation`, `auth`, `admin`, `audit`). Nothing here builds, redacts or
 * queues an event; the logger does that with the result.
 */

/** Fields of an LLM call for `logger.generation()`. */
export interface GenerationFields extends EventInput, TokenUsage {
  model?: string
  provider?: string
  operation?: string
  total_tokens?: number
  ttft_ms?: number
  duration_ms?: number
  usage_source?: string
  prompt?: unknown
  completion?: unknown
  messages?: unknown
  /** Per-call content switch: `'off'` logs no prompt or completion for this call. */
  content?: ContentMode
}

export interface HttpFields extends EventInput, HttpInfo {
  duration_ms?: number
}

/** One log call's arguments, read the way every level method reads them. */
export interface LogArgs {
  message: unknown
  fields: EventInput | undefined
  /** `undefined` when no error was passed. */
  error: unknown
  /** The per-call content switch (`fields.content`), removed from `fields`. */
  content: ContentMode | undefined
}

/** False for objects that throw on inspection (revoked proxies). */
function isReadable(o: object): boolean {
  try {
    Object.getPrototypeOf(o)
    return true
  } catch {
    return false
  }
}

/** `(message, fields)`, `(message, error)`, `(fields, message)`, `(error, message)` or `(anything)`. */
export function parseLogArgs(a: unknown, b: unknown): LogArgs {
  let message: unknown
  let fields: EventInput | undefined
  let error: unknown
  if (typeof a === 'object' && a !== null && !isReadable(a)) a = '[unreadable log argument]'
  if (typeof b === 'object' && b !== null && !isReadable(b))
    b = { 'threadline.unreadable_fields': true }
  if (typeof a === 'string') {
    message = a
    if (b !== null && typeof b === 'object') {
      if (b instanceof Error) error = b
      else fields = b as EventInput
    }
  } else if (a instanceof Error) {
    error = a
    message = typeof b === 'string' ? b : a.message
  } else if (a !== null && typeof a === 'object') {
    fields = a as EventInput
    message = b
  } else message = a
  let content: ContentMode | undefined
  if (fields && typeof fields['content'] === 'string') {
    content = fields['content'] as ContentMode
    if (content) fields = withoutKey(fields, 'content')
  }
  return { message, fields, error, content }
}

/** An `event(category, event, fields)` call: its level, message and the remaining fields. */
export function categoryEvent(
  category: string,
  event: string,
  fields: EventInput,
): { level: Level; message: string; fields: EventInput } {
  const msg = fields.message ?? fields.msg ?? `${category}.${event}`
  return {
    level: toLevel(fields.level) ?? 'info',
    message: typeof msg === 'string' ? msg : String(msg),
    fields: withoutKey(fields, 'message', 'msg', 'level'),
  }
}

const HTTP_KEYS = [
  'method',
  'route',
  'path',
  'status_code',
  'outcome',
  'request_bytes',
  'response_bytes',
  'client_address',
  'user_agent',
] as const satisfies readonly (keyof HttpInfo)[]

/** `logger.http(fields)`: the request fields moved under `http`, the level from the status code. */
export function httpEventFields(fields: HttpFields): EventInput {
  const rest: EventInput = { ...fields }
  const http: Record<string, unknown> = {}
  for (const k of HTTP_KEYS) {
    if (rest[k] !== undefined) http[k] = rest[k]
    delete rest[k]
  }
  const { method, route, path, status_code } = fields
  const level = toLevel(rest.level) ?? httpLevel(status_code, fields.outcome)
  const message =
    `${method ?? ''} ${route ?? path ?? ''}${status_code !== undefined ? ' ' + status_code : ''}`.trim()
  return { message, ...rest, level, http }
}

/** `logger.generation(fields)`: the LLM fields moved under `llm`, totals filled in, `cost_usd` priced. */
export function generationEventFields(
  fields: GenerationFields,
  costOf: (model: string | undefined, usage: TokenUsage) => number | undefined,
): EventInput {
  const {
    model,
    provider,
    operation,
    input_tokens,
    output_tokens,
    total_tokens,
    cache_read_tokens,
    cache_write_tokens,
    reasoning_tokens,
    ttft_ms,
    usage_source,
    prompt,
    completion,
    messages,
    content,
    ...rest
  } = fields
  const llm: LlmInfo = pick({
    model,
    provider,
    operation: operation ?? 'chat',
    input_tokens,
    output_tokens,
    total_tokens:
      total_tokens ??
      (input_tokens !== undefined && output_tokens !== undefined
        ? input_tokens + output_tokens
        : undefined),
    cache_read_tokens,
    cache_write_tokens,
    reasoning_tokens,
    ttft_ms,
    usage_source:
      usage_source ??
      (input_tokens !== undefined || output_tokens !== undefined ? 'reported' : undefined),
  })
  const out: EventInput = { message: `${model ?? 'llm'} ${operation ?? 'chat'}`, ...rest, llm }
  if (rest.cost_usd === undefined) {
    const cost = costOf(model, {
      input_tokens,
      output_tokens,
      cache_read_tokens,
      cache_write_tokens,
      reasoning_tokens,
    } as TokenUsage)
    if (cost !== undefined) out.cost_usd = cost
  }
  if (prompt !== undefined) out['prompt'] = prompt
  if (messages !== undefined) out['messages'] = messages
  if (completion !== undefined) out['completion'] = completion
  if (content !== undefined) out['content'] = content
  return out
}

/** `logger.auth(event, fields)`: failures (`login_failed`, `access_denied`, ...) at `warn`. */
export function authEventFields(event: string, fields: EventInput): EventInput {
  const failed = /fail|denied|invalid|locked|reject/i.test(event)
  return { level: failed ? 'warn' : 'info', ...fields }
}

/** `logger.audit(action, fields)`: the action is also the event's `action`. */
export function auditEventFields(action: string, fields: EventInput): EventInput {
  return { action, ...fields }
}

function withoutKey(o: EventInput, ...keys: string[]): EventInput {
  const out: EventInput = {}
  for (const k in o) if (!keys.includes(k)) out[k] = o[k]
  return out
}

function pick<T extends object>(o: { [K in keyof T]: T[K] | undefined }): T {
  const out = {} as T
  for (const k in o) if (o[k] !== undefined) (out as Record<string, unknown>)[k] = o[k]
  return out
}
