import { diag, resolveHttpOptions, startHttpServerSpan } from '@threadline/core'
import type { HttpServerScope } from '@threadline/core'
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'
import { defaultHttpMetrics } from './metrics.js'
import { appRouter, routeTemplate } from './route.js'
import type { ThreadlineExpressOptions } from './types.js'

type Scope = HttpServerScope<Request, Response>

const SCOPE = Symbol.for('threadline.express.scope')

interface Tracked {
  [SCOPE]?: Scope
  _body?: unknown
}

/**
 * Express 4 and 5 middleware: one trace and one completion event per request.
 * Install it first, before body parsers and routes: `app.use(threadline())`.
 * Everything the request runs (handlers, awaits, timers, emitters, bodies) sees
 * its trace and request ids. Throws a TypeError on bad options.
 */
export function threadline(options: ThreadlineExpressOptions = {}): RequestHandler {
  const { metrics = true, ...http } = options
  const resolved = resolveHttpOptions<Request, Response>({
    ...http,
    metrics: metrics === true ? defaultHttpMetrics() : metrics,
  })

  return function threadlineMiddleware(req, res, next) {
    const tracked = req as Request & Tracked
    // installed twice (app and sub-app, or by two modules): the first one owns the request
    if (tracked[SCOPE]) return next()
    let scope: Scope
    try {
      scope = startHttpServerSpan(
        {
          method: req.method,
          url: req.originalUrl || req.url,
          headers: req.headers,
          // `req.ip` honours the app's 'trust proxy' setting
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
          req,
        },
        resolved,
      )
      tracked[SCOPE] = scope
      const echo = scope.responseHeaders
      for (const k in echo) res.setHeader(k, echo[k]!)
      if (!scope.skipped) track(req, res, scope, resolved.bodyMax > 0)
      scope.bindEmitter(req)
    } catch (err) {
      diag.error('express: starting the request scope failed', err)
      return next()
    }
    scope.run(next)
  }
}

function track(req: Request, res: Response, scope: Scope, withBody: boolean): void {
  // Express sets `req.route` when a route matches, with `req.baseUrl` at its
  // router's mount path. Both change again as routers unwind (next(err)), so
  // keep the pair as it was at the match.
  let route: unknown = req.route
  let baseUrl = ''
  let params: Record<string, unknown> | undefined
  let leafApp: unknown
  const app: unknown = req.app
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: unknown) {
      // the router sets it, then the route's dispatch sets it again (params changed by then)
      if (value === route) return
      route = value
      baseUrl = req.baseUrl ?? ''
      params = req.params
      leafApp = req.app
    },
  })
  const end = (aborted: boolean): void => {
    try {
      scope.setRoute(routeTemplate(route, baseUrl, appRouter(app), params, subApps(leafApp, app)))
    } catch (err) {
      diag.warn('express: resolving the route template failed', err)
    }
    const length = res.getHeader('content-length')
    if (!aborted) {
      scope.finish({
        statusCode: res.statusCode,
        responseBytes: length === undefined ? undefined : Number(length),
        body: withBody ? bodyOf(req) : undefined,
        res,
      })
    } else if (scope.error !== undefined) {
      // the server gave up on a response already started (Express destroys the
      // socket on an error after headers were sent): errored, and no fake status
      scope.finish({ res })
    } else {
      scope.finish({ aborted: true, statusCode: res.headersSent ? res.statusCode : undefined, res })
    }
  }
  res.once('finish', () => end(false))
  res.once('close', () => {
    if (!res.writableFinished) end(true)
  })
}

/** Routers of the sub-apps between the app `threadline()` runs in and the one that routed. */
function subApps(leaf: unknown, root: unknown): unknown[] {
  const routers: unknown[] = []
  for (let a = leaf; a && a !== root && routers.length < 8; a = (a as { parent?: unknown }).parent)
    routers.push(appRouter(a))
  return routers
}

/** The parsed body, when a body parser ran (never Express 4's empty `{}` default). */
function bodyOf(req: Request): unknown {
  const body: unknown = req.body
  if (body === undefined || body === null) return undefined
  if (typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0)
    return (req as Request & Tracked)._body ? body : undefined
  return body
}

/**
 * Error middleware: records the error on the request's completion event (its
 * type, message, stack and fingerprint; the first error wins) and passes it on
 * unchanged with `next(err)`. Install it after your routes and before your own
 * error handlers: `app.use(threadlineErrors())`.
 */
export function threadlineErrors(): ErrorRequestHandler {
  return function threadlineErrorMiddleware(err: unknown, req, _res, next) {
    ;(req as Request & Tracked)[SCOPE]?.recordError(err)
    next(err)
  }
}
