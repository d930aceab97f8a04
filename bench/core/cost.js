// Per-event cost that a busy machine cannot blur: instructions, bytes allocated, GC.
//
//   node bench/core/cost.js [variant ...]      (default: threadline-null pino-noop)
//
// Each number is the difference between two fresh runs of `variant.js <name>` that
// differ only in N (same warm-up), divided by the difference in N, so start-up,
// module loading and JIT warm-up cancel out:
//
// - instructions/event: `valgrind --tool=callgrind` total instructions (Ir) of the
//   process at N=IR_N1 and IR_N2 (default 5,000 and 25,000; ~20 s a run). Repeatable
//   to well under 1% on a loaded machine, unlike wall time.
// - bytes allocated/event, GC pause per 1,000 events, scavenges and mark-compacts per
//   1,000 events: from `node --trace-gc-nvp` at N=GC_N1 and GC_N2 (default 20,000 and
//   200,000). Allocation between two collections is the heap size before the second
//   minus the size after the first; what is allocated after the last collection is
//   not seen, which the difference of two runs mostly cancels.
//
// Env: IR=0 skips callgrind, GC=0 skips the GC runs; WARMUP (default 5000);
// VARIANT_JS runs another checkout's variant.js (for before/after comparisons).

import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const variantJs = process.env.VARIANT_JS ?? join(here, 'variant.js')
const names = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['threadline-null', 'pino-noop']
const WARMUP = process.env.WARMUP ?? '5000'
const IR_N = [Number(process.env.IR_N1 ?? 5000), Number(process.env.IR_N2 ?? 25000)]
const GC_N = [Number(process.env.GC_N1 ?? 20000), Number(process.env.GC_N2 ?? 200000)]

function run(args, n) {
  const res = spawnSync(args[0], args.slice(1), {
    cwd: dirname(dirname(dirname(variantJs))),
    env: { ...process.env, N: String(n), WARMUP },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (res.status !== 0) throw new Error(`${args.join(' ')} (N=${n}) failed:\n${res.stderr}`)
  return res
}

function instructions(name, n) {
  const res = run(
    [
      'valgrind',
      '--tool=callgrind',
      '--smc-check=all-non-file',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      variantJs,
      name,
    ],
    n,
  )
  const m = /Collected : (\d+)/.exec(res.stderr)
  if (!m) throw new Error(`no instruction count for ${name}:\n${res.stderr.slice(-2000)}`)
  return Number(m[1])
}

function gc(name, n) {
  const res = run([process.execPath, '--trace-gc-nvp', variantJs, name], n)
  let allocated = 0
  let pause = 0
  let scavenges = 0
  let markCompacts = 0
  let lastAfter
  for (const line of res.stdout.split('\n')) {
    if (!line.includes('pause=')) continue
    const f = Object.fromEntries(
      line
        .trim()
        .split(/\s+/)
        .map((kv) => kv.split('='))
        .filter((p) => p.length === 2),
    )
    const before = Number(f.total_size_before)
    const after = Number(f.total_size_after)
    allocated += before - (lastAfter ?? 0)
    lastAfter = after
    pause += Number(f.pause)
    if (f.gc === 's') scavenges++
    else markCompacts++
  }
  const result = JSON.parse(
    res.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop(),
  )
  return { allocated, pause, scavenges, markCompacts, nsPerEvent: result.nsPerEvent }
}

const per = (a, b, n) => (b - a) / (n[1] - n[0])
const rows = []
for (const name of names) {
  const row = { variant: name }
  if (process.env.IR !== '0') {
    const [a, b] = IR_N.map((n) => instructions(name, n))
    row.instructionsPerEvent = Math.round(per(a, b, IR_N))
  }
  if (process.env.GC !== '0') {
    const [a, b] = GC_N.map((n) => gc(name, n))
    row.bytesPerEvent = Math.round(per(a.allocated, b.allocated, GC_N))
    row.gcMsPer1kEvents = Number((per(a.pause, b.pause, GC_N) * 1000).toFixed(3))
    row.scavengesPer1kEvents = Number((per(a.scavenges, b.scavenges, GC_N) * 1000).toFixed(3))
    row.markCompactsPer1kEvents = Number(
      (per(a.markCompacts, b.markCompacts, GC_N) * 1000).toFixed(3),
    )
    row.nsPerEventAtN2 = Math.round(b.nsPerEvent)
  }
  rows.push(row)
  console.error(JSON.stringify(row))
}
console.log(
  '| variant | instructions/event | bytes allocated/event | GC ms per 1k events | scavenges per 1k | mark-compacts per 1k |',
)
console.log('|---|--:|--:|--:|--:|--:|')
for (const r of rows)
  console.log(
    `| \`${r.variant}\` | ${r.instructionsPerEvent?.toLocaleString('en-US') ?? '–'} | ${r.bytesPerEvent?.toLocaleString('en-US') ?? '–'} | ${r.gcMsPer1kEvents ?? '–'} | ${r.scavengesPer1kEvents ?? '–'} | ${r.markCompactsPer1kEvents ?? '–'} |`,
  )
