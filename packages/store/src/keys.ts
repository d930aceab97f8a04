// API keys: random secrets shown once, stored as SHA-256 hashes, bound to one org.
import { createHash, randomBytes } from 'node:crypto'
import type { Engine } from './engine.js'
import { StoreQueryError } from './errors.js'
import type { ApiKeyInfo, ApiKeys, ApiKeyScope, CreatedApiKey } from './types.js'

const SCOPES: readonly ApiKeyScope[] = ['ingest', 'read', 'admin']
const KEY_FORMAT = /^tl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex')

interface KeyRow {
  id: string
  org_id: string
  name: string | null
  scopes: string[]
  created_at: Date | string
  revoked_at: Date | string | null
}

const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString()
const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id,
  org_id: r.org_id,
  name: r.name,
  scopes: r.scopes as ApiKeyScope[],
  created_at: iso(r.created_at),
  revoked_at: r.revoked_at === null ? null : iso(r.revoked_at),
})

export function apiKeys(engine: Engine): ApiKeys {
  return {
    async create({ org_id, scopes = ['ingest', 'read'], name }) {
      if (typeof org_id !== 'string' || org_id.length === 0 || org_id.length > 200)
        throw new StoreQueryError('org_id', 'expected a non-empty org id (max 200 characters)')
      if (!Array.isArray(scopes) || scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s)))
        throw new StoreQueryError('scopes', `expected one or more of ${SCOPES.join(', ')}`)
      const id = randomBytes(6).toString('hex')
      const key = `tl_${id}_${randomBytes(32).toString('base64url')}`
      const { rows } = await engine.query<KeyRow>(
        `INSERT INTO api_keys (id, org_id, name, scopes, key_hash)
         VALUES ($1, $2, $3, $4::text[], $5)
         RETURNING id, org_id, name, scopes, created_at, revoked_at`,
        [id, org_id, name ?? null, [...new Set(scopes)], hashKey(key)],
      )
      return { key, info: toInfo(rows[0]!) } satisfies CreatedApiKey
    },
    async verify(key) {
      if (typeof key !== 'string' || !KEY_FORMAT.test(key)) return undefined
      const { rows } = await engine.query<KeyRow>(
        `SELECT id, org_id, name, scopes, created_at, revoked_at FROM api_keys
          WHERE key_hash = $1 AND revoked_at IS NULL`,
        [hashKey(key)],
      )
      return rows[0] ? toInfo(rows[0]) : undefined
    },
    async list(filter = {}) {
      const { rows } = await engine.query<KeyRow>(
        `SELECT id, org_id, name, scopes, created_at, revoked_at FROM api_keys
          WHERE ($1::text IS NULL OR org_id = $1) ORDER BY created_at, id`,
        [filter.org_id ?? null],
      )
      return rows.map(toInfo)
    },
    async revoke(id) {
      const r = await engine.query(
        'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
        [id],
      )
      return r.rowCount > 0
    },
    async activeCount() {
      const { rows } = await engine.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL',
      )
      return Number(rows[0]?.n ?? 0)
    },
  }
}
