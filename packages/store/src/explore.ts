// What the console's lists need: facet values for the filter bar, sessions (LLM
// conversations), one session turn by turn, and users.
import type { ThreadlineEvent } from '@threadline/core'
import { GROUPS } from './aggregate.js'
import type { Engine } from './engine.js'
import { storable, StoreQueryError } from './errors.js'
import { canonicalFilters, intOption, Params, whereClauses, whereSql } from './filters.js'
import { show } from './time.js'
import { FACET_FIELDS } from './vocabulary.js'
import type {
  FacetField,
  FacetsOptions,
  FacetsResult,
  SessionDetail,
  SessionScore,
  SessionsOptions,
  SessionSummary,
  SessionTurn,
  UsersOptions,
  UserSummary,
} from './types.js'

const iso = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])
const costOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))
const LIST_KEYS = new Set(['limit'])
/** An event that counts as an error: error or fatal, or a span that failed. */
const IS_ERROR = `(level_value >= 50 OR status = 'error')`

/** Facet fields and their columns: the `group_by` names plus `session`. */
const FACETS: Record<FacetField, string> = { ...GROUPS, session: 'session_id' }

export async function facets(
  engine: Engine,
  field: unknown,
  options: FacetsOptions,
  now: Date,
): Promise<FacetsResult> {
  if (typeof field !== 'string' || !Object.hasOwn(FACETS, field))
    throw new StoreQueryError('field', `${show(field)} has no facets (${FACET_FIELDS.join(', ')})`)
  const column = FACETS[field as FacetField]
  const f = canonicalFilters(options, LIST_KEYS) as FacetsOptions
  const limit = intOption('limit', f.limit, 1, 1000, 50)
  const params = new Params()
  const where = [...whereClauses(f, params, now), `${column} IS NOT NULL`]
  const { rows } = await engine.query<{ value: unknown; count: number }>(
    `SELECT ${column} AS value, count(*)::int AS count FROM events ${whereSql(where)}
      GROUP BY 1 ORDER BY 2 DESC, 1 ASC LIMIT ${params.add(limit)}`,
    params.values,
  )
  return {
    field: field as FacetField,
    values: rows.map((r) => ({
      value: typeof r.value === 'number' ? r.value : String(r.value),
      count: Number(r.count),
    })),
  }
}

export async function sessions(
  engine: Engine,
  options: SessionsOptions,
  now: Date,
): Promise<SessionSummary[]> {
  const f = canonicalFilters(options, LIST_KEYS) as SessionsOptions
  const limit = intOption('limit', f.limit, 1, 1000, 50)
  const params = new Params()
  const where = [...whereClauses(f, params, now), 'session_id IS NOT NULL']
  const { rows } = await engine.query<Record<string, unknown>>(
    `SELECT session_id,
            (array_agg(user_id ORDER BY "timestamp" DESC) FILTER (WHERE user_id IS NOT NULL))[1] AS user_id,
            (array_agg(org_id ORDER BY "timestamp" DESC) FILTER (WHERE org_id IS NOT NULL))[1] AS org_id,
            min("timestamp") AS first_seen,
            max("timestamp") AS last_seen,
            count(DISTINCT trace_id)::int AS turns,
            count(*)::int AS events,
            count(*) FILTER (WHERE ${IS_ERROR})::int AS errors,
            coalesce(sum(llm_input_tokens), 0)::float8 AS input_tokens,
            coalesce(sum(llm_output_tokens), 0)::float8 AS output_tokens,
            sum(cost_usd)::float8 AS cost_usd,
            array_agg(DISTINCT llm_model) FILTER (WHERE llm_model IS NOT NULL) AS models,
            array_agg(DISTINCT service) AS services
       FROM events ${whereSql(where)}
      GROUP BY session_id
      ORDER BY max("timestamp") DESC, session_id
      LIMIT ${params.add(limit)}`,
    params.values,
  )
  return rows.map((r) => ({
    session_id: String(r.session_id),
    user_id: (r.user_id as string | null) ?? null,
    org_id: (r.org_id as string | null) ?? null,
    first_seen: iso(r.first_seen),
    last_seen: iso(r.last_seen),
    turns: Number(r.turns),
    events: Number(r.events),
    errors: Number(r.errors),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    cost_usd: costOrNull(r.cost_usd),
    models: strings(r.models),
    services: strings(r.services),
  }))
}

export async function users(
  engine: Engine,
  options: UsersOptions,
  now: Date,
): Promise<UserSummary[]> {
  const f = canonicalFilters(options, LIST_KEYS) as UsersOptions
  const limit = intOption('limit', f.limit, 1, 1000, 50)
  const params = new Params()
  const where = [...whereClauses(f, params, now), 'user_id IS NOT NULL']
  const { rows } = await engine.query<Record<string, unknown>>(
    `SELECT user_id,
            count(*) FILTER (WHERE (kind = 'span' AND span_kind = 'server')
                               OR (category = 'http' AND event = 'request'))::int AS requests,
            count(*)::int AS events,
            count(*) FILTER (WHERE ${IS_ERROR})::int AS errors,
            count(DISTINCT session_id)::int AS sessions,
            coalesce(sum(llm_input_tokens), 0)::float8 AS input_tokens,
            coalesce(sum(llm_output_tokens), 0)::float8 AS output_tokens,
            sum(cost_usd)::float8 AS cost_usd,
            min("timestamp") AS first_seen,
            max("timestamp") AS last_seen
       FROM events ${whereSql(where)}
      GROUP BY user_id
      ORDER BY count(*) DESC, max("timestamp") DESC, user_id
      LIMIT ${params.add(limit)}`,
    params.values,
  )
  return rows.map((r) => ({
    user_id: String(r.user_id),
    requests: Number(r.requests),
    events: Number(r.events),
    errors: Number(r.errors),
    sessions: Number(r.sessions),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
    cost_usd: costOrNull(r.cost_usd),
    first_seen: iso(r.first_seen),
    last_seen: iso(r.last_seen),
  }))
}

/** Turns shown for one session (its first ones, in time order). */
const MAX_TURNS = 1000
const MAX_SESSION_EVENTS = 50_000

/** Where LLM instrumentation records content (core's `generation`, LangChain, OpenTelemetry GenAI). */
const INPUT_KEYS = ['prompt', 'messages', 'gen_ai.input.messages', 'gen_ai.prompt']
const OUTPUT_KEYS = ['completion', 'gen_ai.output.messages', 'gen_ai.completion']

const isError = (e: ThreadlineEvent): boolean =>
  e.level === 'error' || e.level === 'fatal' || (e.kind === 'span' && e.status === 'error')
const isLlm = (e: ThreadlineEvent): boolean =>
  e.llm !== undefined || e.category === 'llm' || (e.kind === 'span' && e.span_kind === 'llm')
const endOf = (e: ThreadlineEvent): number =>
  Date.parse(e.timestamp) + (e.kind === 'span' ? (e.duration_ms ?? 0) : 0)

function firstKey(attrs: Record<string, unknown> | undefined, keys: string[]): unknown {
  if (!attrs) return undefined
  for (const k of keys) if (attrs[k] !== undefined && attrs[k] !== null) return attrs[k]
  return undefined
}

/** A score event (`event: "score"`, `score.name`, numeric `score.value`), or undefined. */
function scoreOf(e: ThreadlineEvent): SessionScore | undefined {
  if (e.event !== 'score') return undefined
  const a = e.attributes ?? {}
  const name = a['score.name']
  const raw = a['score.value']
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN
  if (typeof name !== 'string' || name === '' || !Number.isFinite(value)) return undefined
  const comment = a['score.comment']
  return { name, value, comment: typeof comment === 'string' ? comment : null }
}

function turnOf(traceId: string, events: ThreadlineEvent[]): SessionTurn {
  // Usage counted once, as trace() does: from spans when any span carries it.
  const fromSpans = events.some(
    (e) => e.kind === 'span' && (e.llm !== undefined || e.cost_usd !== undefined),
  )
  let inTok = 0
  let outTok = 0
  let cost: number | null = null
  let errors = 0
  let ttft: number | null = null
  const models = new Set<string>()
  const scores: SessionScore[] = []
  let start = Infinity
  let end = -Infinity
  for (const e of events) {
    start = Math.min(start, Date.parse(e.timestamp))
    end = Math.max(end, endOf(e))
    if (isError(e)) errors++
    if (e.llm?.model) models.add(e.llm.model)
    if (ttft === null && typeof e.llm?.ttft_ms === 'number') ttft = e.llm.ttft_ms
    const score = scoreOf(e)
    if (score) scores.push(score)
    if (fromSpans && e.kind !== 'span') continue
    inTok += e.llm?.input_tokens ?? 0
    outTok += e.llm?.output_tokens ?? 0
    if (typeof e.cost_usd === 'number') cost = (cost ?? 0) + e.cost_usd
  }
  const root = events.find((e) => e.kind === 'span' && !e.parent_span_id)
  const llm = events.filter(isLlm)
  const input = llm.map((e) => firstKey(e.attributes, INPUT_KEYS)).find((v) => v !== undefined)
  const output = llm
    .map((e) => firstKey(e.attributes, OUTPUT_KEYS))
    .findLast((v) => v !== undefined)
  return {
    trace_id: traceId,
    timestamp: new Date(start).toISOString(),
    name: root?.name ?? events[0]?.message ?? null,
    duration_ms: end - start,
    models: [...models],
    input_tokens: inTok,
    output_tokens: outTok,
    cost_usd: cost,
    ttft_ms: ttft,
    errors,
    input: input ?? null,
    output: output ?? null,
    scores,
  }
}

/**
 * One session: each trace that carries the session id is a turn, counted over all of the
 * trace's events (a request's root span is often written before the app knew the session).
 * Events of the session with no trace id count in the totals only. `undefined` when the
 * session has no events (in `org_id`, when given).
 */
export async function loadSession(
  engine: Engine,
  sessionId: unknown,
  scope: { org_id?: string },
): Promise<SessionDetail | undefined> {
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 1000)
    throw new StoreQueryError('session_id', 'expected a session id string')
  storable('session_id', sessionId)
  if (scope.org_id !== undefined && typeof scope.org_id === 'string')
    storable('org_id', scope.org_id)
  const params = new Params()
  const sid = params.add(sessionId)
  let org = ''
  if (scope.org_id !== undefined) {
    if (typeof scope.org_id !== 'string') throw new StoreQueryError('org_id', 'expected a string')
    org = `AND org_id = ${params.add(scope.org_id)}`
  }
  const { rows: traces } = await engine.query<{ trace_id: string }>(
    `SELECT trace_id FROM events WHERE session_id = ${sid} ${org} AND trace_id IS NOT NULL
      GROUP BY trace_id ORDER BY min("timestamp"), trace_id LIMIT ${MAX_TURNS}`,
    params.values,
  )
  const ids = traces.map((t) => t.trace_id)
  const { rows } = await engine.query<{ body: ThreadlineEvent }>(
    `SELECT body FROM events
      WHERE (trace_id = ANY(${params.add(ids)}::text[]) OR (session_id = ${sid} AND trace_id IS NULL)) ${org}
      ORDER BY "timestamp", id LIMIT ${MAX_SESSION_EVENTS}`,
    params.values,
  )
  if (rows.length === 0) return undefined
  const byTrace = new Map<string, ThreadlineEvent[]>(ids.map((id) => [id, []]))
  const userIds = new Set<string>()
  let first = Infinity
  let last = -Infinity
  let lastEnd = -Infinity
  let errors = 0
  let untracedIn = 0
  let untracedOut = 0
  let untracedCost: number | null = null
  for (const { body: e } of rows) {
    const t = Date.parse(e.timestamp)
    first = Math.min(first, t)
    last = Math.max(last, t)
    lastEnd = Math.max(lastEnd, endOf(e))
    if (e.user_id) userIds.add(e.user_id)
    const list = e.trace_id ? byTrace.get(e.trace_id) : undefined
    if (list) {
      list.push(e)
      continue
    }
    if (isError(e)) errors++
    untracedIn += e.llm?.input_tokens ?? 0
    untracedOut += e.llm?.output_tokens ?? 0
    if (typeof e.cost_usd === 'number') untracedCost = (untracedCost ?? 0) + e.cost_usd
  }
  const turns = [...byTrace]
    .filter(([, events]) => events.length > 0)
    .map(([id, events]) => turnOf(id, events))
  turns.sort((a, b) => a.timestamp.localeCompare(b.timestamp))
  const costs = [untracedCost, ...turns.map((t) => t.cost_usd)].filter(
    (c): c is number => c !== null,
  )
  return {
    session_id: sessionId,
    user_ids: [...userIds],
    first_seen: new Date(first).toISOString(),
    last_seen: new Date(last).toISOString(),
    totals: {
      turns: turns.length,
      events: rows.length,
      errors: errors + turns.reduce((n, t) => n + t.errors, 0),
      input_tokens: untracedIn + turns.reduce((n, t) => n + t.input_tokens, 0),
      output_tokens: untracedOut + turns.reduce((n, t) => n + t.output_tokens, 0),
      cost_usd: costs.length ? costs.reduce((a, b) => a + b, 0) : null,
      duration_ms: lastEnd - first,
    },
    turns,
  }
}
