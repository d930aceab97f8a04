// The console talks to the server only through the public query API, like any script would.
// In keys mode the read key lives in session storage (never in a URL or a log line).

const KEY_STORAGE = 'threadline.key'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

type KeyListener = () => void
const keyListeners = new Set<KeyListener>()

export function getKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE)
  } catch {
    return null
  }
}

export function setKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key)
    else sessionStorage.removeItem(KEY_STORAGE)
  } catch {
    // storage disabled: the key lasts as long as the page
  }
  for (const l of keyListeners) l()
}

/** Called when the key changes or the server says it is no longer good (401). */
export function onKeyChange(listener: KeyListener): () => void {
  keyListeners.add(listener)
  return () => keyListeners.delete(listener)
}

function headers(json: boolean, key = getKey()): Record<string, string> {
  const h: Record<string, string> = { accept: 'application/json' }
  if (json) h['content-type'] = 'application/json'
  if (key) h.authorization = `Bearer ${key}`
  return h
}

/** The key header, for calls made without `request` (a DELETE answered 204). */
export function authHeaders(): Record<string, string> {
  return headers(false)
}

async function failure(res: Response): Promise<ApiError> {
  let body: { error?: string; message?: string; field?: string } = {}
  try {
    body = (await res.json()) as typeof body
  } catch {
    // not JSON: keep the status line
  }
  const err = new ApiError(
    res.status,
    body.error ?? 'http_' + res.status,
    body.message ?? `${res.status} ${res.statusText}`,
    body.field,
  )
  if (res.status === 401 && getKey()) setKey(null)
  return err
}

export async function request<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; key?: string } = {},
): Promise<T> {
  let res: Response
  try {
    res = await fetch(path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: headers(init.body !== undefined, init.key ?? getKey()),
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    })
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error
    throw new ApiError(0, 'unreachable', 'The Threadline server did not answer. Is it running?')
  }
  if (!res.ok) throw await failure(res)
  return (await res.json()) as T
}

/** Fetch a file with the key and hand it to the browser as a download. */
export async function download(path: string, filename: string): Promise<number> {
  const res = await fetch(path, { headers: headers(false) })
  if (!res.ok) throw await failure(res)
  const blob = await res.blob()
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return blob.size
}

/** A query string from filters: lists comma-joined, attributes as `attributes.key=value`. */
export function qs(params: Record<string, unknown>): string {
  const out = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue
    if (key === 'attributes' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        out.append(`attributes.${k}`, String(v))
    } else if (Array.isArray(value)) {
      if (value.length) out.append(key, value.join(','))
    } else out.append(key, String(value))
  }
  const s = out.toString()
  return s ? `?${s}` : ''
}
