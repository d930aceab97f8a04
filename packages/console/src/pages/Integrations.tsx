// Forwarding to where teams already look: the integrations of this org, their delivery
// stats and breaker state, and a form to add one. Credentials go to the server once and come
// back only as a hint.
import { useState } from 'preact/hooks'
import { ApiError, authHeaders, request } from '../api.js'
import { Empty, ErrorBox, Skeleton } from '../components/States.js'
import { clean, fmtAgo, fmtInt, fmtTime } from '../format.js'
import { useInterval, useLoad } from '../hooks.js'
import type { Integration, IntegrationTest } from '../types.js'
import { DESTINATIONS, integrationBody } from './integrations-form.js'

const BASE = '/api/logs/integrations'

function Breaker({ state }: { state: Integration['stats']['breaker'] }) {
  const label = state === 'closed' ? 'healthy' : state === 'open' ? 'paused (failing)' : 'probing'
  return <span class={`badge breaker-${state}`}>{label}</span>
}

function Row({ it, onChange }: { it: Integration; onChange: () => void }) {
  const [test, setTest] = useState<IntegrationTest | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await fn()
      onChange()
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const dropped = Object.entries(it.stats.dropped).filter(([, n]) => n > 0)
  const f = it.filters
  const filters = [
    f.categories.length ? `types ${f.categories.join(', ')}` : '',
    f.levels.length ? `levels ${f.levels.join(', ')}` : '',
    f.services.length ? `services ${f.services.join(', ')}` : '',
  ].filter(Boolean)
  return (
    <tr>
      <td>
        <strong>{clean(it.name)}</strong>
        <div class="muted small">
          {DESTINATIONS.find((d) => d.type === it.integration_type)?.label ?? it.integration_type}
          {it.credentials_hint ? ` · ${clean(it.credentials_hint)}` : ''}
        </div>
      </td>
      <td class="small">{filters.length ? clean(filters.join('; ')) : 'every event'}</td>
      <td>
        {it.enabled ? <Breaker state={it.stats.breaker} /> : <span class="badge">disabled</span>}
      </td>
      <td class="num">{fmtInt(it.stats.delivered)}</td>
      <td class="num" title={dropped.map(([k, n]) => `${k}: ${n}`).join('\n')}>
        {fmtInt(dropped.reduce((s, [, n]) => s + n, 0))}
      </td>
      <td class="small">
        {it.stats.last_success_at ? (
          <span title={fmtTime(it.stats.last_success_at)}>
            ok {fmtAgo(it.stats.last_success_at)}
          </span>
        ) : (
          <span class="muted">nothing sent yet</span>
        )}
        {it.stats.last_error && (
          <div class="bad" title={it.stats.last_error_at ? fmtTime(it.stats.last_error_at) : ''}>
            {clean(it.stats.last_error)}
          </div>
        )}
      </td>
      <td class="actions">
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(async () =>
              setTest(await request<IntegrationTest>(`${BASE}/${it.id}/test`, { body: {} })),
            )
          }
        >
          Test
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            act(() =>
              request(`${BASE}/${it.id}`, { method: 'PATCH', body: { enabled: !it.enabled } }),
            )
          }
        >
          {it.enabled ? 'Disable' : 'Enable'}
        </button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            if (confirm(`Delete the integration "${it.name}"? Events stop being forwarded to it.`))
              void act(() => deleteIntegration(it.id))
          }}
        >
          Delete
        </button>
        {test && (
          <div class={test.ok ? 'test-result ok' : 'test-result bad'} role="status">
            {test.ok ? 'Test delivered' : 'Test failed'}
            {test.status !== null ? ` (${test.status})` : ''} in {Math.round(test.duration_ms)} ms
            {test.message ? `: ${clean(test.message)}` : ''}
          </div>
        )}
        {error && (
          <div class="field-error" role="alert">
            {error}
          </div>
        )}
      </td>
    </tr>
  )
}

async function deleteIntegration(id: string): Promise<void> {
  // 204 has no body: request() would try to read JSON
  const res = await fetch(`${BASE}/${id}`, {
    method: 'DELETE',
    headers: authHeaders(),
  })
  if (!res.ok && res.status !== 404) throw new ApiError(res.status, 'delete_failed', res.statusText)
}

function AddForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [type, setType] = useState(DESTINATIONS[0]!.type)
  const [name, setName] = useState('')
  const [values, setValues] = useState<Record<string, string | boolean>>({})
  const [filters, setFilters] = useState({ categories: '', levels: '', services: '' })
  const [error, setError] = useState<ApiError | null>(null)
  const [busy, setBusy] = useState(false)
  const dest = DESTINATIONS.find((d) => d.type === type)!
  const set = (k: string, v: string | boolean) => setValues((s) => ({ ...s, [k]: v }))
  const field = (prefix: string, f: (typeof dest.config)[number]) => ({
    autoComplete: 'off',
    required: f.required === true,
    placeholder: f.placeholder ?? '',
    value: (values[prefix + f.key] as string) ?? '',
    'aria-invalid': error?.field === `${prefix === 'cred.' ? 'credentials' : 'config'}.${f.key}`,
    onInput: (e: { currentTarget: HTMLInputElement }) => set(prefix + f.key, e.currentTarget.value),
  })
  const input = (prefix: string, f: (typeof dest.config)[number], secret: boolean) => (
    <label key={prefix + f.key} class={f.boolean ? 'check' : ''}>
      {f.boolean ? (
        <>
          <input
            type="checkbox"
            checked={values[prefix + f.key] === true}
            onChange={(e) => set(prefix + f.key, e.currentTarget.checked)}
          />{' '}
          {f.label}
        </>
      ) : (
        <>
          {f.label}
          {f.required ? ' *' : ''}
          {secret ? (
            <input type="password" {...field(prefix, f)} />
          ) : (
            <input type="text" {...field(prefix, f)} />
          )}
        </>
      )}
    </label>
  )
  return (
    <form
      class="card integration-form"
      aria-label="Add an integration"
      onSubmit={async (e) => {
        e.preventDefault()
        setBusy(true)
        setError(null)
        try {
          await request(BASE, { body: integrationBody(dest, values, name, filters) })
          onDone()
        } catch (err) {
          setError(err instanceof ApiError ? err : new ApiError(0, 'error', (err as Error).message))
        } finally {
          setBusy(false)
        }
      }}
    >
      <h2>Add an integration</h2>
      <div class="form-grid">
        <label>
          Name *
          <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Destination
          <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
            {DESTINATIONS.map((d) => (
              <option key={d.type} value={d.type}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        {dest.config.map((f) => input('config.', f, false))}
        {dest.credentials.map((f) => input('cred.', f, true))}
        <label>
          Log types (empty: all)
          <input
            placeholder="http, llm, billing"
            value={filters.categories}
            onInput={(e) => setFilters({ ...filters, categories: e.currentTarget.value })}
          />
        </label>
        <label>
          Severities (empty: all)
          <input
            placeholder="error, fatal"
            value={filters.levels}
            onInput={(e) => setFilters({ ...filters, levels: e.currentTarget.value })}
          />
        </label>
        <label>
          Services (empty: all)
          <input
            placeholder="api, web"
            value={filters.services}
            onInput={(e) => setFilters({ ...filters, services: e.currentTarget.value })}
          />
        </label>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {error.message}
          {error.field ? ` (${error.field})` : ''}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          Add integration
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <p class="muted small">
        Credentials are encrypted at rest by the server and never shown again; only a hint of them
        is.
      </p>
    </form>
  )
}

export function Integrations() {
  const { data, error, reload } = useLoad(
    (signal) => request<{ integrations: Integration[] }>(BASE, { signal }),
    'integrations',
  )
  const [adding, setAdding] = useState(false)
  useInterval(reload, 5000)
  return (
    <div class="integrations-page">
      <div class="page-head">
        <h1>Integrations</h1>
        {!adding && (
          <button type="button" class="primary" onClick={() => setAdding(true)}>
            Add integration
          </button>
        )}
      </div>
      <p class="muted">
        Events that match an integration's filters are forwarded as they arrive, off the ingest
        path: a destination that is down is retried, then paused, and never slows the others.
      </p>
      {adding && (
        <AddForm
          onCancel={() => setAdding(false)}
          onDone={() => {
            setAdding(false)
            reload()
          }}
        />
      )}
      {error && !data && <ErrorBox error={error} retry={reload} />}
      {!data && !error && <Skeleton rows={3} height={48} />}
      {data && data.integrations.length === 0 && !adding && (
        <Empty title="No integrations yet">
          <p>Forward events to Datadog, Splunk, CloudWatch Logs or any webhook.</p>
        </Empty>
      )}
      {data && data.integrations.length > 0 && (
        <table class="table integrations">
          <thead>
            <tr>
              <th>integration</th>
              <th>forwards</th>
              <th>state</th>
              <th class="num">delivered</th>
              <th class="num">dropped</th>
              <th>last delivery</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.integrations.map((it) => (
              <Row key={it.id} it={it} onChange={reload} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
