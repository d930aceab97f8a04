// LangChain handler benchmark: per-call overhead of a prompt | model | parser chain with
// no handler vs Threadline's handler vs Langfuse's (v3, langfuse-langchain).
//
//   node bench/langchain/run.js            # full run: N=5000 calls, R=5 rounds
//   node bench/langchain/run.js --quick    # or QUICK=1: N=200, R=1, proves it still works
//
// Env: N (calls per measurement, default 5000), R (interleaved rounds, default 5), WARMUP
// (calls through a separate handler first, default 500), VARIANTS (comma-separated subset),
// OUT (results file; default bench/langchain/results-<date>[-quick].json).
//
// Every measurement runs in a fresh `node variant.js <name>` process. Each round runs every
// variant once, round-robin, starting one variant later than the round before. The `langfuse`
// variant sends its ingestion batches to a stub HTTP server on 127.0.0.1 started here (and
// stopped at the end), which answers 200 and counts the distinct events. Reported: median µs/call over
// the rounds, min-max, overhead vs `none` from the medians (µs and %), and Threadline's
// overhead as a fraction of Langfuse's, with the same ratios per round as the spread.

import { existsSync, realpathSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { loadavg } from 'node:os'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import {
  fmt,
  machineInfo,
  median,
  pct,
  runSettings,
  runVariant,
  version as harnessVersion,
} from '../shared/harness.js'
import { VARIANTS } from './chain.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const { quick, N, R, WARMUP, names } = runSettings(
  VARIANTS,
  { n: [200, 5000], warmup: [50, 500] },
  die,
)
for (const pkg of ['core', 'langchain']) {
  if (!existsSync(join(root, `packages/${pkg}/dist/index.js`))) {
    die(
      `packages/${pkg}/dist is missing: run \`pnpm turbo run build --filter=@threadline/langchain\``,
    )
  }
}

function die(msg) {
  console.error(`bench/langchain: ${msg}`)
  process.exit(1)
}

/** Stub Langfuse ingestion endpoint: 200 for everything, counts the events it receives. */
function startStub() {
  const stub = { events: 0, requests: 0, ids: new Set() }
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      stub.requests++
      if (req.url === '/api/public/ingestion') {
        try {
          for (const e of JSON.parse(Buffer.concat(chunks).toString('utf8')).batch) {
            stub.events++
            stub.ids.add(e.id)
          }
        } catch {
          // not a batch: still answered
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"successes":[],"errors":[]}')
    })
  })
  return new Promise((resolve, reject) => {
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      stub.url = `http://127.0.0.1:${server.address().port}`
      stub.close = () => new Promise((r) => server.close(r))
      server.unref()
      resolve(stub)
    })
  })
}

function runOne(name, stub) {
  return runVariant(join(here, 'variant.js'), name, {
    cwd: here,
    env: { N: String(N), WARMUP: String(WARMUP), LANGFUSE_BASEURL: stub.url },
  })
}

const sgn = (x, d = 1) => `${x >= 0 ? '+' : ''}${fmt(x, d)}`

const version = (pkg, from = here) => harnessVersion(pkg, from)

function machine() {
  let lf = join(here, 'node_modules', 'langfuse-langchain')
  try {
    lf = realpathSync(lf) // pnpm: langfuse sits next to it in the virtual store
  } catch {
    // not installed
  }
  return {
    ...machineInfo(),
    '@langchain/core': version('@langchain/core'),
    '@threadline/core': version('@threadline/core'),
    '@threadline/langchain': version('@threadline/langchain'),
    'langfuse-langchain': version('langfuse-langchain'),
    langfuse: version('langfuse', join(lf, '..', '..')),
  }
}

async function main() {
  const started = new Date()
  const info = machine()
  console.error(
    `bench/langchain: N=${N} R=${R} WARMUP=${WARMUP}${quick ? ' (quick: proves it works, not for timing)' : ''}; ` +
      `${names.length} variants, each in a fresh process; ${info.nproc}x ${info.cpu}, node ${info.node}`,
  )
  const stub = await startStub()
  const runs = Object.fromEntries(names.map((n) => [n, []]))
  const load = []
  try {
    for (let r = 0; r < R; r++) {
      load.push(loadavg()[0])
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length]
        const before = stub.events
        const beforeReq = stub.requests
        stub.ids.clear()
        const res = await runOne(name, stub)
        if (name === 'langfuse') {
          // warm-up and measured handlers both send here; the measured one sends last
          res.stubEvents = stub.events - before
          res.stubUniqueEvents = stub.ids.size
          res.stubRequests = stub.requests - beforeReq
          if (res.stubEvents < N)
            throw new Error(`stub got ${res.stubEvents} events for ${N} calls`)
        }
        res.round = r
        runs[name].push(res)
        const ev =
          res.eventsPerCall ??
          (res.stubUniqueEvents ? res.stubUniqueEvents / (N + WARMUP) : undefined)
        console.error(
          `  round ${r + 1}/${R}  ${name.padEnd(14)} ${fmt(res.usPerCall, 1).padStart(8)} µs/call` +
            (ev ? `  ${fmt(ev, 1)} events/call` : ''),
        )
      }
    }
  } finally {
    await stub.close()
  }
  load.push(loadavg()[0])

  const summary = {}
  for (const n of names) {
    const us = runs[n].map((x) => x.usPerCall)
    summary[n] = {
      describe: VARIANTS[n].describe,
      medianUsPerCall: median(us),
      minUsPerCall: Math.min(...us),
      maxUsPerCall: Math.max(...us),
      medianInvokeUsPerCall: median(runs[n].map((x) => x.invokeUsPerCall)),
      eventsPerCall:
        runs[n][0].eventsPerCall ??
        (runs[n][0].stubUniqueEvents ? runs[n][0].stubUniqueEvents / (N + WARMUP) : undefined),
      stubEventsSentPerDistinct:
        runs[n][0].stubUniqueEvents && runs[n][0].stubEvents / runs[n][0].stubUniqueEvents,
    }
  }

  // Per-round values of f(a, b), for the spread of a ratio computed from the medians.
  const usOf = (name, r) => runs[name]?.find((x) => x.round === r)?.usPerCall
  const perRound = (f, ...ns) => {
    const xs = []
    for (let r = 0; r < R; r++) {
      const v = f(...ns.map((n) => usOf(n, r)))
      if (Number.isFinite(v)) xs.push(v)
    }
    return { min: Math.min(...xs), max: Math.max(...xs) }
  }
  const base = summary.none?.medianUsPerCall
  if (base !== undefined) {
    for (const n of names) {
      if (n === 'none') continue
      const s = summary[n]
      s.overheadUs = s.medianUsPerCall - base
      s.overheadPct = s.medianUsPerCall / base - 1
      s.overheadUsPerRound = perRound((x, b) => x - b, n, 'none')
      s.overheadPctPerRound = perRound((x, b) => x / b - 1, n, 'none')
    }
  }

  const comparisons = []
  for (const lf of ['langfuse', 'langfuse-drop']) {
    if (!summary.threadline?.overheadUs || !summary[lf]?.overheadUs) continue
    const value = summary.threadline.overheadUs / summary[lf].overheadUs
    const spread = perRound((t, l, b) => (t - b) / (l - b), 'threadline', lf, 'none')
    const crosses = spread.min < 1 && spread.max > 1
    comparisons.push({
      target: `Threadline overhead < ${lf} overhead`,
      ratio: { value, ...spread },
      met: value < 1,
      verdict: `${value < 1 ? 'met' : 'missed'}${crosses ? ' (spread crosses 1.00x)' : ''}`,
    })
  }

  // ---------------------------------------------------------------- report
  const lines = []
  lines.push(
    `N=${fmt(N)} calls/measurement, R=${R} interleaved rounds, ${fmt(WARMUP)} warm-up calls; fresh process per measurement`,
  )
  if (quick) lines.push('QUICK RUN: proves the benchmark works; the numbers are not timings')
  lines.push('')
  lines.push(
    '| variant | µs/call (median) | min-max | overhead vs none (µs) | overhead vs none (%) | per-round overhead % | events/call |',
  )
  lines.push('|---|--:|--:|--:|--:|--:|--:|')
  for (const n of names) {
    const s = summary[n]
    const oh = s.overheadUs !== undefined
    lines.push(
      `| \`${n}\` | ${fmt(s.medianUsPerCall, 1)} | ${fmt(s.minUsPerCall, 1)}-${fmt(s.maxUsPerCall, 1)} | ` +
        `${oh ? sgn(s.overheadUs) : '-'} | ${oh ? pct(s.overheadPct) : '-'} | ` +
        `${oh ? `${pct(s.overheadPctPerRound.min)} to ${pct(s.overheadPctPerRound.max)}` : '-'} | ` +
        `${s.eventsPerCall ? fmt(s.eventsPerCall, 1) : '-'} |`,
    )
  }
  if (comparisons.length) {
    lines.push('')
    lines.push('| target | Threadline overhead / Langfuse overhead (per-round range) | verdict |')
    lines.push('|---|--:|---|')
    for (const c of comparisons) {
      lines.push(
        `| ${c.target} | ${fmt(c.ratio.value, 2)}x (${fmt(c.ratio.min, 2)}x to ${fmt(c.ratio.max, 2)}x) | ${c.verdict} |`,
      )
    }
  }
  const table = lines.join('\n')
  console.log(table)

  const date = started.toISOString().slice(0, 10)
  const out = process.env.OUT ?? join(here, `results-${date}${quick ? '-quick' : ''}.json`)
  const result = {
    date: started.toISOString(),
    command: `${process.env.VARIANTS ? `VARIANTS=${names.join(',')} ` : ''}N=${N} R=${R} WARMUP=${WARMUP} node bench/langchain/run.js${quick ? ' --quick' : ''}`,
    quick,
    n: N,
    rounds: R,
    warmup: WARMUP,
    machine: info,
    loadavg1mPerRound: load,
    summary,
    comparisons,
    runs,
    markdown: table,
  }
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  console.error(`bench/langchain: results written to ${relative(process.cwd(), out) || out}`)
}

main().catch((err) => {
  console.error(`bench/langchain: ${err && err.message ? err.message : err}`)
  process.exit(1)
})
