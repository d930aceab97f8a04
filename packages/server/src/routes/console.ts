// The web console: the built single-page app at `/`, with the SPA's deep links answered by
// index.html, and the 404 answer for everything else (JSON for API paths).
import { relative, sep } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpError } from '../http-error.js'

export interface ConsoleRouteOptions {
  /** Serve the console at all. */
  enabled: boolean
  /** The built app's directory (index.html and hashed files under assets/). */
  root: string
  /** Whether `root` holds a build (index.html). */
  built: boolean
}

/** Paths the SPA never owns: a miss there is a real 404. */
const NOT_SPA = ['/api', '/v1', '/metrics', '/healthz', '/assets']

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Threadline</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>Threadline</h1>
<p>The server is running, but the web console has not been built. Run <code>pnpm build</code>
in the repository (or install a published <code>@threadline/server</code>), then reload.</p>
<p>The API answers meanwhile: <code>POST /api/logs/query</code>, <code>/api/errors</code>,
<code>/api/stats</code>, <code>/healthz</code>.</p>
</body></html>
`

function ownedBySpa(url: string): boolean {
  const path = url.split('?', 1)[0]!
  return !NOT_SPA.some((p) => path === p || path.startsWith(p + '/'))
}

const wantsHtml = (request: FastifyRequest): boolean =>
  (request.method === 'GET' || request.method === 'HEAD') &&
  ownedBySpa(request.url) &&
  (request.headers.accept ?? '').includes('text/html')

async function consolePlugin(app: FastifyInstance, options: ConsoleRouteOptions): Promise<void> {
  const { enabled, root, built } = options
  const serveIndex = (reply: FastifyReply): FastifyReply => {
    reply.header('cache-control', 'no-cache')
    if (!built) return reply.type('text/html; charset=utf-8').send(NOT_BUILT_PAGE)
    return reply.sendFile('index.html')
  }

  if (enabled && built) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: true,
      index: ['index.html'],
      // Cache headers are ours: hashed assets forever, the page that names them never.
      cacheControl: false,
      setHeaders(reply, path) {
        if (relative(root, path).startsWith('assets' + sep))
          reply.header('cache-control', 'public, max-age=31536000, immutable')
        else reply.header('cache-control', 'no-cache')
      },
    })
  } else if (enabled) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) => serveIndex(reply))
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (enabled && wantsHtml(request)) return serveIndex(reply)
    throw new HttpError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`)
  })
}

// Registered in the root context: it owns the server-wide not-found answer.
;(consolePlugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true

export const consoleRoutes = consolePlugin
