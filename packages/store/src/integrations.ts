// Integrations: rows only. Encryption of credentials is the caller's (the server's) business;
// the store keeps the ciphertext and the masked hint it is given.
import { randomUUID } from 'node:crypto'
import type { Engine } from './engine.js'
import type {
  IntegrationFilters,
  IntegrationRecord,
  IntegrationScope,
  Integrations,
} from './types.js'

interface Row {
  id: string
  org_id: string | null
  name: string
  integration_type: string
  config: unknown
  credentials_encrypted: string | null
  credentials_hint: string | null
  enabled: boolean
  filters: unknown
  created_at: Date | string
  updated_at: Date | string
}

const COLUMNS = `id, org_id, name, integration_type, config, credentials_encrypted,
  credentials_hint, enabled, filters, created_at, updated_at`
const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString()
const json = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v)
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

const toRecord = (r: Row): IntegrationRecord => {
  const f = (json(r.filters) ?? {}) as Record<string, unknown>
  return {
    id: r.id,
    org_id: r.org_id,
    name: r.name,
    integration_type: r.integration_type,
    config: (json(r.config) ?? {}) as Record<string, unknown>,
    credentials_encrypted: r.credentials_encrypted,
    credentials_hint: r.credentials_hint,
    enabled: r.enabled,
    filters: {
      categories: list(f['categories']),
      levels: list(f['levels']),
      services: list(f['services']),
    } satisfies IntegrationFilters,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  }
}

/** `org_id` undefined = every org (local mode); a string = that org only. */
const orgClause = (scope: IntegrationScope, n: number): [string, unknown[]] =>
  scope.org_id === undefined ? ['TRUE', []] : [`org_id = $${n}`, [scope.org_id]]

export function integrations(engine: Engine): Integrations {
  return {
    async create(input) {
      const { rows } = await engine.query<Row>(
        `INSERT INTO integrations (id, org_id, name, integration_type, config,
           credentials_encrypted, credentials_hint, enabled, filters)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb)
         RETURNING ${COLUMNS}`,
        [
          randomUUID(),
          input.org_id ?? null,
          input.name,
          input.integration_type,
          JSON.stringify(input.config ?? {}),
          input.credentials_encrypted ?? null,
          input.credentials_hint ?? null,
          input.enabled ?? true,
          JSON.stringify(input.filters ?? {}),
        ],
      )
      return toRecord(rows[0]!)
    },
    async list(scope = {}) {
      const [where, params] = orgClause(scope, 1)
      const { rows } = await engine.query<Row>(
        `SELECT ${COLUMNS} FROM integrations WHERE ${where} ORDER BY created_at DESC, id DESC`,
        params,
      )
      return rows.map(toRecord)
    },
    async all() {
      const { rows } = await engine.query<Row>(
        `SELECT ${COLUMNS} FROM integrations ORDER BY created_at DESC, id DESC`,
      )
      return rows.map(toRecord)
    },
    async get(id, scope = {}) {
      const [where, params] = orgClause(scope, 2)
      const { rows } = await engine.query<Row>(
        `SELECT ${COLUMNS} FROM integrations WHERE id = $1 AND ${where}`,
        [id, ...params],
      )
      return rows[0] ? toRecord(rows[0]) : undefined
    },
    async update(id, patch, scope = {}) {
      const sets: string[] = []
      const values: unknown[] = [id]
      const set = (column: string, value: unknown, cast = ''): void => {
        values.push(value)
        sets.push(`${column} = $${values.length}${cast}`)
      }
      if (patch.name !== undefined) set('name', patch.name)
      if (patch.config !== undefined) set('config', JSON.stringify(patch.config), '::jsonb')
      if (patch.credentials_encrypted !== undefined)
        set('credentials_encrypted', patch.credentials_encrypted)
      if (patch.credentials_hint !== undefined) set('credentials_hint', patch.credentials_hint)
      if (patch.enabled !== undefined) set('enabled', patch.enabled)
      if (patch.filters !== undefined) set('filters', JSON.stringify(patch.filters), '::jsonb')
      sets.push('updated_at = now()')
      let where = 'TRUE'
      if (scope.org_id !== undefined) {
        values.push(scope.org_id)
        where = `org_id = $${values.length}`
      }
      const { rows } = await engine.query<Row>(
        `UPDATE integrations SET ${sets.join(', ')} WHERE id = $1 AND ${where} RETURNING ${COLUMNS}`,
        values,
      )
      return rows[0] ? toRecord(rows[0]) : undefined
    },
    async delete(id, scope = {}) {
      const [where, params] = orgClause(scope, 2)
      const r = await engine.query(`DELETE FROM integrations WHERE id = $1 AND ${where}`, [
        id,
        ...params,
      ])
      return r.rowCount > 0
    },
  }
}
