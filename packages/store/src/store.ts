// createStore: pick the engine, migrate, and wire the query modules to it.
import { ThreadlineConfigError } from '@threadline/core'
import { errorGroups, stats } from './aggregate.js'
import { facets, loadSession, sessions, users } from './explore.js'
import { openPglite, openPostgres, type Engine } from './engine.js'
import { inserter } from './insert.js'
import { integrations } from './integrations.js'
import { apiKeys } from './keys.js'
import { appliedMigrations, migrate } from './migrate.js'
import { partitions } from './partitions.js'
import { exportEvents, queryEvents } from './query.js'
import { applyRetention } from './retention.js'
import { loadTrace } from './trace.js'
import type { Store, StoreOptions } from './types.js'

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** The connection string the store would use: option, then env, else undefined (PGlite). */
export function resolveDatabaseUrl(
  databaseUrl?: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  return databaseUrl || env.THREADLINE_DATABASE_URL || env.DATABASE_URL || undefined
}

/**
 * Open a store: PostgreSQL when a URL is given (or set in `THREADLINE_DATABASE_URL` /
 * `DATABASE_URL`), else embedded PGlite under `.threadline/data`. Pending migrations are
 * applied unless `migrate: false`.
 */
export async function createStore(options: StoreOptions = {}): Promise<Store> {
  const {
    databaseUrl = resolveDatabaseUrl(),
    dataDir = '.threadline/data',
    schema = 'threadline',
    poolSize = 10,
    migrate: runMigrations = true,
    insertChunkSize = 5000,
  } = options
  if (!SCHEMA_NAME.test(schema))
    throw new ThreadlineConfigError(
      `store schema ${JSON.stringify(schema)} must be lower-case letters, digits and _ (max 63)`,
      'schema',
    )
  if (!Number.isInteger(insertChunkSize) || insertChunkSize < 1)
    throw new ThreadlineConfigError('insertChunkSize must be a positive integer', 'insertChunkSize')
  if (!Number.isInteger(poolSize) || poolSize < 1)
    throw new ThreadlineConfigError('poolSize must be a positive integer', 'poolSize')

  const engine: Engine = databaseUrl
    ? await openPostgres(databaseUrl, schema, poolSize)
    : await openPglite(dataDir, schema)
  try {
    if (runMigrations) await migrate(engine, schema)
  } catch (error) {
    await engine.close().catch(() => {})
    throw error
  }
  const parts = partitions(engine, schema)
  const ingest = inserter(engine, parts, insertChunkSize)
  let closed: Promise<void> | undefined

  return {
    engine: engine.kind,
    schema,
    insert: (events) => ingest.insert(events),
    query: (q = {}) => queryEvents(engine, q, new Date()),
    trace: (traceId, scope = {}) => loadTrace(engine, traceId, scope),
    errors: (q = {}) => errorGroups(engine, q, new Date()),
    stats: (q = {}) => stats(engine, q, new Date()),
    export: (q = {}) => exportEvents(engine, q, new Date()),
    facets: (field, q = {}) => facets(engine, field, q, new Date()),
    sessions: (q = {}) => sessions(engine, q, new Date()),
    session: (sessionId, scope = {}) => loadSession(engine, sessionId, scope),
    users: (q = {}) => users(engine, q, new Date()),
    applyRetention: (r) => applyRetention(engine, parts, r),
    migrate: () => migrate(engine, schema),
    keys: apiKeys(engine),
    integrations: integrations(engine),
    async count() {
      const { rows } = await engine.query<{ n: string | number }>(
        'SELECT count(*) AS n FROM events',
      )
      return Number(rows[0]?.n ?? 0)
    },
    async info() {
      return {
        engine: engine.kind,
        schema,
        location: engine.location,
        migrations: await appliedMigrations(engine),
      }
    },
    close: () => (closed ??= engine.close()),
  }
}
