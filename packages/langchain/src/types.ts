import type { Logger, PriceTable } from '@threadline/core'

/** Options of `new ThreadlineCallbackHandler(options)`. */
export interface ThreadlineCallbackHandlerOptions {
  /** Logger the spans go to. @default the default logger (`getLogger()`), resolved per run */
  logger?: Logger
  /** `session_id` on every span (run metadata `session_id`/`thread_id` wins). @default undefined */
  sessionId?: string
  /** `user_id` on every span (run metadata `user_id` wins). @default undefined */
  userId?: string
  /** Tags added to every span, after the run's own tags. @default [] */
  tags?: string[]
  /** Attributes added to every span. @default {} */
  attributes?: Record<string, unknown>
  /** Price table for `cost_usd`. @default the logger's own table (`createLogger({ prices })`, else the global one) */
  prices?: PriceTable
  /**
   * Record prompts, messages, completions, tool arguments/results and documents (under the
   * content keys, so the logger's `content.mode` and redaction still apply).
   * @default true
   */
  recordContent?: boolean
  /** Cap, in characters, of each recorded payload (a message, a tool result, a document). @default 4096 */
  maxContentChars?: number
  /** Documents recorded per retriever run. @default 20 */
  maxDocuments?: number
  /**
   * Runs open longer than this are closed as incomplete (status `cancelled`,
   * `threadline.incomplete: true`): a consumer that broke out of `.stream()` never ends them.
   * `0` disables the timer (runs are still closed by `shutdown()` and the `maxRuns` bound).
   * @default 600000 (10 minutes)
   */
  orphanTtlMs?: number
  /** Open runs kept at most; beyond it the oldest is closed as incomplete. @default 10000 */
  maxRuns?: number
  /** Milliseconds `flush()`/`shutdown()` give the logger. @default the logger's default */
  flushTimeoutMs?: number
}
