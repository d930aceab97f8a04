import type { LlmInfo } from '@threadline/core'

type Obj = Record<string, unknown>

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object'
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : undefined

/** LangChain provider ids (`ls_provider`, `model_provider`) -> OpenTelemetry `gen_ai.provider.name`. */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  azureopenai: 'azure.ai.openai',
  anthropic: 'anthropic',
  google_genai: 'gcp.gemini',
  'google-genai': 'gcp.gemini',
  google: 'gcp.gemini',
  genai: 'gcp.gemini',
  gemini: 'gcp.gemini',
  google_vertexai: 'gcp.vertex_ai',
  'google-vertexai': 'gcp.vertex_ai',
  vertexai: 'gcp.vertex_ai',
  bedrock: 'aws.bedrock',
  amazon_bedrock: 'aws.bedrock',
  bedrock_converse: 'aws.bedrock',
  aws: 'aws.bedrock',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  mistral_ai: 'mistral_ai',
  groq: 'groq',
  cohere: 'cohere',
  deepseek: 'deepseek',
  xai: 'x_ai',
  x_ai: 'x_ai',
  perplexity: 'perplexity',
  ibm: 'ibm.watsonx.ai',
  watsonx: 'ibm.watsonx.ai',
}

export function mapProvider(p: string | undefined): string | undefined {
  if (!p) return undefined
  const k = p.toLowerCase()
  return PROVIDERS[k] ?? k
}

export function modelFromParams(params: unknown, metadata: unknown): string | undefined {
  const ip = isObj(params) && isObj(params['invocation_params']) ? params['invocation_params'] : {}
  return (
    str(ip['model']) ??
    str(ip['model_name']) ??
    str(ip['modelName']) ??
    str(ip['model_id']) ??
    (isObj(metadata) ? str(metadata['ls_model_name']) : undefined)
  )
}

type Usage = Pick<
  LlmInfo,
  | 'input_tokens'
  | 'output_tokens'
  | 'total_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'reasoning_tokens'
  | 'usage_source'
>

function add(u: Usage, k: keyof Omit<Usage, 'usage_source'>, v: unknown): void {
  const n = num(v)
  if (n !== undefined) u[k] = (u[k] ?? 0) + n
}

function generationsOf(output: unknown): Obj[] {
  const out: Obj[] = []
  const gens = isObj(output) ? output['generations'] : undefined
  if (!Array.isArray(gens)) return out
  for (const g of gens) {
    if (Array.isArray(g)) for (const x of g) if (isObj(x)) out.push(x)
  }
  return out
}

function messageOf(gen: Obj): Obj | undefined {
  return isObj(gen['message']) ? gen['message'] : undefined
}

/** Token usage of an LLMResult; counts that were not reported stay absent. */
export function usageOf(output: unknown): Usage {
  const u: Usage = {}
  let found = false
  for (const g of generationsOf(output)) {
    const um = messageOf(g)?.['usage_metadata']
    if (!isObj(um)) continue
    found = true
    add(u, 'input_tokens', um['input_tokens'])
    add(u, 'output_tokens', um['output_tokens'])
    add(u, 'total_tokens', um['total_tokens'])
    const inD = um['input_token_details']
    if (isObj(inD)) {
      add(u, 'cache_read_tokens', inD['cache_read'])
      add(u, 'cache_write_tokens', inD['cache_creation'])
    }
    const outD = um['output_token_details']
    if (isObj(outD)) add(u, 'reasoning_tokens', outD['reasoning'])
  }
  if (found && (u.input_tokens !== undefined || u.output_tokens !== undefined)) {
    u.usage_source = 'reported'
    return u
  }
  const llmOutput = isObj(output) && isObj(output['llmOutput']) ? output['llmOutput'] : {}
  for (const [key, source] of [
    ['tokenUsage', 'reported'],
    ['estimatedTokenUsage', 'estimated'],
  ] as const) {
    const t = llmOutput[key]
    if (!isObj(t)) continue
    const r: Usage = {}
    add(r, 'input_tokens', t['promptTokens'])
    add(r, 'output_tokens', t['completionTokens'])
    add(r, 'total_tokens', t['totalTokens'])
    if (r.input_tokens !== undefined || r.output_tokens !== undefined) {
      r.usage_source = source
      return r
    }
  }
  // provider-native usage left in response_metadata (OpenAI or Anthropic shape)
  for (const g of generationsOf(output)) {
    const rm = messageOf(g)?.['response_metadata']
    const raw = isObj(rm) ? (rm['usage'] ?? rm['tokenUsage']) : undefined
    if (!isObj(raw)) continue
    const r: Usage = {}
    add(r, 'input_tokens', raw['prompt_tokens'] ?? raw['input_tokens'] ?? raw['promptTokens'])
    add(
      r,
      'output_tokens',
      raw['completion_tokens'] ?? raw['output_tokens'] ?? raw['completionTokens'],
    )
    add(r, 'total_tokens', raw['total_tokens'] ?? raw['totalTokens'])
    if (r.input_tokens !== undefined || r.output_tokens !== undefined) {
      r.usage_source = 'reported'
      return r
    }
  }
  return {}
}

/** Model, provider, response id and finish reasons from the response metadata. */
export function responseInfo(output: unknown): {
  model?: string
  provider?: string
  id?: string
  finishReasons?: string[]
} {
  const info: { model?: string; provider?: string; id?: string; finishReasons?: string[] } = {}
  const reasons: string[] = []
  for (const g of generationsOf(output)) {
    const msg = messageOf(g)
    const rm = isObj(msg?.['response_metadata']) ? (msg['response_metadata'] as Obj) : {}
    const model = info.model ?? str(rm['model_name']) ?? str(rm['model']) ?? str(rm['modelId'])
    if (model) info.model = model
    const provider = info.provider ?? str(rm['model_provider'])
    if (provider) info.provider = provider
    const id = info.id ?? str(msg?.['id']) ?? str(rm['id'])
    if (id) info.id = id
    const gi = isObj(g['generationInfo']) ? g['generationInfo'] : {}
    const fr = str(rm['finish_reason']) ?? str(rm['stop_reason']) ?? str(gi['finish_reason'])
    if (fr) reasons.push(fr)
  }
  if (reasons.length) info.finishReasons = reasons
  const lo = isObj(output) && isObj(output['llmOutput']) ? output['llmOutput'] : {}
  const model = info.model ?? str(lo['model_name']) ?? str(lo['model'])
  if (model) info.model = model
  return info
}

/** Text of a generation list, for the `completion` attribute. */
export function completionOf(output: unknown, cap: (s: string) => string): unknown {
  const out: unknown[] = []
  for (const g of generationsOf(output)) {
    const msg = messageOf(g)
    out.push(msg ? messageToJson(msg, cap) : cap(typeof g['text'] === 'string' ? g['text'] : ''))
  }
  return out.length === 1 ? out[0] : out
}

const ROLES: Record<string, string> = {
  human: 'user',
  ai: 'assistant',
  system: 'system',
  developer: 'system',
  tool: 'tool',
  function: 'tool',
  generic: 'user',
  remove: 'remove',
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((b) =>
        typeof b === 'string'
          ? b
          : isObj(b) && typeof b['text'] === 'string'
            ? b['text']
            : isObj(b)
              ? `[${String(b['type'] ?? 'block')}]`
              : '',
      )
      .join('')
  }
  return content === undefined || content === null ? '' : safeString(content)
}

/** A LangChain message as `{ role, content, tool_calls? }`. */
export function messageToJson(m: unknown, cap: (s: string) => string): Obj {
  if (!isObj(m)) return { role: 'user', content: cap(safeString(m)) }
  let type: unknown
  try {
    const getType = m['_getType']
    type =
      typeof m['type'] === 'string'
        ? m['type']
        : typeof getType === 'function'
          ? getType.call(m)
          : undefined
  } catch {
    type = undefined
  }
  const out: Obj = {
    role: ROLES[String(type)] ?? String(m['role'] ?? type ?? 'user'),
    content: cap(textOf(m['content'])),
  }
  const calls = m['tool_calls']
  if (Array.isArray(calls) && calls.length) {
    out['tool_calls'] = calls.map((c: unknown) =>
      isObj(c) ? { id: c['id'], name: c['name'], args: cap(safeString(c['args'])) } : c,
    )
  }
  if (typeof m['tool_call_id'] === 'string') out['tool_call_id'] = m['tool_call_id']
  return out
}

export function safeString(v: unknown): string {
  if (typeof v === 'string') return v
  try {
    return JSON.stringify(v) ?? String(v)
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** A value for a content attribute: strings capped, objects serialized when over the cap. */
export function capValue(v: unknown, max: number): unknown {
  if (typeof v === 'string') return capString(v, max)
  if (v === null || typeof v !== 'object') return v
  const s = safeString(v)
  return s.length > max ? capString(s, max) : v
}

export function capString(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…[truncated ${s.length - max} chars]` : s
}
