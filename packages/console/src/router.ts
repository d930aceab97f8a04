// A small history router: the URL is the state, so every view is a link and Back works.
import { useEffect, useState } from 'preact/hooks'

export interface Location {
  path: string
  params: URLSearchParams
}

const listeners = new Set<() => void>()

function current(): Location {
  return { path: location.pathname, params: new URLSearchParams(location.search) }
}

export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return
  if (options.replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  for (const l of listeners) l()
}

addEventListener('popstate', () => {
  for (const l of listeners) l()
})

export function useLocation(): Location {
  const [loc, setLoc] = useState(current)
  useEffect(() => {
    const update = () => setLoc(current())
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return loc
}

/** `/traces/:id` against `/traces/abc` -> `{ id: 'abc' }`, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/')
  const s = path.replace(/\/+$/, '').split('/')
  if (p.length !== s.length) return null
  const out: Record<string, string> = {}
  for (let i = 0; i < p.length; i++) {
    const want = p[i]!
    const got = s[i]!
    if (want.startsWith(':')) {
      if (!got) return null
      out[want.slice(1)] = decodeURIComponent(got)
    } else if (want !== got) return null
  }
  return out
}

/** The same page with some query parameters changed (`undefined` or '' removes one). */
export function withParams(
  loc: Location,
  changes: Record<string, string | string[] | undefined>,
  path = loc.path,
): string {
  const next = new URLSearchParams(loc.params)
  for (const [k, v] of Object.entries(changes)) {
    const value = Array.isArray(v) ? v.join(',') : v
    if (value === undefined || value === '') next.delete(k)
    else next.set(k, value)
  }
  const s = next.toString()
  return s ? `${path}?${s}` : path
}

/** A click on an in-app link: push state instead of reloading (modifier keys open tabs). */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  const a = (event.target as Element).closest('a')
  if (!a || a.target || a.hasAttribute('download')) return
  const href = a.getAttribute('href')
  if (!href || !href.startsWith('/') || href.startsWith('//')) return
  if (/^\/(api|v1|metrics|healthz)\b/.test(href)) return
  event.preventDefault()
  navigate(href)
  window.scrollTo(0, 0)
}
