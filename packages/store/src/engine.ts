// The two engines behind one small interface: the same SQL runs on both.
import { mkdirSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { StoreEngine } from './types.js'

export interface QueryResultRows<T> {
  rows: T[]
  rowCount: number
}

/** What a transaction (or the engine itself) can run. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResultRows<T>>
  /** Several statements, no parameters. */
  exec(sql: string): Promise<void>
  /**
   * `COPY ... FROM STDIN` with text-format rows, pulled from `chunks` as the connection
   * takes them (so encoding overlaps the server's work); resolves with the rows copied.
   */
  copyFrom(sql: string, chunks: Iterable<string>): Promise<number>
}

export interface Engine extends Queryable {
  readonly kind: StoreEngine
  readonly location: string
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  close(): Promise<void>
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`

// ---------------------------------------------------------------- PGlite

interface PGliteResults {
  rows: unknown[]
  affectedRows?: number
}
interface PGliteLike {
  query(sql: string, params?: unknown[], options?: { blob?: Blob }): Promise<PGliteResults>
  exec(sql: string): Promise<unknown>
  transaction<T>(fn: (tx: PGliteLike) => Promise<T>): Promise<T>
  close(): Promise<void>
}

function pgliteQueryable(db: PGliteLike): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      const r = await db.query(sql, params ?? [])
      return { rows: r.rows as T[], rowCount: r.affectedRows ?? r.rows.length }
    },
    async exec(sql) {
      await db.exec(sql)
    },
    async copyFrom(sql, chunks) {
      // PGlite reads `COPY ... FROM '/dev/blob'` from the blob passed with the query.
      const r = await db.query(sql.replace(/FROM STDIN\b/i, "FROM '/dev/blob'"), [], {
        blob: new Blob([...chunks]),
      })
      return r.affectedRows ?? 0
    },
  }
}

export async function openPglite(dataDir: string, schema: string): Promise<Engine> {
  const { PGlite } = await import('@electric-sql/pglite')
  const memory = dataDir === 'memory' || dataDir === ':memory:'
  if (!memory) mkdirSync(dataDir, { recursive: true })
  const db = (await PGlite.create(memory ? undefined : dataDir)) as unknown as PGliteLike
  await db.exec(
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}; SET search_path TO ${quoteIdent(schema)}; SET TIME ZONE 'UTC';`,
  )
  const base = pgliteQueryable(db)
  return {
    kind: 'pglite',
    location: memory ? 'memory' : dataDir,
    ...base,
    transaction: (fn) => db.transaction((tx) => fn(pgliteQueryable(tx))),
    close: () => db.close(),
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** The URL with its password removed, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable database url>'
  }
}

export async function openPostgres(url: string, schema: string, poolSize: number): Promise<Engine> {
  const pg = (await import('pg')).default
  const { from: copyFromStream } = await import('pg-copy-streams')
  // timestamps come back as Date (timestamptz) and are turned into ISO strings by callers;
  // bigint counts are cast to int/float in SQL.
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // JIT compiles each analytic query for longer than the query runs at these sizes.
    options: `-c search_path=${schema} -c TimeZone=UTC -c jit=off`,
  })
  // An idle client's error (server restart) must not crash the host process.
  pool.on('error', () => {})

  const clientQueryable = (client: import('pg').PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      const r = await client.query(sql, params as unknown[])
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length }
    },
    async exec(sql) {
      await client.query(sql)
    },
    async copyFrom(sql, chunks) {
      const stream = client.query(copyFromStream(sql))
      await pipeline(Readable.from(chunks, { objectMode: false }), stream)
      return stream.rowCount ?? 0
    },
  })

  const withClient = async <T>(fn: (c: import('pg').PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect()
    try {
      return await fn(client)
    } finally {
      client.release()
    }
  }

  await withClient((c) => c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)).catch(
    (error: unknown) => {
      // Two processes creating the schema at once: the loser sees a duplicate; fine.
      if ((error as { code?: string }).code !== '23505') throw error
    },
  )

  return {
    kind: 'postgres',
    location: redactUrl(url),
    async query<T>(sql: string, params?: unknown[]) {
      const r = await pool.query(sql, params as unknown[])
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length }
    },
    exec: async (sql) => {
      await pool.query(sql)
    },
    copyFrom: (sql, chunks) => withClient((c) => clientQueryable(c).copyFrom(sql, chunks)),
    transaction: (fn) =>
      withClient(async (client) => {
        await client.query('BEGIN')
        try {
          const result = await fn(clientQueryable(client))
          await client.query('COMMIT')
          return result
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {})
          throw error
        }
      }),
    close: () => pool.end(),
  }
}
