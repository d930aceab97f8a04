// Core logging benchmark: Threadline vs pino vs winston on the same LLM-app record.
//
//   pnpm bench:core                       # from the repo root (builds core first)
//   N=200000 R=5 node bench/core/run.js   # full run: ~5 min on 2 vCPUs
//   node bench/core/run.js --quick        # or QUICK=1: N=5000, R=1, proves it still works
//
// Env: N (events per measurement, default 200000), R (interleaved rounds, default 5),
// WARMUP (events on a separate instance first, default 20000), VARIANTS (comma-separated
// subset), OUT (results file; default bench/core/results-<date>[-quick].json).
//
// Every measurement runs in a fresh `node variant.js <name>` process. Each round runs
// every variant once, round-robin, starting one variant later than the round before.
// Reported: median ns/event over the rounds (events/s = 1e9 / that), min-max, and
// ratios between variants computed from the medians, with the range of the same ratio
// computed within each round as the spread.

import { existsSync, writeFileSync } from 'node:fs'
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
import { VARIANTS } from './variants.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const { quick, N, R, WARMUP, names } = runSettings(
  VARIANTS,
  { n: [5000, 200_000], warmup: [1000, 20_000] },
  die,
)
if (!existsSync(join(root, 'packages/core/dist/index.js'))) {
  die(
    'packages/core/dist is missing: run `pnpm turbo run build --filter=@threadline/core` (or `pnpm bench:core`)',
  )
}

function die(msg) {
  console.error(`bench/core: ${msg}`)
  process.exit(1)
}

function runOne(name) {
  return runVariant(join(here, 'variant.js'), name, {
    cwd: root,
    env: { N: String(N), WARMUP: String(WARMUP) },
  })
}

const version = (pkg) => harnessVersion(pkg, here)

function machine() {
  return {
    ...machineInfo(),
    pino: version('pino'),
    winston: version('winston'),
    threadline: version('@threadline/core'),
  }
}

async function main() {
  const started = new Date()
  const info = machine()
  console.error(
    `bench/core: N=${N} R=${R} WARMUP=${WARMUP}${quick ? ' (quick: proves it works, not for timing)' : ''}; ` +
      `${names.length} variants, each in a fresh process; ${info.nproc}x ${info.cpu}, node ${info.node}`,
  )
  const runs = Object.fromEntries(names.map((n) => [n, []]))
  const load = []
  for (let r = 0; r < R; r++) {
    load.push(loadavg()[0])
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]
      const res = await runOne(name)
      res.round = r
      runs[name].push(res)
      console.error(
        `  round ${r + 1}/${R}  ${name.padEnd(26)} ${fmt(res.nsPerEvent).padStart(8)} ns/event  ${res.check}`,
      )
    }
  }
  load.push(loadavg()[0])
  const builds = [...new Set(Object.values(runs).flatMap((rs) => rs.map((x) => x.coreBuild)))]
  if (builds.length > 1) {
    console.error(
      `bench/core: WARNING: packages/core/dist changed during the run (builds ${builds.join(', ')}); results mix builds`,
    )
  }

  const summary = {}
  for (const n of names) {
    const ns = runs[n].map((x) => x.nsPerEvent)
    summary[n] = {
      describe: VARIANTS[n].describe,
      medianNsPerEvent: median(ns),
      medianEventsPerSec: 1e9 / median(ns),
      minNsPerEvent: Math.min(...ns),
      maxNsPerEvent: Math.max(...ns),
      bytesPerLine: runs[n][0].bytesPerLine,
      check: runs[n][0].check,
    }
  }

  // A ratio between two variants: from their medians, with the range of the same
  // ratio computed within each round (the spread to beat before claiming a win).
  const nsOf = (name, r) => runs[name]?.find((x) => x.round === r)?.nsPerEvent
  const ratio = (f, a, b) => {
    if (!summary[a] || !summary[b]) return undefined
    const xs = []
    for (let r = 0; r < R; r++) {
      const v = f(nsOf(a, r), nsOf(b, r))
      if (Number.isFinite(v)) xs.push(v)
    }
    return {
      value: f(summary[a].medianNsPerEvent, summary[b].medianNsPerEvent),
      min: Math.min(...xs),
      max: Math.max(...xs),
    }
  }
  const speedup = (a, b) => ratio((x, y) => y / x, a, b) // events/s of a over b
  const cost = (a, b) => ratio((x, y) => x / y - 1, a, b) // extra ns/event of a over b, as a fraction

  for (const n of names) summary[n].vsPinoFile = speedup(n, 'pino-file')

  const targets = [
    {
      target: 'file: threadline-file >= 2.0x pino-file events/s',
      ratio: speedup('threadline-file', 'pino-file'),
      goal: 2.0,
      kind: 'x',
    },
    {
      target: 'null sink: threadline-null >= 1.3x pino-null (/dev/null) events/s',
      ratio: speedup('threadline-null', 'pino-null'),
      goal: 1.3,
      kind: 'x',
    },
    {
      target: 'null sink: threadline-null >= 1.3x pino-noop (no-op stream) events/s',
      ratio: speedup('threadline-null', 'pino-noop'),
      goal: 1.3,
      kind: 'x',
    },
    {
      target: 'null sink: threadline-null >= 0.8x baseline-null events/s',
      ratio: speedup('threadline-null', 'baseline-null'),
      goal: 0.8,
      kind: 'x',
    },
    {
      target: 'key-based redaction, file: keys-only vs noredact <= +15%',
      ratio: cost('threadline-file-keys-only', 'threadline-file-noredact'),
      goal: 0.15,
      kind: '%',
    },
    {
      target: 'default redaction (keys + value patterns), file: vs noredact <= +15%',
      ratio: cost('threadline-file', 'threadline-file-noredact'),
      goal: 0.15,
      kind: '%',
    },
    {
      target: 'key-based redaction, null sink: keys-only vs noredact <= +15%',
      ratio: cost('threadline-null-keys-only', 'threadline-null-noredact'),
      goal: 0.15,
      kind: '%',
    },
    {
      target: 'default redaction, null sink: default vs noredact <= +15%',
      ratio: cost('threadline-null', 'threadline-null-noredact'),
      goal: 0.15,
      kind: '%',
    },
    {
      target: 'reference: pino redaction, pino-file-redact vs pino-file',
      ratio: cost('pino-file-redact', 'pino-file'),
      kind: '%',
    },
    {
      target: 'reference: pino redaction, pino-noop-redact vs pino-noop',
      ratio: cost('pino-noop-redact', 'pino-noop'),
      kind: '%',
    },
    {
      target: 'reference: threadline-file vs baseline-batched events/s',
      ratio: speedup('threadline-file', 'baseline-batched'),
      kind: 'x',
    },
  ].filter((t) => t.ratio)
  for (const t of targets) {
    if (t.goal === undefined) {
      t.verdict = 'reference'
      continue
    }
    const higherIsBetter = t.kind === 'x'
    const ok = higherIsBetter ? t.ratio.value >= t.goal : t.ratio.value <= t.goal
    const crosses = t.ratio.min < t.goal && t.ratio.max > t.goal
    const by = higherIsBetter
      ? `${fmt((t.ratio.value / t.goal) * 100, 0)}% of target`
      : `${pct(t.ratio.value)} vs ${pct(t.goal)}`
    t.met = ok
    t.verdict = `${ok ? 'met' : 'missed'}${ok && !crosses ? '' : ` (${by}${crosses ? '; spread crosses target' : ''})`}`
  }

  // ---------------------------------------------------------------- report
  const lines = []
  lines.push(
    `N=${fmt(N)} events/measurement, R=${R} interleaved rounds, ${fmt(WARMUP)} warm-up events; fresh process per measurement`,
  )
  if (quick) lines.push('QUICK RUN: proves the benchmark works; the numbers are not timings')
  lines.push('')
  lines.push(
    '| variant | ns/event (median) | events/s (median) | ns/event min-max | vs pino-file (events/s) | bytes/line |',
  )
  lines.push('|---|--:|--:|--:|--:|--:|')
  for (const n of names) {
    const s = summary[n]
    const v = s.vsPinoFile ? `${fmt(s.vsPinoFile.value, 2)}x` : '-'
    lines.push(
      `| \`${n}\` | ${fmt(s.medianNsPerEvent)} | ${fmt(s.medianEventsPerSec)} | ${fmt(s.minNsPerEvent)}-${fmt(s.maxNsPerEvent)} | ${v} | ${s.bytesPerLine ? fmt(s.bytesPerLine) : '-'} |`,
    )
  }
  if (targets.length) {
    lines.push('')
    lines.push('| target | ratio of medians (per-round range) | verdict |')
    lines.push('|---|--:|---|')
    for (const t of targets) {
      const f = t.kind === 'x' ? (x) => `${fmt(x, 2)}x` : pct
      lines.push(
        `| ${t.target} | ${f(t.ratio.value)} (${f(t.ratio.min)} to ${f(t.ratio.max)}) | ${t.verdict} |`,
      )
    }
  }
  const table = lines.join('\n')
  console.log(table)

  const date = started.toISOString().slice(0, 10)
  const out = process.env.OUT ?? join(here, `results-${date}${quick ? '-quick' : ''}.json`)
  const result = {
    date: started.toISOString(),
    command: `${process.env.VARIANTS ? `VARIANTS=${names.join(',')} ` : ''}N=${N} R=${R} WARMUP=${WARMUP} node bench/core/run.js${quick ? ' --quick' : ''}`,
    quick,
    n: N,
    rounds: R,
    warmup: WARMUP,
    machine: info,
    coreBuild: builds.length === 1 ? builds[0] : builds,
    loadavg1mPerRound: load,
    summary,
    targets,
    runs,
    markdown: table,
  }
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  console.error(`bench/core: results written to ${relative(process.cwd(), out) || out}`)
}

main().catch((err) => {
  console.error(`bench/core: ${err && err.message ? err.message : err}`)
  process.exit(1)
})
