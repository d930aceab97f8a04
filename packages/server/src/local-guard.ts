// The network boundary, for browsers. In local mode there are no keys, so it is all that
// protects the store. Binding to loopback is not enough: a web page on another site can
// point its own DNS name at 127.0.0.1 (DNS rebinding) and then read this server as
// same-origin. The browser still sends that name in `Host`, so only loopback names (and
// `allowedHosts`) are answered. And a page on another origin can send simple requests
// without preflight, so requests to the API carrying a foreign `Origin` (or
// `Sec-Fetch-Site: cross-site`) are refused unless CORS allows that origin. Clients without
// `Origin` (SDKs, exporters, curl) are unaffected.
import type { FastifyRequest } from 'fastify'
import { HttpError } from './http-error.js'

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const HOST = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i

/** The host name of a `Host` header (`Example.com:80` -> `example.com`), or undefined. */
function hostName(host: string | undefined): string | undefined {
  if (typeof host !== 'string') return undefined
  return HOST.exec(host.trim())?.[1]!.toLowerCase()
}

/** `localhost`, `127.0.0.1` or `[::1]`, with or without a port, any case. */
export function isLoopbackHost(host: string | undefined): boolean {
  const name = hostName(host)
  return name !== undefined && LOOPBACK_NAMES.has(name)
}

/** An `Origin` header naming a loopback host (`http://localhost:5173`, ...). */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin)
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.host)
  } catch {
    return false // `null` (sandboxed frames, file:) and garbage are foreign
  }
}

/** `https://App.example.com:443/` -> `https://app.example.com`, or undefined when not a URL. */
export function normaliseOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined
  } catch {
    return undefined
  }
}

export interface GuardOptions {
  mode: 'keys' | 'local'
  /** Extra host names answered (lower case, no port). */
  allowedHosts: readonly string[]
  /** Origins allowed by CORS (normalised). */
  corsOrigins: readonly string[]
}

const isApi = (url: string): boolean =>
  url === '/api' || url.startsWith('/api/') || url.startsWith('/api?') || url.startsWith('/v1/')

/** The onRequest hook: refuses foreign `Host`s (local mode) and cross-origin API requests. */
export function createGuard({ mode, allowedHosts, corsOrigins }: GuardOptions) {
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()))
  const origins = new Set(corsOrigins)
  const checkHost = mode === 'local' || hosts.size > 0
  return async function guard(request: FastifyRequest): Promise<void> {
    const host = request.headers.host
    if (checkHost && !isLoopbackHost(host) && !hosts.has(hostName(host) ?? '\0'))
      throw new HttpError(
        421,
        'host_not_allowed',
        mode === 'local'
          ? `this server runs in local mode (no API keys) and answers only requests addressed to localhost, 127.0.0.1 or [::1]${hosts.size ? ' or --allowed-hosts' : ''}, not ${JSON.stringify(host ?? '')}: a guard against DNS rebinding. Add the name with --allowed-hosts, or create an API key.`
          : `this server answers only the names in --allowed-hosts, not ${JSON.stringify(host ?? '')}`,
      )
    const origin = request.headers.origin
    const api = isApi(request.url)
    // Local mode also guards writes outside the API (nothing else takes them today).
    if (!api && !(mode === 'local' && WRITES.has(request.method))) return
    if (typeof origin === 'string') {
      const normal = normaliseOrigin(origin)
      const sameOrigin = normal !== undefined && new URL(normal).host === host?.toLowerCase()
      const allowed =
        sameOrigin ||
        (normal !== undefined && origins.has(normal)) ||
        (mode === 'local' && isLoopbackOrigin(origin))
      if (!allowed)
        throw new HttpError(
          403,
          'cross_origin_refused',
          `a request from the web page at ${JSON.stringify(origin)} is refused: ${mode === 'local' ? 'in local mode only pages served from a loopback address, or ' : 'only the console itself, or '}origins given to --cors-origins may call the API`,
        )
      return
    }
    if (request.headers['sec-fetch-site'] === 'cross-site')
      throw new HttpError(
        403,
        'cross_origin_refused',
        'a cross-site request is refused: only the console itself, or origins given to --cors-origins, may call the API',
      )
  }
}
