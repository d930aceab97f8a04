// Who is calling: API keys (hashed in the store, cached briefly) and the org scoping every
// read goes through.
import type { ApiKeyInfo, ApiKeyScope, EventFilters, Store } from '@threadline/store'
import type { FastifyRequest } from 'fastify'
import { HttpError } from './http-error.js'

/** The caller: the key's org and scopes, or everything (no org) in local mode. */
export interface Principal {
  org_id: string | undefined
  scopes: ReadonlySet<ApiKeyScope>
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal
  }
}

export interface Auth {
  /** A preHandler that sets `request.principal`, or refuses (401 no key, 403 no scope). */
  needs(scope: ApiKeyScope): (request: FastifyRequest) => Promise<void>
  /** The caller's filters narrowed to its org; asking for another org is a 403. */
  scoped<T extends EventFilters>(request: FastifyRequest, filters: T): T
  /** `{ org_id }` for a keyed caller, `{}` in local mode: for lookups by id (trace, session). */
  orgScope(request: FastifyRequest): { org_id?: string }
}

const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set(['ingest', 'read', 'admin'])

export function createAuth(store: Store, mode: 'keys' | 'local', keyCacheMs: number): Auth {
  const cache = new Map<string, { info: ApiKeyInfo | undefined; until: number }>()

  async function verify(key: string): Promise<ApiKeyInfo | undefined> {
    const hit = cache.get(key)
    if (hit && hit.until > Date.now()) return hit.info
    const info = await store.keys.verify(key)
    if (cache.size > 10_000) cache.clear()
    cache.set(key, { info, until: Date.now() + keyCacheMs })
    return info
  }

  return {
    needs: (scope) => async (request) => {
      if (mode === 'local') {
        request.principal = { org_id: undefined, scopes: ALL_SCOPES }
        return
      }
      const auth = request.headers.authorization
      const key =
        typeof auth === 'string' && auth.startsWith('Bearer ')
          ? auth.slice(7).trim()
          : request.headers['x-api-key']
      if (typeof key !== 'string' || key === '')
        throw new HttpError(
          401,
          'unauthorized',
          'an API key is required (Authorization: Bearer <key>)',
        )
      const info = await verify(key)
      if (!info) throw new HttpError(401, 'unauthorized', 'unknown or revoked API key')
      if (!info.scopes.includes(scope))
        throw new HttpError(403, 'forbidden', `this key lacks the ${scope} scope`)
      request.principal = { org_id: info.org_id, scopes: new Set(info.scopes) }
    },
    scoped(request, filters) {
      const org = request.principal?.org_id
      if (org === undefined) return filters
      if (filters.org_id !== undefined && filters.org_id !== org)
        throw new HttpError(403, 'forbidden', 'this API key reads only its own org', {
          field: 'org_id',
        })
      return { ...filters, org_id: org }
    },
    orgScope(request) {
      const org = request.principal?.org_id
      return org === undefined ? {} : { org_id: org }
    },
  }
}
