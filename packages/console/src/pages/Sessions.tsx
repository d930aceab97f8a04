// LLM conversations grouped by session id, and one session's turns in order.
import { qs, request } from '../api.js'
import { ActiveFilters } from '../components/FilterBar.js'
import { Empty, ErrorBox, Skeleton } from '../components/States.js'
import { TimeRange } from '../components/TimeRange.js'
import { urlFilters } from '../filters.js'
import { clean, fmtAgo, fmtCompact, fmtCost, fmtInt, fmtMs, fmtTime } from '../format.js'
import { useLoad } from '../hooks.js'
import type { Location } from '../router.js'
import { timeWindow } from '../time.js'
import type { SessionDetail, SessionSummary, Turn } from '../types.js'

export function Sessions({ loc }: { loc: Location }) {
  const w = timeWindow(loc.params)
  const filters = urlFilters(loc.params)
  const key = JSON.stringify([w.range, w.since.slice(0, 16), w.until, filters])
  const { data, error, reload } = useLoad(
    (signal) =>
      request<{ sessions: SessionSummary[] }>(
        `/api/sessions${qs({ ...filters, since: w.since, until: w.until, limit: 100 })}`,
        { signal },
      ),
    key,
  )
  return (
    <div>
      <div class="page-head">
        <h1>Sessions</h1>
        <TimeRange loc={loc} />
      </div>
      <ActiveFilters loc={loc} />
      {error && <ErrorBox error={error} retry={reload} />}
      {!data && !error && <Skeleton rows={8} height={36} />}
      {data && data.sessions.length === 0 && (
        <Empty title="No sessions in this window">
          <p>
            Events carrying a <code>session_id</code> (set it with{' '}
            <code>withBindings({'{ session_id }'}, …)</code>) are grouped here as conversations.
          </p>
        </Empty>
      )}
      {data && data.sessions.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th>session</th>
              <th>user</th>
              <th class="num">turns</th>
              <th class="num">errors</th>
              <th class="num">tokens</th>
              <th class="num">cost</th>
              <th>models</th>
              <th>last activity</th>
            </tr>
          </thead>
          <tbody>
            {data.sessions.map((s) => (
              <tr key={s.session_id}>
                <td>
                  <a href={`/sessions/${encodeURIComponent(s.session_id)}`}>
                    {clean(s.session_id)}
                  </a>
                </td>
                <td>
                  {s.user_id ? (
                    <a href={`/logs?user_id=${encodeURIComponent(s.user_id)}`}>
                      {clean(s.user_id)}
                    </a>
                  ) : (
                    '–'
                  )}
                </td>
                <td class="num">{fmtInt(s.turns)}</td>
                <td class={s.errors ? 'num bad' : 'num'}>{fmtInt(s.errors)}</td>
                <td class="num">{fmtCompact(s.input_tokens + s.output_tokens)}</td>
                <td class="num">{fmtCost(s.cost_usd)}</td>
                <td>{s.models.map(clean).join(', ')}</td>
                <td title={fmtTime(s.last_seen)}>{fmtAgo(s.last_seen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

function preview(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    // a message list: the last user message is the question
    const users = value.filter((m) => (m as { role?: string })?.role === 'user')
    const last = (users[users.length - 1] ?? value[value.length - 1]) as { content?: unknown }
    return typeof last?.content === 'string' ? last.content : JSON.stringify(last)
  }
  const m = value as { content?: unknown }
  return typeof m.content === 'string' ? m.content : JSON.stringify(value)
}

function TurnCard({ turn, n }: { turn: Turn; n: number }) {
  const input = preview(turn.input)
  const output = preview(turn.output)
  return (
    <li class={turn.errors ? 'turn card err' : 'turn card'}>
      <div class="turn-head">
        <span class="turn-n">#{n}</span>
        <strong>{clean(turn.name ?? 'turn')}</strong>
        <span class="muted">{fmtTime(turn.timestamp)}</span>
        <span class="spacer" />
        <a href={`/traces/${turn.trace_id}`}>Open trace</a>
      </div>
      <dl class="summary small">
        <div>
          <dt>model</dt>
          <dd>{turn.models.map(clean).join(', ') || '–'}</dd>
        </div>
        <div>
          <dt>tokens</dt>
          <dd>
            {fmtInt(turn.input_tokens)} in / {fmtInt(turn.output_tokens)} out
          </dd>
        </div>
        <div>
          <dt>cost</dt>
          <dd>{fmtCost(turn.cost_usd)}</dd>
        </div>
        <div>
          <dt>latency</dt>
          <dd>{fmtMs(turn.duration_ms)}</dd>
        </div>
        {turn.ttft_ms !== null && (
          <div>
            <dt>first token</dt>
            <dd>{fmtMs(turn.ttft_ms)}</dd>
          </div>
        )}
        {turn.errors > 0 && (
          <div>
            <dt>errors</dt>
            <dd class="bad">{turn.errors}</dd>
          </div>
        )}
      </dl>
      {input && (
        <div class="msg role-user">
          <span class="role">user</span>
          <pre>{clean(input)}</pre>
        </div>
      )}
      {output && (
        <div class="msg role-assistant">
          <span class="role">assistant</span>
          <pre>{clean(output)}</pre>
        </div>
      )}
      {turn.scores.length > 0 && (
        <div class="scores" aria-label="Scores">
          {turn.scores.map((s, i) => (
            <span class="pill score" key={i} title={s.comment ?? ''}>
              {clean(s.name)}: {Math.round(s.value * 1000) / 1000}
            </span>
          ))}
        </div>
      )}
    </li>
  )
}

export function Session({ id }: { id: string; loc: Location }) {
  const { data, error, reload } = useLoad(
    (signal) => request<SessionDetail>(`/api/sessions/${encodeURIComponent(id)}`, { signal }),
    id,
  )
  if (error?.status === 404)
    return (
      <Empty title="Session not found">
        <p>
          No events carry session id <code>{clean(id)}</code>. <a href="/sessions">All sessions</a>
        </p>
      </Empty>
    )
  if (error) return <ErrorBox error={error} retry={reload} />
  if (!data) return <Skeleton rows={6} height={80} />
  const t = data.totals
  return (
    <div class="session-page">
      <div class="page-head">
        <h1>
          Session <code>{clean(data.session_id)}</code>
        </h1>
        <a
          class="button"
          href={`/logs?session_id=${encodeURIComponent(data.session_id)}&from=${data.first_seen}&sort_order=asc`}
        >
          Events in the explorer
        </a>
      </div>
      <dl class="summary" aria-label="Session summary">
        <div>
          <dt>users</dt>
          <dd>{data.user_ids.map(clean).join(', ') || '–'}</dd>
        </div>
        <div>
          <dt>turns</dt>
          <dd>{fmtInt(t.turns)}</dd>
        </div>
        <div>
          <dt>tokens</dt>
          <dd>
            {fmtInt(t.input_tokens)} in / {fmtInt(t.output_tokens)} out
          </dd>
        </div>
        <div>
          <dt>cost</dt>
          <dd>{fmtCost(t.cost_usd)}</dd>
        </div>
        <div>
          <dt>errors</dt>
          <dd class={t.errors ? 'bad' : ''}>{fmtInt(t.errors)}</dd>
        </div>
        <div>
          <dt>from</dt>
          <dd>{fmtTime(data.first_seen)}</dd>
        </div>
        <div>
          <dt>to</dt>
          <dd>{fmtTime(data.last_seen)}</dd>
        </div>
      </dl>
      <ol class="turns">
        {data.turns.map((turn, i) => (
          <TurnCard key={turn.trace_id} turn={turn} n={i + 1} />
        ))}
      </ol>
    </div>
  )
}
