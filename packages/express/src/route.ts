/**
 * Route templates for Express 4 and 5. Express gives the matched `req.route`
 * (its `path` is the template relative to its router) and `req.baseUrl`, the
 * mount path of that router as matched, which holds raw values when a mount
 * path has parameters (`/orgs/:org` -> `/orgs/acme`). This module finds the
 * mount templates by walking the app's routers with Express's own matchers.
 */

type Matcher = (path: string) => { path: string; params: Record<string, unknown> } | false

interface Layer {
  route?: unknown
  name?: string
  handle?: { stack?: unknown }
  /** Express 5 (router 2.x): one matcher per path, and the paths as given (router >= 2.3). */
  matchers?: Matcher[]
  rawPath?: unknown
  slash?: boolean
  /** Express 4. */
  regexp?: RegExp & { fast_slash?: boolean }
  keys?: { name: string | number }[]
}

interface Route {
  path?: unknown
}

const MAX_DEPTH = 16
const cache = new WeakMap<object, Map<string, string>>()

/** The router of an Express 4 or 5 app, without tripping Express 4's `app.router` throw. */
export function appRouter(app: unknown): unknown {
  if (!app || typeof app !== 'function') return undefined
  const a = app as { _router?: unknown; lazyrouter?: unknown; router?: unknown }
  if (a._router) return a._router
  return typeof a.lazyrouter === 'function' ? undefined : a.router
}

/**
 * The full template of `route`, matched with mount path `baseUrl` under `root`
 * (the router of the app `threadline()` runs in); `undefined` when no route.
 * `subApps`: the routers of the sub-apps the route may sit in (Express hides a
 * mounted app behind a closure, so the walk cannot reach it from its parent).
 */
export function routeTemplate(
  route: unknown,
  baseUrl: string,
  root: unknown,
  params?: Record<string, unknown>,
  subApps: readonly unknown[] = [],
): string | undefined {
  if (!route || typeof route !== 'object') return undefined
  const own = pathTemplate((route as Route).path)
  if (!baseUrl) return own
  let byBase = cache.get(route)
  const hit = byBase?.get(baseUrl)
  if (hit !== undefined) return hit + own
  const subStacks = subApps.map(stackOf)
  let mount = findMount(stackOf(root), baseUrl, route, '', 0, subStacks)
  if (mount === undefined) {
    // not under this router (a sub-app): keep the mount path, with known params templated
    mount = substitute(baseUrl, params)
  } else if (mount === baseUrl && (byBase?.size ?? 0) < 100) {
    // a static mount: remember it (bounded, raw values are never cached)
    if (!byBase) cache.set(route, (byBase = new Map()))
    byBase.set(baseUrl, mount)
  }
  return mount + own
}

function pathTemplate(path: unknown): string {
  if (typeof path === 'string') return path
  if (Array.isArray(path)) return path.map(pathTemplate).join('|')
  return String(path)
}

function stackOf(router: unknown): Layer[] | undefined {
  const stack = (router as { stack?: unknown } | undefined)?.stack
  return Array.isArray(stack) ? (stack as Layer[]) : undefined
}

function findMount(
  stack: Layer[] | undefined,
  rest: string,
  route: object,
  prefix: string,
  depth: number,
  subStacks: readonly (Layer[] | undefined)[],
): string | undefined {
  if (!stack || depth > MAX_DEPTH) return undefined
  if (rest === '' && stack.some((l) => l.route === route)) return prefix
  for (const layer of stack) {
    if (layer.route) continue
    const inner = stackOf(layer.handle)
    const candidates = inner ? [inner] : layer.name === 'mounted_app' ? subStacks : []
    if (candidates.length === 0) continue
    const m = matchLayer(layer, rest)
    if (!m) continue
    for (const next of candidates) {
      const found = findMount(
        next,
        rest.slice(m.path.length),
        route,
        prefix + m.template,
        depth + 1,
        subStacks,
      )
      if (found !== undefined) return found
    }
  }
  return undefined
}

/** Match a mount layer against the start of `path`, without touching the layer's state. */
function matchLayer(layer: Layer, path: string): { path: string; template: string } | undefined {
  if (layer.slash || layer.regexp?.fast_slash) return { path: '', template: '' }
  let matched: string | undefined
  let template: string | undefined
  if (Array.isArray(layer.matchers)) {
    for (let i = 0; i < layer.matchers.length && matched === undefined; i++) {
      const m = layer.matchers[i]?.(path)
      if (!m) continue
      matched = m.path
      const raw = Array.isArray(layer.rawPath) ? layer.rawPath[i] : layer.rawPath
      template = typeof raw === 'string' ? raw : substitute(m.path, m.params)
    }
  } else if (layer.regexp) {
    const m = layer.regexp.exec(path)
    if (m) {
      matched = m[0]
      const params: Record<string, unknown> = {}
      layer.keys?.forEach((k, i) => (params[k.name] = m[i + 1]))
      template = substitute(m[0], params)
    }
  }
  if (matched === undefined || template === undefined) return undefined
  if (matched.endsWith('/')) matched = matched.slice(0, -1)
  // the router only descends on a path-segment boundary
  if (!path.startsWith(matched) || (path.length > matched.length && path[matched.length] !== '/'))
    return undefined
  return { path: matched, template: template === '/' ? '' : template.replace(/\/$/, '') }
}

/** Replace path segments equal to a parameter value with `:name`. */
export function substitute(path: string, params: Record<string, unknown> | undefined): string {
  if (!params) return path
  const byValue = new Map<string, string>()
  for (const [k, v] of Object.entries(params)) if (typeof v === 'string' && v) byValue.set(v, k)
  if (byValue.size === 0) return path
  return path
    .split('/')
    .map((seg) => {
      const name = byValue.get(safeDecode(seg))
      return name === undefined ? seg : `:${name}`
    })
    .join('/')
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
