// The shell: navigation, the key gate in keys mode, and the route table.
import { useEffect, useState } from 'preact/hooks'
import { getKey, onKeyChange, request, setKey, ApiError } from './api.js'
import { ErrorBox } from './components/States.js'
import { Errors } from './pages/Errors.js'
import { Integrations } from './pages/Integrations.js'
import { Logs } from './pages/Logs.js'
import { Overview } from './pages/Overview.js'
import { Session, Sessions } from './pages/Sessions.js'
import { Trace } from './pages/Trace.js'
import { Users } from './pages/Users.js'
import { match, onLinkClick, useLocation, type Location } from './router.js'
import type { ServerInfo } from './types.js'

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/logs', 'Logs'],
  ['/errors', 'Errors'],
  ['/sessions', 'Sessions'],
  ['/users', 'Users'],
  ['/logs/integrations', 'Integrations'],
]

function Page({ loc }: { loc: Location }) {
  const p = loc.path
  if (p === '/' || p === '') return <Overview loc={loc} />
  if (p === '/logs') return <Logs loc={loc} />
  if (p === '/errors') return <Errors loc={loc} />
  if (p === '/sessions') return <Sessions loc={loc} />
  if (p === '/users') return <Users loc={loc} />
  if (p === '/logs/integrations') return <Integrations />
  const t = match('/traces/:id', p)
  if (t) return <Trace id={t.id!} loc={loc} />
  const s = match('/sessions/:id', p)
  if (s) return <Session id={s.id!} loc={loc} />
  return (
    <div class="state empty-state">
      <strong>No page here</strong>
      <p>
        <a href="/">Go to the overview</a>
      </p>
    </div>
  )
}

function KeyGate({ onDone }: { onDone: () => void }) {
  const [key, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  return (
    <main class="gate">
      <form
        class="card gate-card"
        onSubmit={async (e) => {
          e.preventDefault()
          setBusy(true)
          setError(null)
          try {
            // tried before it is kept, so a bad key never reaches storage
            await request('/api/logs/query', { body: { limit: 1 }, key: key.trim() })
            setKey(key.trim())
            onDone()
          } catch (err) {
            setError(
              err instanceof ApiError && err.status === 401
                ? 'That key is unknown or revoked.'
                : err instanceof ApiError && err.status === 403
                  ? 'That key cannot read: create one with the read scope.'
                  : (err as Error).message,
            )
          } finally {
            setBusy(false)
          }
        }}
      >
        <h1>Threadline</h1>
        <p>This server checks API keys. Enter a key with the read scope.</p>
        <label>
          API key
          <input
            type="password"
            autoComplete="off"
            autoFocus
            value={key}
            onInput={(e) => setText(e.currentTarget.value)}
            placeholder="tl_…"
          />
        </label>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !key.trim()}>
          Open the console
        </button>
        <p class="muted small">
          The key stays in this tab's session storage and is sent only to this server. Create one
          with <code>threadline keys create --org &lt;org&gt; --scopes read</code>.
        </p>
      </form>
    </main>
  )
}

export function App() {
  const loc = useLocation()
  const [info, setInfo] = useState<ServerInfo | null>(null)
  const [infoError, setInfoError] = useState<ApiError | null>(null)
  const [hasKey, setHasKey] = useState(!!getKey())

  useEffect(() => onKeyChange(() => setHasKey(!!getKey())), [])
  useEffect(() => {
    request<ServerInfo>('/api/info')
      // a server older than the console has no /api/info; /healthz says the same
      .catch((e: ApiError) =>
        e.status === 404 ? request<ServerInfo>('/healthz') : Promise.reject(e),
      )
      .then(setInfo, (e: ApiError) => setInfoError(e))
  }, [])
  useEffect(() => {
    document.addEventListener('click', onLinkClick)
    return () => document.removeEventListener('click', onLinkClick)
  }, [])

  if (infoError) return <ErrorBox error={infoError} retry={() => location.reload()} />
  if (!info) return <div class="boot" aria-busy="true" />
  if (info.mode === 'keys' && !hasKey) return <KeyGate onDone={() => setHasKey(true)} />

  const section = loc.path.startsWith('/logs/integrations')
    ? '/logs/integrations'
    : '/' + (loc.path.split('/')[1] ?? '')
  const active = section === '/traces' ? '/logs' : section
  return (
    <div class="shell">
      <header class="top">
        <a href="/" class="brand" aria-label="Threadline overview">
          <svg class="logo" width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">
            <path
              d="M2 9h4l2-5 2 10 2-5h4"
              fill="none"
              stroke="currentColor"
              stroke-width="2"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
          Threadline
        </a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => (
            <a
              key={href}
              href={href}
              class={active === href ? 'active' : ''}
              aria-current={active === href ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="muted small" title="Storage engine">
          {info.engine}
          {info.mode === 'keys' ? ' · keys' : ' · local'}
        </span>
        {info.mode === 'keys' && (
          <button type="button" class="link" onClick={() => setKey(null)}>
            Sign out
          </button>
        )}
      </header>
      <main class="content">
        <Page loc={loc} />
      </main>
    </div>
  )
}
