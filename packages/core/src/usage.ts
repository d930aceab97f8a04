/**
 * One place that turns a provider's raw usage object into the wire schema's `llm.*` token
 * counts, so cached tokens are never counted twice.
 *
 * Convention (the same as `pricing.ts`): `input_tokens` is ALL prompt tokens, cache reads and
 * writes included; `cache_read_tokens` / `cache_write_tokens` are parts of it. `output_tokens`
 * includes `reasoning_tokens`.
 *
 * - OpenAI already counts cached tokens inside `prompt_tokens` / `input_tokens`.
 * - Anthropic reports `cache_read_input_tokens` and `cache_creation_input_tokens` separately
 *   from `input_tokens`, so they are added here.
 */
import type { TokenUsage } from './pricing.js'

export interface NormalizedUsage extends TokenUsage {
  reasoning_tokens?: number
  total_tokens?: number
}

const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}

function finish(u: NormalizedUsage): NormalizedUsage {
  const out: NormalizedUsage = {}
  for (const [k, v] of Object.entries(u))
    if (v !== undefined) (out as Record<string, number>)[k] = v
  if (
    out.total_tokens === undefined &&
    out.input_tokens !== undefined &&
    out.output_tokens !== undefined
  )
    out.total_tokens = out.input_tokens + out.output_tokens
  return out
}

/** OpenAI chat completions (`prompt_tokens`...) and responses/embeddings (`input_tokens`...). */
export function normalizeOpenAIUsage(raw: unknown): NormalizedUsage {
  const r = obj(raw)
  const inDetails = obj(r.prompt_tokens_details ?? r.input_tokens_details)
  const outDetails = obj(r.completion_tokens_details ?? r.output_tokens_details)
  const u: NormalizedUsage = {}
  const input = num(r.prompt_tokens ?? r.input_tokens)
  const output = num(r.completion_tokens ?? r.output_tokens)
  const cached = num(inDetails.cached_tokens)
  const reasoning = num(outDetails.reasoning_tokens)
  const total = num(r.total_tokens)
  if (input !== undefined) u.input_tokens = input
  if (output !== undefined) u.output_tokens = output
  if (cached !== undefined && cached > 0) u.cache_read_tokens = cached
  if (reasoning !== undefined && reasoning > 0) u.reasoning_tokens = reasoning
  if (total !== undefined) u.total_tokens = total
  return finish(u)
}

/** Anthropic messages: cache reads and writes are reported apart from `input_tokens`. */
export function normalizeAnthropicUsage(raw: unknown): NormalizedUsage {
  const r = obj(raw)
  const base = num(r.input_tokens)
  const read = num(r.cache_read_input_tokens)
  const write = num(r.cache_creation_input_tokens)
  const output = num(r.output_tokens)
  const u: NormalizedUsage = {}
  if (base !== undefined || read !== undefined || write !== undefined)
    u.input_tokens = (base ?? 0) + (read ?? 0) + (write ?? 0)
  if (read !== undefined && read > 0) u.cache_read_tokens = read
  if (write !== undefined && write > 0) u.cache_write_tokens = write
  if (output !== undefined) u.output_tokens = output
  return finish(u)
}
