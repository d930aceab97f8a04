// The web console at scale, measured in a real browser: how long until a person sees the
// explorer's first page, a trace, the overview, with N events in PostgreSQL.
//
//   node bench/console/run.js            # N=1000000 (bench/store's data set), R=7
//   node bench/console/run.js --quick    # or QUICK=1: N=20000, R=2; proves it still works
//
// Needs `pnpm build` (server, store, console), PostgreSQL at THREADLINE_BENCH_PG_URL (else
// THREADLINE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test) and Debian's Chromium
// (/usr/bin/chromium, or THREADLINE_CHROMIUM). The data set is bench/store's (events.js, seed
// SEED) kept in schema bench_store_query_<N>_<SEED>: loaded once, reused by later runs and by
// `KEEP=1 node bench/store/run.js`. DROP=1 drops it at the end.
//
// Each view is opened R times in a fresh browser context (cold page, warm server), in turn.
// Measured: from the start of navigation (performance.timeOrigin) to the moment the view's
// content is in the DOM (first explorer row with its count, the waterfall's rows, every chart
// of the overview), read with performance.now() in the page. Reported: median and min-max,
// plus the console's JavaScript and CSS size gzipped. Env: N, SEED (default 42), R, OUT.

/* global document */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

import pg from 'pg'
import { chromium } from 'playwright-core'
import { consoleRoot } from '@threadline/console'
import { createServer } from '@threadline/server'
import { createStore } from '@threadline/store'
import { keptSchema, markKept, quoteIdent, readKept } from '../shared/dataset.js'
import { BENCH_PG_URL, fmt, machineInfo, median } from '../shared/harness.js'
import { eventBatches } from '../store/events.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const env = process.env
const quick = process.argv.includes('--quick') || env.QUICK === '1'
const N = Number(env.N ?? (quick ? 20_000 : 1_000_000))
const SEED = Number(env.SEED ?? 42)
const R = Number(env.R ?? (quick ? 2 : 7))
const BATCH = 5000
const CHROMIUM = env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
const TARGET_MS = 1000

/** The kept data set: loaded now unless a complete one is there. Returns when it ends. */
async function dataSet(client, schema) {
  const kept = await readKept(client, schema, { n: N, seed: SEED })
  if (kept) return { now: kept.now, loaded: false }
  const now = Date.now()
  const store = await createStore({ databaseUrl: BENCH_PG_URL, schema })
  try {
    let n = 0
    for (const batch of eventBatches({ n: N, batchSize: BATCH, seed: SEED, now })) {
      const r = await store.insert(batch)
      if (r.rejected.length) throw new Error(`rejected: ${JSON.stringify(r.rejected[0])}`)
      n += r.inserted
      if (n % 100_000 < BATCH) console.error(`bench/console: loaded ${n} of ${N}`)
    }
  } finally {
    await store.close()
  }
  await client.query(`VACUUM (ANALYZE) ${quoteIdent(schema)}.events`)
  await markKept(client, schema, { n: N, seed: SEED, batch: BATCH, now })
  return { now, loaded: true }
}

/** The largest trace in the last day of the data, and a busy service, for the views. */
async function samples(client, schema, now) {
  const t = await client.query(
    `SELECT trace_id, count(*)::int AS n FROM ${quoteIdent(schema)}.events
      WHERE timestamp > $1 AND trace_id IS NOT NULL GROUP BY trace_id ORDER BY n DESC LIMIT 1`,
    [new Date(now - 86_400_000)],
  )
  const s = await client.query(
    `SELECT service FROM ${quoteIdent(schema)}.events WHERE timestamp > $1
      GROUP BY service ORDER BY count(*) DESC LIMIT 1`,
    [new Date(now - 86_400_000)],
  )
  return { trace: t.rows[0], service: s.rows[0].service }
}

function assetSizes() {
  const dir = join(consoleRoot, 'assets')
  const out = { js: 0, css: 0, jsGzip: 0, cssGzip: 0 }
  for (const f of readdirSync(dir)) {
    const buf = readFileSync(join(dir, f))
    const kind = f.endsWith('.js') ? 'js' : f.endsWith('.css') ? 'css' : undefined
    if (!kind) continue
    out[kind] += buf.length
    out[`${kind}Gzip`] += gzipSync(buf, { level: 9 }).length
  }
  return out
}

async function main() {
  const client = new pg.Client({ connectionString: BENCH_PG_URL })
  await client.connect()
  const schema = keptSchema(N, SEED)
  const data = await dataSet(client, schema)
  const sample = await samples(client, schema, data.now)
  const rows = Number(
    (await client.query(`SELECT count(*) AS n FROM ${quoteIdent(schema)}.events`)).rows[0].n,
  )
  if (rows !== N) throw new Error(`expected ${N} rows in ${schema}, found ${rows}`)

  const store = await createStore({ databaseUrl: BENCH_PG_URL, schema })
  const server = await createServer({ store, port: 0 })
  const url = await server.listen()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'],
  })
  // the data's own last day, so the numbers do not depend on when the set was loaded
  const from = new Date(data.now - 86_400_000).toISOString()
  const to = new Date(data.now).toISOString()
  const win = `from=${from}&to=${to}`
  const views = [
    {
      name: 'explorer, first page (last 24 h of the data)',
      path: `/logs?${win}`,
      ready: '.rows .row',
    },
    {
      name: `explorer, one service + level error`,
      path: `/logs?${win}&services=${encodeURIComponent(sample.service)}&level=error`,
      ready: '.rows .row, .empty-state',
    },
    {
      name: 'explorer, full-text search',
      path: `/logs?${win}&search=timeout`,
      ready: '.rows .row, .empty-state',
    },
    {
      name: `trace (${sample.trace.n} events)`,
      path: `/traces/${sample.trace.trace_id}`,
      ready: '[role=treeitem]',
    },
    {
      name: 'overview (24 h, 9 queries)',
      path: `/?${win}`,
      ready: '.overview:not(.refreshing) .tile',
    },
  ]
  const results = []
  try {
    const times = views.map(() => [])
    for (let round = 0; round < R; round++) {
      for (const [i, v] of views.entries()) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
        const page = await context.newPage()
        await page.goto(url + v.path)
        await page.waitForSelector(v.ready, { timeout: 60_000 })
        if (v.path.startsWith('/logs'))
          await page.waitForFunction(() =>
            /events$/.test(document.querySelector('.toolbar .count')?.textContent ?? ''),
          )
        if (v.path.startsWith('/?'))
          await page.waitForFunction(() => document.querySelectorAll('.uplot').length >= 5)
        times[i].push(await page.evaluate(() => performance.now()))
        await context.close()
      }
    }
    for (const [i, v] of views.entries())
      results.push({
        view: v.name,
        path: v.path,
        medianMs: median(times[i]),
        minMs: Math.min(...times[i]),
        maxMs: Math.max(...times[i]),
      })
  } finally {
    await browser.close()
    await server.close()
    await store.close()
    if (env.DROP === '1') await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`)
    await client.end()
  }

  const sizes = assetSizes()
  console.log(
    `\nbench/console: ${fmt(N)} events in PostgreSQL (${schema}${data.loaded ? ', loaded now' : ', reused'}), R=${R}`,
  )
  console.log('\n| view | median | min–max | target |')
  console.log('|---|---|---|---|')
  for (const r of results) {
    const target = /explorer, first|trace/.test(r.view)
      ? `< ${TARGET_MS} ms: ${r.medianMs < TARGET_MS ? 'met' : 'missed'}`
      : 'reported'
    console.log(
      `| ${r.view} | ${fmt(r.medianMs)} ms | ${fmt(r.minMs)}–${fmt(r.maxMs)} | ${target} |`,
    )
  }
  console.log(
    `\nconsole assets: JavaScript ${fmt(sizes.js / 1024, 1)} KB (${fmt(sizes.jsGzip / 1024, 1)} KB gzip; target < 300 KB gzip), CSS ${fmt(sizes.css / 1024, 1)} KB (${fmt(sizes.cssGzip / 1024, 1)} KB gzip)`,
  )
  const out =
    env.OUT ??
    join(here, `results-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`)
  writeFileSync(
    out,
    JSON.stringify(
      {
        machine: machineInfo(),
        n: N,
        seed: SEED,
        r: R,
        dataNow: new Date(data.now).toISOString(),
        results,
        sizes,
      },
      null,
      2,
    ),
  )
  console.log(`bench/console: results written to ${relative(root, out)}`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
