// The workload shared by every variant: one realistic LLM-app log record
// (message + 11 fields including a nested `metadata` object, ~500 bytes as a
// pino line), pre-built into a pool of 1024 records varied by index so no
// variant pays for building its input and all variants log identical data.

export const MSG = 'llm call completed'
export const POOL_SIZE = 1024 // a power of two: records are picked with `i & (POOL_SIZE - 1)`
export const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
export const SPAN_ID = '00f067aa0ba902b7'

const MODELS = [
  ['openai', 'gpt-4o-mini-2024-07-18'],
  ['openai', 'gpt-4.1-2025-04-14'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['anthropic', 'claude-3-5-haiku-20241022'],
  ['google', 'gemini-2.5-flash'],
]
const TEMPLATES = [
  'support-triage-v3',
  'summarize-thread-v2',
  'rag-answer-v7',
  'classify-intent-v1',
]
const ROUTES = ['/v1/chat/completions', '/v1/assistants/answer', '/v1/summaries', '/v1/classify']
const REGIONS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-southeast-1']
const TOOLS = ['search_kb', 'create_ticket', 'lookup_order', 'refund_order', 'escalate_to_human']

const hex = (n, width) => n.toString(16).padStart(width, '0')

/** Record `i` of the pool (deterministic: every process builds the same pool). */
export function makeRecord(i) {
  const [provider, model] = MODELS[i % MODELS.length]
  const t = (i * 7) % TOOLS.length
  return {
    user_id: `usr_${hex((i * 2654435761) >>> 0, 8)}`,
    org_id: `org_${hex((i % 37) * 40503 + 4096, 6)}`,
    session_id: `sess_${hex((i * 40503) >>> 0, 8)}${hex(i, 4)}`,
    model,
    provider,
    input_tokens: 800 + ((i * 131) % 3200),
    output_tokens: 40 + ((i * 17) % 900),
    latency_ms: 350 + ((i * 97) % 4000) + (i % 10) / 10,
    route: ROUTES[i % ROUTES.length],
    status: i % 23 === 0 ? 'error' : 'ok',
    metadata: {
      prompt_template: TEMPLATES[i % TEMPLATES.length],
      temperature: (i % 11) / 10,
      tools: [TOOLS[t], TOOLS[(t + 1) % TOOLS.length], TOOLS[(t + 2) % TOOLS.length]],
      region: REGIONS[(i >> 2) % REGIONS.length],
    },
  }
}

/** A fresh pool of POOL_SIZE records. */
export function makePool() {
  const pool = new Array(POOL_SIZE)
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = makeRecord(i)
  return pool
}
