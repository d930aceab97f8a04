// The query data set that bench/store (KEEP=1) and bench/console share: N events of seed SEED
// loaded once into a PostgreSQL schema named after them, marked complete with a comment
// on the schema that records when the data ends. A half-loaded schema is dropped.

export const quoteIdent = (s) => `"${s.replaceAll('"', '""')}"`
const literal = (s) => `'${s.replaceAll("'", "''")}'`

/** The schema a kept data set of `n` events and seed `seed` lives in. */
export const keptSchema = (n, seed) => `bench_store_query_${n}_${seed}`

/**
 * The kept data set's metadata (`{ n, seed, batch, now, complete }`) when the schema holds
 * a complete one of that size and seed; otherwise the schema is dropped and undefined returned.
 */
export async function readKept(client, schema, { n, seed }) {
  const r = await client.query(
    `SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1`,
    [schema],
  )
  const comment = r.rows[0]?.c ? JSON.parse(r.rows[0].c) : undefined
  if (comment && comment.n === n && comment.seed === seed && comment.complete) return comment
  if (r.rows.length) await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`)
  return undefined
}

/** Mark a fully loaded schema as a kept data set. */
export async function markKept(client, schema, meta) {
  await client.query(
    `COMMENT ON SCHEMA ${quoteIdent(schema)} IS ${literal(JSON.stringify({ ...meta, complete: true }))}`,
  )
}
