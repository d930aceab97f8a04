// The overview: requests, errors, latency, LLM tokens and cost over time and by group. A click
// on a chart bucket or a table row opens the explorer on that window and group.
import { qs, request } from '../api.js'
import { Chart, type Series } from '../components/Chart.js'
import { ActiveFilters } from '../components/FilterBar.js'
import { ErrorBox, FirstEvent, Skeleton } from '../components/States.js'
import { TimeRange } from '../components/TimeRange.js'
import { urlFilters } from '../filters.js'
import { clean, fmtCompact, fmtCost, fmtInt, fmtMs, fmtPct } from '../format.js'
import { useLoad } from '../hooks.js'
import { navigate, type Location } from '../router.js'
import { bucketStarts, timeWindow, type TimeWindow } from '../time.js'
import type { QueryResult, StatsRow } from '../types.js'

const REQUESTS = { span_kinds: ['server'] }
const LLM = { categories: ['llm'] }
const TOP_GROUPS = 8

interface OverviewData {
  any: boolean
  byService: StatsRow[]
  totals: StatsRow[]
  byModel: StatsRow[]
  reqTotal: StatsRow | undefined
  llmTotal: StatsRow | undefined
  tables: Record<string, StatsRow[]>
}

async function load(w: TimeWindow, filters: Record<string, unknown>, signal: AbortSignal) {
  const base = { ...filters, since: w.since, ...(w.until ? { until: w.until } : {}) }
  const stats = (q: Record<string, unknown>) =>
    request<{ stats: StatsRow[] }>(`/api/stats${qs({ ...base, ...q })}`, { signal }).then(
      (r) => r.stats,
    )
  const series = { interval: w.interval, limit: 10_000 }
  const [byService, totals, byModel, reqTotal, llmTotal, svc, route, model, user, any] =
    await Promise.all([
      stats({ ...REQUESTS, ...series, group_by: 'service' }),
      stats({ ...REQUESTS, ...series }),
      stats({ ...LLM, ...series, group_by: 'model' }),
      stats(REQUESTS),
      stats(LLM),
      stats({ ...REQUESTS, group_by: 'service', limit: 10 }),
      stats({ ...REQUESTS, group_by: 'route', limit: 10 }),
      stats({ ...LLM, group_by: 'model', limit: 10 }),
      stats({ group_by: 'user', limit: 10 }),
      request<QueryResult>('/api/logs/query', { body: { limit: 1, since: '3650d' }, signal }),
    ])
  return {
    any: any.events.length > 0,
    byService,
    totals,
    byModel,
    reqTotal: reqTotal[0],
    llmTotal: llmTotal[0],
    tables: { service: svc, route, model, user: user.filter((r) => r.group.user !== null) },
  } satisfies OverviewData
}

/** One series per group, zero-filled over the window's buckets; small groups folded into "other". */
function groupSeries(
  rows: StatsRow[],
  field: string,
  x: number[],
  w: TimeWindow,
  value: (r: StatsRow) => number,
): { series: Series[]; names: (string | null)[] } {
  const totals = new Map<string, number>()
  for (const r of rows) {
    const k = String(r.group[field] ?? '(none)')
    totals.set(k, (totals.get(k) ?? 0) + value(r))
  }
  const names = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k)
  const top = names.slice(0, TOP_GROUPS)
  const other = names.length > TOP_GROUPS
  const series: Series[] = [...top, ...(other ? ['other'] : [])].map((label) => ({
    label,
    values: x.map(() => 0),
  }))
  const first = x[0] ?? 0
  for (const r of rows) {
    if (!r.bucket) continue
    const i = Math.round((Date.parse(r.bucket) - first) / w.stepMs)
    if (i < 0 || i >= x.length) continue
    const k = String(r.group[field] ?? '(none)')
    const s = top.indexOf(k)
    const target = series[s >= 0 ? s : TOP_GROUPS]
    if (target) target.values[i] = (target.values[i] ?? 0) + value(r)
  }
  return {
    series,
    names: [...top.map((n) => (n === '(none)' ? null : n)), ...(other ? [null] : [])],
  }
}

function bucketSeries(
  rows: StatsRow[],
  x: number[],
  w: TimeWindow,
  pick: (r: StatsRow) => number | null,
) {
  const out: (number | null)[] = x.map(() => null)
  const first = x[0] ?? 0
  for (const r of rows) {
    if (!r.bucket) continue
    const i = Math.round((Date.parse(r.bucket) - first) / w.stepMs)
    if (i >= 0 && i < x.length) out[i] = pick(r)
  }
  return out
}

function Tile({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div class="tile">
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {sub && <div class="tile-sub">{sub}</div>}
    </div>
  )
}

const FIELD_PARAM: Record<string, [string, Record<string, string>]> = {
  service: ['services', { span_kinds: 'server' }],
  route: ['routes', { span_kinds: 'server' }],
  model: ['models', { categories: 'llm' }],
  user: ['user_id', {}],
}

export function Overview({ loc }: { loc: Location }) {
  const w = timeWindow(loc.params)
  const filters = urlFilters(loc.params)
  const key = JSON.stringify([w.range, w.since.slice(0, 16), w.until, filters])
  const { data, error, loading, reload } = useLoad((signal) => load(w, filters, signal), key)
  const x = bucketStarts(w)

  /** The explorer on bucket `i` (or the whole window) with the given filters. */
  const drillUrl = (extra: Record<string, string>, i?: number): string => {
    const p = new URLSearchParams()
    for (const [k, v] of loc.params) if (k !== 'range' && k !== 'from' && k !== 'to') p.set(k, v)
    if (i !== undefined) {
      p.set('from', new Date(x[i]!).toISOString())
      p.set('to', new Date(x[i]! + w.stepMs).toISOString())
    } else if (w.range === 'custom') {
      p.set('from', w.since)
      if (w.until) p.set('to', w.until)
    } else p.set('range', w.range)
    for (const [k, v] of Object.entries(extra)) p.set(k, v)
    return `/logs?${p.toString()}`
  }
  const drill = (extra: Record<string, string>, i?: number) => navigate(drillUrl(extra, i))

  const header = (
    <div class="page-head">
      <h1>Overview</h1>
      <TimeRange loc={loc} />
    </div>
  )
  if (error && !data)
    return (
      <>
        {header}
        <ErrorBox error={error} retry={reload} />
      </>
    )
  if (!data)
    return (
      <>
        {header}
        <Skeleton rows={10} height={40} />
      </>
    )
  if (!data.any)
    return (
      <>
        {header}
        <FirstEvent />
      </>
    )

  const req = groupSeries(data.byService, 'service', x, w, (r) => r.count)
  const tokens = groupSeries(data.byModel, 'model', x, w, (r) => r.input_tokens + r.output_tokens)
  const cost = groupSeries(data.byModel, 'model', x, w, (r) => r.cost_usd)
  const errRate = bucketSeries(data.totals, x, w, (r) => r.error_rate * 100)
  const lat: Series[] = (['p50_ms', 'p95_ms', 'p99_ms'] as const).map((k, i) => ({
    label: k.slice(0, 3),
    values: bucketSeries(data.totals, x, w, (r) => r[k]),
    color: ['#27ae60', '#f2994a', '#eb5757'][i]!,
  }))
  const t = data.reqTotal
  const l = data.llmTotal
  const groupParam = (names: (string | null)[], param: string, s: number | null) => {
    const name = s === null ? null : names[s]
    return name ? { [param]: name } : {}
  }

  return (
    <div class={loading ? 'overview refreshing' : 'overview'}>
      {header}
      <ActiveFilters loc={loc} />
      <section class="tiles" aria-label="Totals">
        <Tile
          label="Requests"
          value={fmtInt(t?.count ?? 0)}
          sub={`${fmtInt(t?.error_count ?? 0)} errors`}
        />
        <Tile label="Error rate" value={fmtPct(t?.error_rate ?? 0)} />
        <Tile
          label="Latency p50"
          value={fmtMs(t?.p50_ms)}
          sub={`p95 ${fmtMs(t?.p95_ms)} · p99 ${fmtMs(t?.p99_ms)}`}
        />
        <Tile
          label="LLM tokens"
          value={fmtCompact((l?.input_tokens ?? 0) + (l?.output_tokens ?? 0))}
          sub={`${fmtCompact(l?.input_tokens ?? 0)} in · ${fmtCompact(l?.output_tokens ?? 0)} out`}
        />
        <Tile
          label="LLM cost"
          value={fmtCost(l?.cost_usd ?? 0)}
          sub={`${fmtInt(l?.count ?? 0)} LLM events`}
        />
      </section>
      <section class="card wide">
        <h2>Requests by service</h2>
        <Chart
          title="Requests by service"
          x={x}
          series={req.series}
          stacked
          bars
          format={fmtCompact}
          onPick={(i, s) =>
            drill({ span_kinds: 'server', ...groupParam(req.names, 'services', s) }, i)
          }
        />
      </section>
      <div class="grid2">
        <section class="card">
          <h2>Error rate</h2>
          <Chart
            title="Error rate"
            x={x}
            series={[{ label: 'error %', values: errRate, color: '#eb5757' }]}
            format={(v) => `${Math.round(v * 10) / 10}%`}
            onPick={(i) => drill({ span_kinds: 'server', level: 'error' }, i)}
          />
        </section>
        <section class="card">
          <h2>Latency</h2>
          <Chart
            title="Latency p50 p95 p99"
            x={x}
            series={lat}
            format={fmtMs}
            onPick={(i) => drill({ span_kinds: 'server', sort_by: 'duration_ms' }, i)}
          />
        </section>
        <section class="card">
          <h2>LLM tokens by model</h2>
          <Chart
            title="LLM tokens by model"
            x={x}
            series={tokens.series}
            stacked
            bars
            format={fmtCompact}
            onPick={(i, s) =>
              drill({ categories: 'llm', ...groupParam(tokens.names, 'models', s) }, i)
            }
          />
        </section>
        <section class="card">
          <h2>LLM cost by model</h2>
          <Chart
            title="LLM cost by model"
            x={x}
            series={cost.series}
            stacked
            bars
            format={fmtCost}
            onPick={(i, s) =>
              drill({ categories: 'llm', ...groupParam(cost.names, 'models', s) }, i)
            }
          />
        </section>
      </div>
      <div class="grid2">
        {(['service', 'route', 'model', 'user'] as const).map((field) => (
          <section class="card" key={field}>
            <h2>By {field}</h2>
            <GroupTable
              field={field}
              rows={data.tables[field] ?? []}
              href={(value) => {
                const [param, extra] = FIELD_PARAM[field]!
                return drillUrl({ ...extra, [param]: value })
              }}
            />
          </section>
        ))}
      </div>
    </div>
  )
}

function GroupTable({
  field,
  rows,
  href,
}: {
  field: string
  rows: StatsRow[]
  href: (value: string) => string
}) {
  if (!rows.length) return <p class="muted">Nothing in this window.</p>
  const llm = field === 'model' || field === 'user'
  return (
    <table class="table compact">
      <thead>
        <tr>
          <th>{field}</th>
          <th class="num">count</th>
          <th class="num">err%</th>
          <th class="num">p95</th>
          {llm && <th class="num">tokens</th>}
          <th class="num">cost</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const v = r.group[field]
          return (
            <tr key={String(v)}>
              <td>
                {v === null ? (
                  <span class="muted">(none)</span>
                ) : (
                  <a href={href(String(v))}>{clean(String(v))}</a>
                )}
              </td>
              <td class="num">{fmtInt(r.count)}</td>
              <td class="num">{fmtPct(r.error_rate)}</td>
              <td class="num">{fmtMs(r.p95_ms)}</td>
              {llm && <td class="num">{fmtCompact(r.input_tokens + r.output_tokens)}</td>}
              <td class="num">{fmtCost(r.cost_usd)}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}
