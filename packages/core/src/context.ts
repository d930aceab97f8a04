import { AsyncLocalStorage } from 'node:async_hooks'
import { context as otelContext, trace as otelTrace, TraceFlags } from '@opentelemetry/api'
import type { Bindings, ContentMode } from './types.js'

/** What one async scope carries. Immutable once created: scopes nest by copying. */
export interface ThreadlineContext {
  readonly trace_id?: string
  readonly span_id?: string
  readonly trace_flags?: string
  /** W3C `tracestate`, passed through untouched. */
  readonly trace_state?: string
  /** Fields every event in this scope inherits (user_id, org_id, request_id, ...). */
  readonly bindings?: Readonly<Bindings>
  /** Prompt/completion capture for LLM events in this scope (the "do not log this" switch). */
  readonly content_mode?: ContentMode
}

export interface ContextInput {
  trace_id?: string
  span_id?: string
  trace_flags?: string
  trace_state?: string
  bindings?: Bindings
  content_mode?: ContentMode
}

interface Registry {
  als: AsyncLocalStorage<ThreadlineContext>
  version: string
}

// DESIGN invariant 5: one store per process, even with two copies of core loaded.
const KEY = Symbol.for('threadline.context.v1')
const g = globalThis as unknown as Record<symbol, Registry | undefined>
const registry: Registry = (g[KEY] ??= {
  als: new AsyncLocalStorage<ThreadlineContext>(),
  version: '1',
})
const als = registry.als

/** The Threadline scope, ignoring OpenTelemetry. */
export function currentScope(): ThreadlineContext | undefined {
  return als.getStore()
}

/**
 * The active context: the Threadline scope if there is one; otherwise the ids of
 * the active OpenTelemetry span, if any.
 */
export function getContext(): ThreadlineContext | undefined {
  return als.getStore() ?? otelSpanContext()
}

/** Ids of the active OpenTelemetry span, when a context manager is registered and a span is active. */
export function otelSpanContext(): ThreadlineContext | undefined {
  const sc = otelTrace.getSpanContext(otelContext.active())
  if (!sc || !otelTrace.isSpanContextValid(sc)) return undefined
  const ctx: { -readonly [K in keyof ThreadlineContext]: ThreadlineContext[K] } = {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: (sc.traceFlags & TraceFlags.SAMPLED) === 1 ? '01' : '00',
  }
  const ts = sc.traceState?.serialize()
  if (ts) ctx.trace_state = ts
  return ctx
}

function merge(parent: ThreadlineContext | undefined, input: ContextInput): ThreadlineContext {
  const out: { -readonly [K in keyof ThreadlineContext]: ThreadlineContext[K] } = parent
    ? { ...parent }
    : {}
  if (input.trace_id !== undefined) {
    out.trace_id = input.trace_id
    // a new trace does not inherit the parent's span or state
    if (parent?.trace_id !== input.trace_id) {
      delete out.span_id
      delete out.trace_state
      delete out.trace_flags
    }
  }
  if (input.span_id !== undefined) out.span_id = input.span_id
  if (input.trace_flags !== undefined) out.trace_flags = input.trace_flags
  if (input.trace_state !== undefined) out.trace_state = input.trace_state
  if (input.content_mode !== undefined) out.content_mode = input.content_mode
  if (input.bindings)
    out.bindings = parent?.bindings
      ? { ...parent.bindings, ...input.bindings }
      : { ...input.bindings }
  return out
}

/**
 * Run `fn` in a new scope that inherits the current one (or the active
 * OpenTelemetry span) and overrides what `input` gives.
 */
export function runWithContext<T>(input: ContextInput, fn: () => T): T {
  return als.run(merge(getContext(), input), fn)
}

/** Run `fn` with extra bindings (user_id, org_id, session_id, request_id, any key) on every event inside. */
export function withBindings<T>(bindings: Bindings, fn: () => T): T {
  return als.run(merge(getContext(), { bindings }), fn)
}

/**
 * Add bindings to the current scope from here on (for example once a request is
 * authenticated). Scopes already forked off keep what they had. Returns false
 * outside any scope.
 */
export function setBindings(bindings: Bindings): boolean {
  const store = als.getStore()
  if (!store) return false
  als.enterWith(merge(store, { bindings }))
  return true
}

/** Run `fn` with LLM prompt/completion capture set to `mode` (`'off'`: do not log content). */
export function withContentMode<T>(mode: ContentMode, fn: () => T): T {
  return als.run(merge(getContext(), { content_mode: mode }), fn)
}

/** Enter a scope for the rest of the current synchronous execution and its async continuations. */
export function enterContext(input: ContextInput): void {
  als.enterWith(merge(getContext(), input))
}

/** @internal run with an exact store (used by spans). */
export function runInScope<T>(scope: ThreadlineContext, fn: () => T): T {
  return als.run(scope, fn)
}
