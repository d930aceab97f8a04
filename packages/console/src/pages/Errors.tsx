// Error groups by fingerprint: how often, whom, since when, a sparkline, the latest trace.
import { qs, request } from '../api.js'
import { Sparkline } from '../components/Chart.js'
import { ActiveFilters } from '../components/FilterBar.js'
import { Empty, ErrorBox, Skeleton } from '../components/States.js'
import { TimeRange } from '../components/TimeRange.js'
import { urlFilters } from '../filters.js'
import { clean, fmtAgo, fmtInt, fmtTime } from '../format.js'
import { useLoad } from '../hooks.js'
import type { Location } from '../router.js'
import { timeWindow } from '../time.js'
import type { ErrorGroup } from '../types.js'

const BUCKETS = 30

export function Errors({ loc }: { loc: Location }) {
  const w = timeWindow(loc.params)
  const filters = urlFilters(loc.params)
  const window = { since: w.since, ...(w.until ? { until: w.until } : {}) }
  const key = JSON.stringify([w.range, w.since.slice(0, 16), w.until, filters])
  const { data, error, reload } = useLoad(
    (signal) =>
      request<{ errors: ErrorGroup[] }>(
        `/api/errors${qs({ ...filters, ...window, buckets: BUCKETS, limit: 100 })}`,
        { signal },
      ),
    key,
  )
  const range =
    w.range === 'custom' ? `from=${w.since}${w.until ? `&to=${w.until}` : ''}` : `range=${w.range}`
  return (
    <div class="errors-page">
      <div class="page-head">
        <h1>Errors</h1>
        <TimeRange loc={loc} />
      </div>
      <ActiveFilters loc={loc} />
      {error && <ErrorBox error={error} retry={reload} />}
      {!data && !error && <Skeleton rows={8} height={44} />}
      {data && data.errors.length === 0 && (
        <Empty title="No errors in this window">
          <p>Errors are events at level error or fatal, or spans whose status is error.</p>
        </Empty>
      )}
      {data && data.errors.length > 0 && (
        <table class="table errors-table">
          <thead>
            <tr>
              <th>error</th>
              <th>service</th>
              <th class="num">count</th>
              <th class="num">users</th>
              <th>trend</th>
              <th>first seen</th>
              <th>last seen</th>
              <th>latest trace</th>
            </tr>
          </thead>
          <tbody>
            {data.errors.map((g) => (
              <tr key={g.fingerprint}>
                <td class="err-cell">
                  <a href={`/logs?fingerprint=${encodeURIComponent(g.fingerprint)}&${range}`}>
                    <strong>{clean(g.type ?? 'Error')}</strong> {clean(g.message ?? '')}
                  </a>
                  <div class="muted small">{g.fingerprint}</div>
                </td>
                <td>{clean(g.service ?? '')}</td>
                <td class="num">{fmtInt(g.count)}</td>
                <td class="num" title={g.users.join(', ')}>
                  {fmtInt(g.affected_users)}
                </td>
                <td>
                  {g.buckets ? (
                    <Sparkline values={g.buckets} label={`${g.count} occurrences over time`} />
                  ) : null}
                </td>
                <td title={fmtTime(g.first_seen)}>{fmtAgo(g.first_seen)}</td>
                <td title={fmtTime(g.last_seen)}>{fmtAgo(g.last_seen)}</td>
                <td>
                  {g.sample_trace_id ? (
                    <a href={`/traces/${g.sample_trace_id}`} class="mono">
                      {g.sample_trace_id.slice(0, 12)}…
                    </a>
                  ) : (
                    <span class="muted">–</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
