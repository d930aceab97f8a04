// Errors grouped by fingerprint, and stats grouped by any allow-listed field and time bucket.
import { LEVEL_VALUES, type Level } from '@threadline/core'
import type { Engine } from './engine.js'
import { StoreQueryError } from './errors.js'
import { canonicalFilters, intOption, Params, whereClauses, whereSql } from './filters.js'
import { parseDuration, parseTime, show } from './time.js'
import { GROUP_BY_FIELDS } from './vocabulary.js'
import type { ErrorGroup, ErrorsOptions, GroupByField, StatsOptions, StatsRow } from './types.js'

const iso = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString()
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

/** Error key: the fingerprint, or for error logs without one, their category/event/message. */
const ERROR_KEY = `coalesce(error_fingerprint, 'msg:' || md5(coalesce(category, '') || '/' || coalesce(event, '') || '/' || coalesce(message, '')))`

export async function errorGroups(
  engine: Engine,
  options: ErrorsOptions,
  now: Date,
): Promise<ErrorGroup[]> {
  const f = canonicalFilters(options, new Set(['limit', 'buckets'])) as ErrorsOptions
  const limit = intOption('limit', f.limit, 1, 1000, 50)
  const bucketCount =
    f.buckets === undefined ? undefined : intOption('buckets', f.buckets, 1, 200, 1)
  const params = new Params()
  const where = [
    ...whereClauses(f, params, now),
    '(error_fingerprint IS NOT NULL OR level_value >= 50)',
  ]
  const { rows } = await engine.query<Record<string, unknown>>(
    `SELECT ${ERROR_KEY} AS fingerprint,
            (array_agg(error_type ORDER BY "timestamp" DESC))[1] AS type,
            (array_agg(coalesce(error_message, message) ORDER BY "timestamp" DESC))[1] AS message,
            (array_agg(category ORDER BY "timestamp" DESC))[1] AS category,
            (array_agg(service ORDER BY "timestamp" DESC))[1] AS service,
            count(*)::int AS count,
            min("timestamp") AS first_seen,
            max("timestamp") AS last_seen,
            count(DISTINCT user_id)::int AS affected_users,
            (array_agg(DISTINCT user_id) FILTER (WHERE user_id IS NOT NULL))[1:10] AS users,
            (array_agg(trace_id ORDER BY "timestamp" DESC) FILTER (WHERE trace_id IS NOT NULL))[1] AS sample_trace_id,
            (array_agg(DISTINCT service))[1:10] AS services,
            array_agg(DISTINCT level) AS levels
       FROM events ${whereSql(where)}
      GROUP BY 1
      ORDER BY count(*) DESC, max("timestamp") DESC
      LIMIT ${params.add(limit)}`,
    params.values,
  )
  const groups: ErrorGroup[] = rows.map((r) => ({
    fingerprint: String(r.fingerprint),
    type: (r.type as string | null) ?? null,
    message: (r.message as string | null) ?? null,
    category: (r.category as string | null) ?? null,
    service: (r.service as string | null) ?? null,
    count: Number(r.count),
    first_seen: iso(r.first_seen),
    last_seen: iso(r.last_seen),
    affected_users: Number(r.affected_users),
    users: (r.users as string[] | null) ?? [],
    sample_trace_id: (r.sample_trace_id as string | null) ?? null,
    services: (r.services as string[] | null) ?? [],
    levels: sortLevels((r.levels as string[] | null) ?? []),
  }))
  if (bucketCount !== undefined && groups.length > 0)
    await addBuckets(engine, f, groups, bucketCount, now)
  return groups
}

const sortLevels = (levels: string[]): string[] =>
  levels.sort((a, b) => (LEVEL_VALUES[a as Level] ?? 0) - (LEVEL_VALUES[b as Level] ?? 0))

/**
 * Count each group in `n` equal slices of [since, until): `since` as given, else the
 * earliest first occurrence among the groups; `until` as given, else now (or the latest
 * occurrence, when that is later: clocks ahead of ours).
 */
async function addBuckets(
  engine: Engine,
  f: ErrorsOptions,
  groups: ErrorGroup[],
  n: number,
  now: Date,
): Promise<void> {
  const from = Date.parse(
    f.since !== undefined
      ? parseTime(f.since, 'since', now)
      : groups.reduce((a, g) => (g.first_seen < a ? g.first_seen : a), groups[0]!.first_seen),
  )
  const latest = Date.parse(
    groups.reduce((a, g) => (g.last_seen > a ? g.last_seen : a), groups[0]!.last_seen),
  )
  const to =
    f.until !== undefined
      ? Date.parse(parseTime(f.until, 'until', now))
      : Math.max(now.getTime(), latest + 1)
  const width = Math.max(1, (to - from) / n)
  const params = new Params()
  const where = [
    ...whereClauses(f, params, now),
    '(error_fingerprint IS NOT NULL OR level_value >= 50)',
    `${ERROR_KEY} = ANY(${params.add(groups.map((g) => g.fingerprint))}::text[])`,
    `"timestamp" >= ${params.add(new Date(from).toISOString())}::timestamptz`,
    `"timestamp" < ${params.add(new Date(to).toISOString())}::timestamptz`,
  ]
  const { rows } = await engine.query<{ fingerprint: string; slot: number; count: number }>(
    `SELECT ${ERROR_KEY} AS fingerprint,
            floor((extract(epoch FROM "timestamp") * 1000 - ${params.add(from)}) / ${params.add(width)})::int AS slot,
            count(*)::int AS count
       FROM events ${whereSql(where)}
      GROUP BY 1, 2`,
    params.values,
  )
  const byKey = new Map(
    groups.map((g) => [g.fingerprint, (g.buckets = new Array<number>(n).fill(0))]),
  )
  for (const r of rows) {
    const slots = byKey.get(String(r.fingerprint))
    const i = Math.min(n - 1, Math.max(0, Number(r.slot)))
    if (slots) slots[i]! += Number(r.count)
  }
  const window = { since: new Date(from).toISOString(), until: new Date(to).toISOString() }
  for (const g of groups) g.window = window
}

/** `group_by` names and their columns. */
export const GROUPS: Record<GroupByField, string> = {
  service: 'service',
  category: 'category',
  event: 'event',
  route: 'http_route',
  method: 'http_method',
  status_code: 'http_status_code',
  model: 'llm_model',
  provider: 'llm_provider',
  user: 'user_id',
  org: 'org_id',
  level: 'level',
  kind: 'kind',
  environment: 'environment',
}

// Every group-by name in the vocabulary has a column here, and no other.
type Unlisted = Exclude<GroupByField, (typeof GROUP_BY_FIELDS)[number]>
const allListed: Unlisted extends never ? true : Unlisted = true
void allListed

const MIN_BUCKET_MS = 1000
const MAX_BUCKET_MS = 31 * 86_400_000

export async function stats(engine: Engine, options: StatsOptions, now: Date): Promise<StatsRow[]> {
  const f = canonicalFilters(options, new Set(['group_by', 'interval', 'limit'])) as StatsOptions
  const limit = intOption('limit', f.limit, 1, 10_000, 1000)
  const groupBy =
    f.group_by === undefined ? [] : Array.isArray(f.group_by) ? f.group_by : [f.group_by]
  const names: GroupByField[] = []
  for (const g of groupBy) {
    if (typeof g !== 'string' || !Object.hasOwn(GROUPS, g))
      throw new StoreQueryError(
        'group_by',
        `${show(g)} is not groupable (${Object.keys(GROUPS).join(', ')})`,
      )
    if (!names.includes(g)) names.push(g)
  }
  const params = new Params()
  const where = whereClauses(f, params, now)
  const select = names.map((g, i) => `${GROUPS[g]} AS g${i}`)
  const keys = names.map((_, i) => `g${i}`)
  let bucketSeconds: number | undefined
  if (f.interval !== undefined) {
    const ms = parseDuration(f.interval, 'interval')
    if (ms < MIN_BUCKET_MS || ms > MAX_BUCKET_MS)
      throw new StoreQueryError('interval', 'must be between 1s and 31d')
    bucketSeconds = Math.round(ms / 1000)
    select.unshift(
      `date_bin(make_interval(secs => ${params.add(bucketSeconds)}), "timestamp", TIMESTAMPTZ '2000-01-01') AS bucket`,
    )
    keys.unshift('bucket')
  }
  const sql = `SELECT ${[...select, '1'].join(', ')},
            count(*)::int AS count,
            count(*) FILTER (WHERE level_value >= 50 OR status = 'error')::int AS error_count,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99,
            avg(duration_ms) AS avg,
            coalesce(sum(llm_input_tokens), 0)::float8 AS input_tokens,
            coalesce(sum(llm_output_tokens), 0)::float8 AS output_tokens,
            coalesce(sum(cost_usd), 0)::float8 AS cost_usd
       FROM events ${whereSql(where)}
      ${keys.length ? `GROUP BY ${keys.join(', ')}` : ''}
      ORDER BY ${bucketSeconds ? 'bucket DESC, ' : ''}count(*) DESC
      LIMIT ${params.add(limit)}`
  // With buckets, a limit keeps the latest rows (the end of a chart), returned in time order.
  const { rows } = await engine.query<Record<string, unknown>>(
    bucketSeconds ? `SELECT * FROM (${sql}) latest ORDER BY bucket ASC, count DESC` : sql,
    params.values,
  )
  return rows
    .filter((r) => keys.length > 0 || Number(r.count) > 0)
    .map((r) => {
      const group: StatsRow['group'] = {}
      names.forEach((g, i) => {
        const v = r[`g${i}`]
        group[g] = v === null || v === undefined ? null : typeof v === 'number' ? v : String(v)
      })
      const count = Number(r.count)
      const errorCount = Number(r.error_count)
      const row: StatsRow = {
        group,
        count,
        error_count: errorCount,
        error_rate: count ? errorCount / count : 0,
        p50_ms: numOrNull(r.p50),
        p95_ms: numOrNull(r.p95),
        p99_ms: numOrNull(r.p99),
        avg_ms: numOrNull(r.avg),
        input_tokens: Number(r.input_tokens),
        output_tokens: Number(r.output_tokens),
        cost_usd: Number(r.cost_usd),
      }
      if (bucketSeconds) row.bucket = iso(r.bucket)
      return row
    })
}
