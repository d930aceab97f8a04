// Runs a suite against both engines: in-memory PGlite always, PostgreSQL when
// THREADLINE_TEST_PG_URL is set (CI sets it), each in a schema of its own.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe } from 'vitest'
import { createStore } from '../src/index.js'
import type { Store, StoreOptions } from '../src/index.js'

export const PG_URL = process.env.THREADLINE_TEST_PG_URL

if (!PG_URL)
  console.warn(
    '\n*** THREADLINE_TEST_PG_URL is not set: the PostgreSQL half of the store tests is SKIPPED ***\n',
  )

export interface EngineCase {
  name: 'pglite' | 'postgres'
  /** Open a store in a fresh schema; closed and dropped after the suite. */
  open(options?: StoreOptions): Promise<Store>
}

export const uniqueSchema = (): string => `t_${process.pid}_${randomBytes(4).toString('hex')}`

/** Drop a schema on the test PostgreSQL server. */
export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/**
 * `describe` once per engine. `fn` gets a getter for the suite's store (opened in
 * `beforeAll` with `options`) and the engine case, to open more stores if it needs them.
 */
export function describeEngines(
  name: string,
  fn: (store: () => Store, engine: EngineCase) => void,
  options: StoreOptions = {},
): void {
  const cases: EngineCase[] = [
    {
      name: 'pglite',
      open: (o = {}) =>
        createStore({ dataDir: 'memory', schema: uniqueSchema(), ...options, ...o }),
    },
  ]
  if (PG_URL) {
    const opened: string[] = []
    afterAll(async () => {
      for (const s of opened) await dropSchema(s)
    })
    cases.push({
      name: 'postgres',
      open: (o = {}) => {
        const schema = o.schema ?? uniqueSchema()
        opened.push(schema)
        return createStore({ databaseUrl: PG_URL, poolSize: 4, ...options, ...o, schema })
      },
    })
  }
  for (const engine of cases) {
    describe(`${name} [${engine.name}]`, () => {
      let store: Store | undefined
      const stores: Store[] = []
      beforeAll(async () => {
        store = await engine.open()
        stores.push(store)
      }, 60_000)
      afterAll(async () => {
        for (const s of stores) await s.close()
      })
      fn(() => {
        if (!store) throw new Error('store not open')
        return store
      }, engine)
    })
  }
}
