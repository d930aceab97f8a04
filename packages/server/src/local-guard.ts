// Local mode has no keys, so the network boundary is all that protects the store. Binding
// to loopback is not enough: a web page on another site can point its own DNS name at
// 127.0.0.1 (DNS rebinding) and then read this server as same-origin. The browser still
// sends that name in `Host`, so only loopback names are answered. And a page on another
// origin can send simple POSTs without reading the answer, so writes carrying a foreign
// `Origin` (or `Sec-Fetch-Site: cross-site`) are refused. Clients without `Origin` (SDKs,
// exporters, curl) are unaffected.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from './http-error.js'

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]'])
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** `localhost`, `127.0.0.1` or `[::1]`, with or without a port, any case. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (typeof host !== 'string') return false
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host.trim())
  return m !== null && LOOPBACK_NAMES.has(m[1]!.toLowerCase())
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

/** The onRequest hook of local mode: refuses foreign `Host`s and cross-origin writes. */
export async function localGuard(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const host = request.headers.host
  if (!isLoopbackHost(host))
    throw new HttpError(
      421,
      'host_not_allowed',
      `this server runs in local mode (no API keys) and answers only requests addressed to localhost, 127.0.0.1 or [::1], not ${JSON.stringify(host ?? '')}: a guard against DNS rebinding. Create an API key to serve other names.`,
    )
  if (!WRITES.has(request.method)) return
  const origin = request.headers.origin
  if (typeof origin === 'string' && !isLoopbackOrigin(origin))
    throw new HttpError(
      403,
      'cross_origin_refused',
      `a write from the web page at ${JSON.stringify(origin)} is refused: in local mode only pages served from a loopback address may write`,
    )
  if (request.headers['sec-fetch-site'] === 'cross-site')
    throw new HttpError(
      403,
      'cross_origin_refused',
      'a cross-site write is refused: in local mode only pages served from a loopback address may write',
    )
}
