/**
 * LLM cost accounting: list prices per model and a `costOf(model, usage)` that turns token usage
 * into USD.
 *
 * Usage convention (OpenAI and LangChain `usage_metadata`): `input_tokens` INCLUDES cache reads
 * and cache writes, and `output_tokens` INCLUDES reasoning tokens. Anthropic's native API reports
 * `input_tokens` without the cached parts: add `cache_read_input_tokens` and
 * `cache_creation_input_tokens` to it before calling `costOf`.
 *
 * Prices are public list prices in USD per 1M tokens, as of `PRICES_AS_OF`. Batch discounts,
 * long-context tiers (Gemini 2.5 Pro above 200k prompt tokens), Anthropic's 1-hour cache writes
 * (2x input) and host-specific prices (open-weight models) are not modelled: override with
 * `setPrices` or `createPriceTable` where that matters.
 */

export interface ModelPrice {
  /** USD per 1M input tokens. */
  input: number
  /** USD per 1M cached input tokens read (defaults to `input` when absent). */
  cachedInput?: number
  /** USD per 1M tokens written to the prompt cache (defaults to `input` when absent). */
  cacheWrite?: number
  /** USD per 1M output tokens (reasoning tokens are billed as output). */
  output: number
  /** OpenTelemetry GenAI provider name (`gen_ai.provider.name`). */
  provider: string
}

export interface TokenUsage {
  /** All prompt tokens, including cache reads and cache writes. */
  input_tokens?: number
  /** All completion tokens, including reasoning tokens. */
  output_tokens?: number
  /** Part of `input_tokens` read from the prompt cache. */
  cache_read_tokens?: number
  /** Part of `input_tokens` written to the prompt cache. */
  cache_write_tokens?: number
  /** Part of `output_tokens`; informational only, never billed a second time. */
  reasoning_tokens?: number
}

export interface PriceTable {
  /** Price of a model, resolved like `costOf` resolves it; `undefined` when unknown. */
  get(model: string): ModelPrice | undefined
  /** Add or replace the price of a model. Throws `TypeError` on a negative or non-finite price. */
  set(model: string, price: ModelPrice): void
  /** Cost in USD, or `undefined` when the model is unknown or the usage has no token counts. */
  costOf(model: string | undefined, usage: TokenUsage): number | undefined
}

/** Month the default list prices were last reviewed (`YYYY-MM`). */
export const PRICES_AS_OF = '2025-11'

function p(
  provider: string,
  input: number,
  output: number,
  cachedInput?: number,
  cacheWrite?: number,
): ModelPrice {
  const price: ModelPrice = { input, output, provider }
  if (cachedInput !== undefined) price.cachedInput = cachedInput
  if (cacheWrite !== undefined) price.cacheWrite = cacheWrite
  return Object.freeze(price)
}

const openai = (input: number, output: number, cachedInput?: number): ModelPrice =>
  p('openai', input, output, cachedInput)
/** Anthropic: cache reads at 0.1x input, 5-minute cache writes at 1.25x input. */
const anthropic = (input: number, output: number, cachedInput: number, cacheWrite: number) =>
  p('anthropic', input, output, cachedInput, cacheWrite)
const gemini = (input: number, output: number, cachedInput: number): ModelPrice =>
  p('gcp.gemini', input, output, cachedInput)
const mistral = (input: number, output: number): ModelPrice => p('mistral_ai', input, output)
/** Open-weight models: a typical hosted list price; the real price depends on the host. */
const meta = (input: number, output: number): ModelPrice => p('meta', input, output)
const deepseek = (input: number, output: number, cachedInput: number): ModelPrice =>
  p('deepseek', input, output, cachedInput)

/** Built-in list prices, USD per 1M tokens, keyed by lowercase model name. */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  'gpt-5': openai(1.25, 10, 0.125),
  'gpt-5-mini': openai(0.25, 2, 0.025),
  'gpt-5-nano': openai(0.05, 0.4, 0.005),
  'gpt-5-pro': openai(15, 120),
  'gpt-4.1': openai(2, 8, 0.5),
  'gpt-4.1-mini': openai(0.4, 1.6, 0.1),
  'gpt-4.1-nano': openai(0.1, 0.4, 0.025),
  'gpt-4o': openai(2.5, 10, 1.25),
  'gpt-4o-2024-05-13': openai(5, 15),
  'gpt-4o-mini': openai(0.15, 0.6, 0.075),
  'gpt-4-turbo': openai(10, 30),
  'gpt-3.5-turbo': openai(0.5, 1.5),
  o3: openai(2, 8, 0.5),
  'o3-mini': openai(1.1, 4.4, 0.55),
  'o3-pro': openai(20, 80),
  'o4-mini': openai(1.1, 4.4, 0.275),
  o1: openai(15, 60, 7.5),
  'o1-mini': openai(1.1, 4.4, 0.55),
  'o1-pro': openai(150, 600),
  'text-embedding-3-small': openai(0.02, 0),
  'text-embedding-3-large': openai(0.13, 0),
  'text-embedding-ada-002': openai(0.1, 0),

  'claude-opus-4-5': anthropic(5, 25, 0.5, 6.25),
  'claude-opus-4-1': anthropic(15, 75, 1.5, 18.75),
  'claude-opus-4': anthropic(15, 75, 1.5, 18.75),
  'claude-sonnet-4-5': anthropic(3, 15, 0.3, 3.75),
  'claude-sonnet-4': anthropic(3, 15, 0.3, 3.75),
  'claude-haiku-4-5': anthropic(1, 5, 0.1, 1.25),
  'claude-3-7-sonnet': anthropic(3, 15, 0.3, 3.75),
  'claude-3-5-sonnet': anthropic(3, 15, 0.3, 3.75),
  'claude-3-5-haiku': anthropic(0.8, 4, 0.08, 1),
  'claude-3-opus': anthropic(15, 75, 1.5, 18.75),
  'claude-3-haiku': anthropic(0.25, 1.25, 0.03, 0.3),

  'gemini-2.5-pro': gemini(1.25, 10, 0.31),
  'gemini-2.5-flash': gemini(0.3, 2.5, 0.075),
  'gemini-2.5-flash-lite': gemini(0.1, 0.4, 0.025),
  'gemini-2.0-flash': gemini(0.1, 0.4, 0.025),
  'gemini-2.0-flash-lite': p('gcp.gemini', 0.075, 0.3),

  'mistral-large': mistral(2, 6),
  'mistral-medium': mistral(0.4, 2),
  'mistral-small': mistral(0.1, 0.3),
  codestral: mistral(0.3, 0.9),
  'ministral-8b': mistral(0.1, 0.1),

  'llama-4-maverick': meta(0.27, 0.85),
  'llama-4-scout': meta(0.18, 0.59),
  'llama-3.3-70b': meta(0.59, 0.79),
  'llama-3.1-8b': meta(0.05, 0.08),

  'deepseek-chat': deepseek(0.28, 0.42, 0.028),
  'deepseek-reasoner': deepseek(0.28, 0.42, 0.028),
} satisfies Record<string, ModelPrice>)

const DATE_SUFFIX = /(?:[-@]\d{4}-\d{2}-\d{2}|[-@]\d{8})$/
const BEDROCK_PREFIX = /^(?:[a-z]{2,6}\.)?anthropic\./
const BEDROCK_SUFFIX = /-v\d+(?::\d+)?(?::\d+k)?$/
const PREFIX_BOUNDARY = new Set(['-', '_', '@', ':'])
/**
 * Rest of a name after a known prefix that marks a different SKU or a newer minor version
 * (`o3-pro`, `gpt-4o-mini-realtime`, `claude-opus-4-6`): the prefix match is refused rather
 * than return another model's price.
 */
const OTHER_SKU =
  /^(?:[-_@:]\d{1,2}(?:[-_@:.]|$)|.*[-_@:](?:pro|max|ultra|mini|nano|lite|micro|realtime|audio|search|tts|transcribe|image|deep-research)(?:[-_@:.]|$))/
const LATEST = '-latest'
const CACHE_LIMIT = 1000

function stripProviderPrefix(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1).replace(BEDROCK_PREFIX, '')
}

function stripVersionSuffix(name: string): string {
  let out = name
  for (let prev = ''; prev !== out;) {
    prev = out
    out = out.replace(BEDROCK_SUFFIX, '').replace(DATE_SUFFIX, '')
  }
  return out.startsWith('claude-') ? out.replace(/(\d)\.(\d)/g, '$1-$2') : out
}

function normalizeName(model: string): string {
  return stripVersionSuffix(stripProviderPrefix(model.trim().toLowerCase()))
}

function resolveIn(model: string, prices: ReadonlyMap<string, unknown>): string | undefined {
  const lower = model.trim().toLowerCase()
  if (prices.has(lower)) return lower
  const unprefixed = stripProviderPrefix(lower)
  if (prices.has(unprefixed)) return unprefixed
  const name = stripVersionSuffix(unprefixed)
  if (prices.has(name)) return name
  if (name.endsWith(LATEST) && prices.has(name.slice(0, -LATEST.length))) {
    return name.slice(0, -LATEST.length)
  }
  let best: string | undefined
  for (const key of prices.keys()) {
    if (
      key.length < name.length &&
      (best === undefined || key.length > best.length) &&
      name.startsWith(key) &&
      PREFIX_BOUNDARY.has(name.charAt(key.length))
    ) {
      best = key
    }
  }
  if (best === undefined || OTHER_SKU.test(name.slice(best.length))) return undefined
  return best
}

function count(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

function validate(model: unknown, price: unknown): ModelPrice {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError('threadline pricing: model name must be a non-empty string')
  }
  if (typeof price !== 'object' || price === null) {
    throw new TypeError(`threadline pricing: price for "${model}" must be an object`)
  }
  const { input, output, cachedInput, cacheWrite, provider } = price as Record<string, unknown>
  const fields = { input, output, cachedInput, cacheWrite }
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined && (field === 'cachedInput' || field === 'cacheWrite')) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(
        `threadline pricing: ${field} price for "${model}" must be a finite number >= 0`,
      )
    }
  }
  if (typeof provider !== 'string') {
    throw new TypeError(`threadline pricing: provider for "${model}" must be a string`)
  }
  return p(
    provider,
    input as number,
    output as number,
    cachedInput as number | undefined,
    cacheWrite as number | undefined,
  )
}

function computeCost(price: ModelPrice, usage: TokenUsage): number | undefined {
  const input = count(usage.input_tokens)
  const output = count(usage.output_tokens)
  if (input === undefined && output === undefined) return undefined
  const cacheRead = count(usage.cache_read_tokens) ?? 0
  const cacheWrite = count(usage.cache_write_tokens) ?? 0
  const uncached = Math.max(0, (input ?? 0) - cacheRead - cacheWrite)
  const perMillion =
    uncached * price.input +
    cacheRead * (price.cachedInput ?? price.input) +
    cacheWrite * (price.cacheWrite ?? price.input) +
    (output ?? 0) * price.output
  return Math.round((perMillion / 1e6) * 1e10) / 1e10
}

class Table implements PriceTable {
  readonly #prices = new Map<string, ModelPrice>()
  readonly #resolved = new Map<string, string | null>()

  resolve(model: string): string | undefined {
    if (typeof model !== 'string') return undefined
    if (this.#prices.has(model)) return model
    let key = this.#resolved.get(model)
    if (key === undefined) {
      key = resolveIn(model, this.#prices) ?? null
      if (this.#resolved.size >= CACHE_LIMIT) this.#resolved.clear()
      this.#resolved.set(model, key)
    }
    return key ?? undefined
  }

  get(model: string): ModelPrice | undefined {
    const key = this.resolve(model)
    return key === undefined ? undefined : this.#prices.get(key)
  }

  set(model: string, price: ModelPrice): void {
    const valid = validate(model, price)
    this.#prices.set(model.trim().toLowerCase(), valid)
    this.#resolved.clear()
  }

  costOf(model: string | undefined, usage: TokenUsage): number | undefined {
    if (model === undefined || typeof usage !== 'object' || usage === null) return undefined
    const price = this.get(model)
    return price ? computeCost(price, usage) : undefined
  }
}

function validateAll(overrides: Record<string, ModelPrice>): [string, ModelPrice][] {
  return Object.entries(overrides).map(([model, price]) => [model, validate(model, price)])
}

function createTable(overrides: Record<string, ModelPrice>, includeDefaults: boolean): Table {
  const validated = validateAll(overrides)
  const table = new Table()
  if (includeDefaults) {
    for (const [model, price] of Object.entries(DEFAULT_PRICES)) table.set(model, price)
  }
  for (const [model, price] of validated) table.set(model, price)
  return table
}

/**
 * A price table: `DEFAULT_PRICES` (unless `includeDefaults` is false) extended by `overrides`.
 * Independent of the global table and of `setPrices`. Throws `TypeError` on an invalid price.
 */
export function createPriceTable(
  overrides?: Record<string, ModelPrice>,
  options?: { includeDefaults?: boolean },
): PriceTable {
  return createTable(overrides ?? {}, options?.includeDefaults ?? true)
}

const GLOBAL_KEY = Symbol.for('threadline.prices.v1')
const g = globalThis as unknown as Record<symbol, PriceTable | undefined>
const globalTable = (): PriceTable => (g[GLOBAL_KEY] ??= createTable({}, true))

/**
 * Add or replace prices in the process-wide default table, shared by every copy of this package.
 * All overrides are validated before any is applied; throws `TypeError` on an invalid price.
 */
export function setPrices(overrides: Record<string, ModelPrice>): void {
  const validated = validateAll(overrides)
  const table = globalTable()
  for (const [model, price] of validated) table.set(model, price)
}

/**
 * Cost in USD of one LLM call, priced with the global default table. `undefined` (never 0) when
 * the model is unknown or the usage carries neither input nor output tokens.
 */
export function costOf(model: string | undefined, usage: TokenUsage): number | undefined {
  return globalTable().costOf(model, usage)
}

/**
 * The key `model` resolves to in the global table (lowercased; provider prefixes, Bedrock and
 * date suffixes and a redundant `-latest` stripped; then the longest known prefix), or the
 * normalized name when no key matches.
 */
export function resolveModelName(model: string): string {
  const table = globalTable() as PriceTable & { resolve?: (model: string) => string | undefined }
  return (
    (typeof table.resolve === 'function' ? table.resolve(model) : undefined) ?? normalizeName(model)
  )
}
