// Event store benchmark: ingest rate against raw COPY, and query latency at scale.
//
//   node bench/store/run.js            # full run: N=200000 R=5, queries at 1,000,000 events
//   node bench/store/run.js --quick    # or QUICK=1: small sizes, R=1; proves it still works
//
// Needs the store built (`pnpm turbo run build --filter=@threadline/store`) and PostgreSQL at
// THREADLINE_BENCH_PG_URL, else THREADLINE_TEST_PG_URL, else
// postgres://postgres@127.0.0.1:5432/test. Every PostgreSQL measurement uses a schema of its
// own and drops it afterwards.
//
// Env: N (events per ingest measurement, default 200000; quick 20000), BATCH (events per
// insert call and per COPY, default 5000), R (interleaved ingest rounds, default 5; quick 1),
// N_QUERY (events loaded for the PostgreSQL query latencies, default 1000000; quick 20000),
// N_QUERY_PGLITE (the same for PGlite, default 100000; quick 5000), Q (timed runs per query,
// default 20; quick 5), WARM (untimed runs first, default 3), SEED (data set, default 42),
// VARIANTS (ingest subset), PARTS (default ingest,query,query-pglite), KEEP=1 (keep the
// PostgreSQL query data set and reuse it when N_QUERY and SEED match), OUT (results file;
// default bench/store/results-<date>[-quick].json).
//
// Ingest: each measurement runs in a fresh `node variant.js <name>` process; each round runs
// every variant once, round-robin, starting one variant later than the round before.
// Reported: median rows/s over the rounds, min-max, and the ratio to pg-copy-raw from the
// medians with the same ratio within each round as the spread. Queries: one fresh process per
// engine loads the data set through store.insert, then times every query Q times after WARM
// runs; reported: median, min-max and the answer's size.

import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { loadavg, totalmem } from 'node:os'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import pg from 'pg'
import { BENCH_PG_URL, fmt, machineInfo, median, runVariant, version } from '../shared/harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const storeDir = join(root, 'packages/store')
const env = process.env
const quick = process.argv.includes('--quick') || env.QUICK === '1'
const N = Number(env.N ?? (quick ? 20_000 : 200_000))
const BATCH = Number(env.BATCH ?? 5000)
const R = Number(env.R ?? (quick ? 1 : 5))
const N_QUERY = Number(env.N_QUERY ?? (quick ? 20_000 : 1_000_000))
const N_QUERY_PGLITE = Number(env.N_QUERY_PGLITE ?? (quick ? 5000 : 100_000))
const Q = Number(env.Q ?? (quick ? 5 : 20))
const WARM = Number(env.WARM ?? 3)
const SEED = Number(env.SEED ?? 42)
const PG_URL = BENCH_PG_URL
const INGEST = ['pg-copy-raw', 'store-postgres', 'store-pglite']
const RAW = 'pg-copy-raw'
const RATIO_TARGET = 0.9
const parts = (env.PARTS ?? 'ingest,query,query-pglite').split(',').map((s) => s.trim())
const names = env.VARIANTS ? env.VARIANTS.split(',').map((s) => s.trim()) : INGEST

function die(msg) {
  console.error(`bench/store: ${msg}`)
  process.exit(1)
}

for (const p of parts)
  if (!['ingest', 'query', 'query-pglite'].includes(p))
    die(`unknown part ${JSON.stringify(p)}; PARTS is a list of ingest, query, query-pglite`)
for (const n of names)
  if (!INGEST.includes(n)) die(`unknown variant ${JSON.stringify(n)}; one of: ${INGEST.join(', ')}`)
for (const [k, v] of Object.entries({ N, BATCH, R, N_QUERY, N_QUERY_PGLITE, Q }))
  if (!(Number.isInteger(v) && v > 0)) die(`${k} must be a positive integer`)
if (!(Number.isInteger(WARM) && WARM >= 0)) die('WARM must be a non-negative integer')
for (const f of ['dist/index.js', 'dist/copy.js'])
  if (!existsSync(join(storeDir, f)))
    die(
      `packages/store/${f} is missing: run \`pnpm turbo run build --filter=@threadline/store\` first`,
    )

/** Short hash of the built store (packages/store/dist/**.js), to tell which build a result measured. */
function storeBuild() {
  const dist = join(storeDir, 'dist')
  const h = createHash('sha256')
  const files = readdirSync(dist, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.js'))
    .sort()
  for (const f of files) h.update(f).update(readFileSync(join(dist, f)))
  return h.digest('hex').slice(0, 12)
}

/** Server version and the settings that matter for ingest and queries; fails early when down. */
async function serverInfo() {
  const client = new pg.Client({ connectionString: PG_URL })
  try {
    await client.connect()
  } catch (error) {
    die(`cannot connect to PostgreSQL at ${redact(PG_URL)}: ${error.message}`)
  }
  try {
    const settings = [
      'server_version',
      'shared_buffers',
      'work_mem',
      'maintenance_work_mem',
      'max_wal_size',
      'synchronous_commit',
      'fsync',
      'jit',
    ]
    const info = {}
    for (const s of settings) info[s] = (await client.query(`SHOW ${s}`)).rows[0][s]
    return info
  } finally {
    await client.end()
  }
}

function redact(url) {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '<unparseable url>'
  }
}

const pkgVersion = (pkg) => version(pkg, here) ?? version(pkg, storeDir)

async function main() {
  const started = new Date()
  const NOW = Math.floor(started.getTime() / 1000) * 1000
  const machine = {
    ...machineInfo(),
    memGiB: Math.round(totalmem() / 2 ** 30),
    postgres: await serverInfo(),
    pg: pkgVersion('pg'),
    'pg-copy-streams': pkgVersion('pg-copy-streams'),
    pglite: version('@electric-sql/pglite', storeDir),
    store: JSON.parse(readFileSync(join(storeDir, 'package.json'), 'utf8')).version,
    storeBuild: storeBuild(),
  }
  console.error(
    `bench/store: N=${N} BATCH=${BATCH} R=${R} N_QUERY=${N_QUERY} N_QUERY_PGLITE=${N_QUERY_PGLITE} Q=${Q}` +
      `${quick ? ' (quick: proves it works, not for timing)' : ''}; ${machine.nproc}x ${machine.cpu}, ` +
      `node ${machine.node}, PostgreSQL ${machine.postgres.server_version} at ${redact(PG_URL)}`,
  )
  const common = { BATCH: String(BATCH), SEED: String(SEED), NOW: String(NOW), PG_URL }
  const one = (name, extra) =>
    runVariant(join(here, 'variant.js'), name, { cwd: root, env: { ...common, ...extra } })
  const load = [loadavg()[0]]

  // ------------------------------------------------------------------ ingest
  const runs = Object.fromEntries(names.map((n) => [n, []]))
  if (parts.includes('ingest')) {
    for (let r = 0; r < R; r++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length]
        const res = await one(name, { N: String(N) })
        res.round = r
        runs[name].push(res)
        console.error(
          `  round ${r + 1}/${R}  ${name.padEnd(15)} ${fmt(res.rowsPerSec).padStart(8)} rows/s  ${res.check}`,
        )
      }
      load.push(loadavg()[0])
    }
  }
  const ingest = {}
  for (const n of names) {
    if (!runs[n].length) continue
    const rate = runs[n].map((x) => x.rowsPerSec)
    ingest[n] = {
      medianRowsPerSec: median(rate),
      minRowsPerSec: Math.min(...rate),
      maxRowsPerSec: Math.max(...rate),
      clientCpuUsPerRow: (median(runs[n].map((x) => x.clientCpuMs)) * 1000) / N,
      runs: runs[n],
    }
  }
  const rateOf = (name, r) => runs[name]?.find((x) => x.round === r)?.rowsPerSec
  const vsRaw = (name) => {
    if (!ingest[name] || !ingest[RAW]) return undefined
    const xs = []
    for (let r = 0; r < R; r++) {
      const v = rateOf(name, r) / rateOf(RAW, r)
      if (Number.isFinite(v)) xs.push(v)
    }
    return {
      value: ingest[name].medianRowsPerSec / ingest[RAW].medianRowsPerSec,
      min: Math.min(...xs),
      max: Math.max(...xs),
    }
  }
  for (const n of Object.keys(ingest)) ingest[n].vsRaw = vsRaw(n)

  // ------------------------------------------------------------------ queries
  const query = {}
  if (parts.includes('query')) {
    console.error(`bench/store: query latency on PostgreSQL at ${fmt(N_QUERY)} events`)
    query.postgres = await one('query-postgres', {
      N: String(N_QUERY),
      Q: String(Q),
      WARM: String(WARM),
    })
    load.push(loadavg()[0])
  }
  if (parts.includes('query-pglite')) {
    console.error(`bench/store: query latency on PGlite at ${fmt(N_QUERY_PGLITE)} events`)
    query.pglite = await one('query-pglite', {
      N: String(N_QUERY_PGLITE),
      Q: String(Q),
      WARM: String(WARM),
    })
    load.push(loadavg()[0])
  }

  // ------------------------------------------------------------------ report
  const lines = []
  const buildAfter = storeBuild()
  if (buildAfter !== machine.storeBuild) {
    machine.storeBuildAfter = buildAfter
    console.error(
      `bench/store: WARNING: packages/store/dist changed during the run (${machine.storeBuild} -> ${buildAfter}); results mix builds`,
    )
  }
  const x2 = (v) => `${fmt(v, 2)}x`
  if (quick) lines.push('QUICK RUN: proves the benchmark works; the numbers are not timings', '')
  if (Object.keys(ingest).length) {
    lines.push(
      `Ingest: N=${fmt(N)} events per measurement, ${fmt(BATCH)} per insert call / COPY, R=${R} interleaved rounds, fresh process per measurement`,
      '',
      '| variant | rows/s (median) | min–max | vs pg-copy-raw (per-round range) | client CPU µs/row |',
      '|---|--:|--:|--:|--:|',
    )
    for (const [n, s] of Object.entries(ingest)) {
      const v = s.vsRaw ? `${x2(s.vsRaw.value)} (${x2(s.vsRaw.min)}–${x2(s.vsRaw.max)})` : '–'
      lines.push(
        `| \`${n}\` | ${fmt(s.medianRowsPerSec)} | ${fmt(s.minRowsPerSec)}–${fmt(s.maxRowsPerSec)} | ${v} | ${fmt(s.clientCpuUsPerRow, 1)} |`,
      )
    }
    const ratio = ingest['store-postgres']?.vsRaw
    if (ratio) {
      const met = ratio.value >= RATIO_TARGET
      const crosses = ratio.min < RATIO_TARGET && ratio.max > RATIO_TARGET
      lines.push(
        '',
        `Target: store-postgres >= ${RATIO_TARGET}x pg-copy-raw rows/s: ${x2(ratio.value)} ` +
          `(per round ${x2(ratio.min)}–${x2(ratio.max)}): **${met ? 'met' : 'missed'}**${crosses ? ' (spread crosses the target)' : ''}`,
      )
    }
  }
  const engines = Object.keys(query)
  if (engines.length) {
    lines.push('')
    for (const e of engines) {
      const q = query[e]
      const bits = [`${e === 'postgres' ? 'PostgreSQL' : 'PGlite (in memory)'}: ${fmt(q.n)} events`]
      if (q.reused) bits.push('reused from an earlier run (KEEP=1)')
      if (q.load)
        bits.push(
          `loaded through store.insert at ${fmt(q.load.eventsPerSec)} events/s (insert time only)`,
        )
      if (q.load?.vacuumAnalyzeMs !== undefined)
        bits.push(`VACUUM (ANALYZE) ${fmt(q.load.vacuumAnalyzeMs / 1000, 1)} s`)
      if (q.totalBytes)
        bits.push(
          `${q.partitions} partitions, ${fmt(q.totalBytes / 2 ** 20)} MiB with indexes (${fmt(q.totalBytes / q.n)} B/event, heap ${fmt(q.heapBytes / q.n)} B/event)`,
        )
      lines.push(`${bits.join('; ')}.`)
    }
    const head = engines.map((e) =>
      e === 'postgres' ? `PostgreSQL ${fmtCount(N_QUERY)}` : `PGlite ${fmtCount(N_QUERY_PGLITE)}`,
    )
    lines.push(
      '',
      `Query latency: median of ${Q} runs after ${WARM} warm-up runs, ms (min–max), rows returned`,
      '',
      `| query | call | ${head.map((h) => `${h}: median ms | min–max | rows`).join(' | ')} | target | verdict |`,
      `|---|---|${head.map(() => '--:|--:|--:|').join('')}--:|---|`,
    )
    const qnames = Object.keys(query[engines[0]].queries)
    for (const qn of qnames) {
      const cells = []
      let target
      let call
      for (const e of engines) {
        const s = query[e].queries[qn]
        target = s.target
        call = s.call
        cells.push(
          `${fmt(s.medianMs, s.medianMs < 10 ? 2 : 1)} | ${fmt(s.minMs, 1)}–${fmt(s.maxMs, 1)} | ${fmt(s.rows)}`,
        )
      }
      const pgq = query.postgres?.queries[qn]
      const verdict = pgq ? (pgq.medianMs < pgq.target ? 'met' : '**missed**') : '–'
      lines.push(`| \`${qn}\` | \`${call}\` | ${cells.join(' | ')} | < ${target} ms | ${verdict} |`)
    }
  }
  const table = lines.join('\n')
  console.log(table)

  const date = started.toISOString().slice(0, 10)
  const out = env.OUT ?? join(here, `results-${date}${quick ? '-quick' : ''}.json`)
  const settings = { N, BATCH, R, N_QUERY, N_QUERY_PGLITE, Q, WARM, SEED, parts, variants: names }
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: started.toISOString(),
        command: `N=${N} BATCH=${BATCH} R=${R} N_QUERY=${N_QUERY} N_QUERY_PGLITE=${N_QUERY_PGLITE} Q=${Q} node bench/store/run.js${quick ? ' --quick' : ''}`,
        quick,
        settings,
        dataEndsAt: new Date(NOW).toISOString(),
        machine,
        loadavg1m: load,
        ingest,
        query,
        table,
      },
      null,
      2,
    ) + '\n',
  )
  console.error(`bench/store: results written to ${relative(process.cwd(), out) || out}`)
}

const fmtCount = (n) =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : fmt(n)

await main()
