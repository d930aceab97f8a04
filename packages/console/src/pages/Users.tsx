// Per-user requests, errors, sessions and cost.
import { qs, request } from '../api.js'
import { ActiveFilters } from '../components/FilterBar.js'
import { Empty, ErrorBox, Skeleton } from '../components/States.js'
import { TimeRange } from '../components/TimeRange.js'
import { urlFilters } from '../filters.js'
import { clean, fmtAgo, fmtCompact, fmtCost, fmtInt, fmtTime } from '../format.js'
import { useLoad } from '../hooks.js'
import type { Location } from '../router.js'
import { timeWindow } from '../time.js'
import type { UserRow } from '../types.js'

export function Users({ loc }: { loc: Location }) {
  const w = timeWindow(loc.params)
  const filters = urlFilters(loc.params)
  const key = JSON.stringify([w.range, w.since.slice(0, 16), w.until, filters])
  const { data, error, reload } = useLoad(
    (signal) =>
      request<{ users: UserRow[] }>(
        `/api/users${qs({ ...filters, since: w.since, until: w.until, limit: 100 })}`,
        { signal },
      ),
    key,
  )
  const range = w.range === 'custom' ? `from=${w.since}` : `range=${w.range}`
  return (
    <div>
      <div class="page-head">
        <h1>Users</h1>
        <TimeRange loc={loc} />
      </div>
      <ActiveFilters loc={loc} />
      {error && <ErrorBox error={error} retry={reload} />}
      {!data && !error && <Skeleton rows={8} height={36} />}
      {data && data.users.length === 0 && (
        <Empty title="No users in this window">
          <p>
            Events carrying a <code>user_id</code> are counted here.
          </p>
        </Empty>
      )}
      {data && data.users.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>user</th>
              <th class="num">requests</th>
              <th class="num">events</th>
              <th class="num">errors</th>
              <th class="num">sessions</th>
              <th class="num">tokens</th>
              <th class="num">cost</th>
              <th>last seen</th>
            </tr>
          </thead>
          <tbody>
            {data.users.map((u) => (
              <tr key={u.user_id}>
                <td>
                  <a href={`/logs?user_id=${encodeURIComponent(u.user_id)}&${range}`}>
                    {clean(u.user_id)}
                  </a>
                </td>
                <td class="num">{fmtInt(u.requests)}</td>
                <td class="num">{fmtInt(u.events)}</td>
                <td class={u.errors ? 'num bad' : 'num'}>
                  {u.errors ? (
                    <a href={`/logs?user_id=${encodeURIComponent(u.user_id)}&level=error&${range}`}>
                      {fmtInt(u.errors)}
                    </a>
                  ) : (
                    0
                  )}
                </td>
                <td class="num">
                  {u.sessions ? (
                    <a href={`/sessions?user_id=${encodeURIComponent(u.user_id)}&${range}`}>
                      {fmtInt(u.sessions)}
                    </a>
                  ) : (
                    0
                  )}
                </td>
                <td class="num">{fmtCompact(u.input_tokens + u.output_tokens)}</td>
                <td class="num">{fmtCost(u.cost_usd)}</td>
                <td title={fmtTime(u.last_seen)}>{fmtAgo(u.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
