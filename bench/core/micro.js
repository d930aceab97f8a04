// Per-event primitives of @threadline/core, in ns per call, and an in-process redaction A/B:
//   node bench/core/micro.js            # ITER=1e6 per run, median of RUNS=9
//   node bench/core/micro.js --quick    # or QUICK=1: ITER=1e4, RUNS=3 (proves it works)
// Each op runs in a tight loop; the median of RUNS runs of an empty loop of the
// same shape is subtracted. Results feed into bench/core/results-<date>-micro.json.

import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import pino from 'pino'

import {
  createLogger,
  getContext,
  newSpanId,
  newTraceId,
  runWithContext,
  uuidv7,
} from '@threadline/core'

import { makePool, MSG, SPAN_ID, TRACE_ID } from './records.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick') || process.env.QUICK === '1'
const ITER = Number(process.env.ITER ?? (quick ? 1e4 : 1e6))
const RUNS = Number(process.env.RUNS ?? (quick ? 3 : 9))

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

// Results are folded into `sink` so the loops cannot be optimized away.
let sink = 0

/** ns/call of `fn` (no overhead subtracted): median of RUNS runs of ITER calls. */
function time(fn) {
  fn(Math.min(ITER, 1e4)) // warm up / optimize
  const xs = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint()
    fn(ITER)
    xs.push(Number(process.hrtime.bigint() - t0) / ITER)
  }
  return median(xs)
}

const loops = {
  empty(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += i & 1
    sink += s
  },
  getContext(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += getContext() === undefined ? 1 : 0
    sink += s
  },
  getContextTraceId(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += getContext()?.trace_id?.length ?? 0
    sink += s
  },
  uuidv7(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += uuidv7().length
    sink += s
  },
  newTraceId(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += newTraceId().length
    sink += s
  },
  newSpanId(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += newSpanId().length
    sink += s
  },
  runWithContext(n) {
    let s = 0
    const input = { trace_id: TRACE_ID, span_id: SPAN_ID }
    const fn = () => 1
    for (let i = 0; i < n; i++) s += runWithContext(input, fn)
    sink += s
  },
  dateNow(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += Date.now() & 1
    sink += s
  },
  isoString(n) {
    let s = 0
    for (let i = 0; i < n; i++) s += new Date().toISOString().length
    sink += s
  },
}

const pool = makePool()
const logger = createLogger({
  service: 'bench-core',
  level: 'info',
  hookProcess: false,
  exporters: [{ name: 'null', export: () => ({ ok: true }) }],
})
loops.debugDisabled = (n) => {
  for (let i = 0; i < n; i++) logger.debug(MSG, pool[i & 1023])
  sink += 1
}

async function measure() {
  const empty = time(loops.empty)
  const net = (fn) => Math.max(0, time(fn) - empty)
  const rows = []
  const add = (op, ns, note = '') => rows.push({ op, ns, note })
  add('empty loop (subtracted from the rest)', empty)
  add('`getContext()` outside any scope', net(loops.getContext), 'ALS miss + OTel fallback lookup')
  runWithContext({ trace_id: TRACE_ID, span_id: SPAN_ID }, () => {
    add('`getContext()` inside `runWithContext`', net(loops.getContext), 'target <= 60 ns')
    add('`getContext()?.trace_id` inside `runWithContext`', net(loops.getContextTraceId))
  })
  // the usual case in an app: the lookup runs in an async continuation of the scope
  await runWithContext({ trace_id: TRACE_ID, span_id: SPAN_ID }, async () => {
    await new Promise((resolve) => setImmediate(resolve))
    add(
      '`getContext()` inside `runWithContext`, after an `await`',
      net(loops.getContext),
      'target <= 60 ns',
    )
  })
  add('`runWithContext({trace_id, span_id}, fn)`', net(loops.runWithContext), 'once per request')
  add('`uuidv7()`', net(loops.uuidv7), 'event id, once per event')
  add('`newTraceId()`', net(loops.newTraceId))
  add('`newSpanId()`', net(loops.newSpanId))
  add(
    '`logger.debug(msg, record)` at level info',
    net(loops.debugDisabled),
    'disabled-level fast path',
  )
  add('`Date.now()` (reference)', net(loops.dateNow))
  add('`new Date().toISOString()` (reference)', net(loops.isoString))
  return rows
}

// ---- redaction A/B in one process: the same record through loggers that differ only
// in redaction, alternating blocks (no process-to-process noise). Synchronous path
// only: build + redact + serialize + queue; the no-op sinks do no I/O.
const BLOCK = Number(process.env.BLOCK ?? (quick ? 2000 : 20_000))
const BLOCKS = Number(process.env.BLOCKS ?? (quick ? 3 : 15))
const ctx = { trace_id: TRACE_ID, span_id: SPAN_ID }

function threadlineAB(redact) {
  const log = createLogger({
    service: 'bench-core',
    level: 'info',
    hookProcess: false,
    exporters: [{ name: 'null', export: () => ({ ok: true }) }],
    batch: { maxQueueSize: 1e7, maxQueueBytes: 1e10 },
    ...(redact === undefined ? {} : { redact }),
  })
  return async (n) => {
    runWithContext(ctx, () => {
      for (let i = 0; i < n; i++) log.info(MSG, pool[i & 1023])
    })
    await log.flush()
  }
}

function pinoAB(redact) {
  const dest = { write: (s) => (sink += s.length & 1) }
  const log = pino(redact ? { redact: ['metadata.api_key', 'authorization'] } : {}, dest).child(ctx)
  return async (n) => {
    for (let i = 0; i < n; i++) log.info(pool[i & 1023], MSG)
  }
}

async function redactionAB() {
  const subjects = [
    ['threadline, redact: false', threadlineAB(false)],
    ['threadline, redact: { patterns: false } (keys only)', threadlineAB({ patterns: false })],
    ['threadline, default redaction (keys + value patterns)', threadlineAB(undefined)],
    ['pino, no-op stream', pinoAB(false)],
    ['pino, no-op stream + redact 2 paths', pinoAB(true)],
  ]
  const times = subjects.map(() => [])
  for (let b = -2; b < BLOCKS; b++) {
    for (let k = 0; k < subjects.length; k++) {
      const j = (k + b + 2) % subjects.length
      const t0 = process.hrtime.bigint()
      await subjects[j][1](BLOCK)
      if (b >= 0) times[j].push(Number(process.hrtime.bigint() - t0) / BLOCK)
    }
  }
  const ns = times.map(median)
  const rows = subjects.map(([op], j) => ({ op, ns: ns[j] }))
  rows[1].cost = ns[1] / ns[0] - 1
  rows[2].cost = ns[2] / ns[0] - 1
  rows[4].cost = ns[4] / ns[3] - 1
  return rows
}

const rows = await measure()
const abRows = await redactionAB()
const lookups = rows.filter((r) => r.op.startsWith('`getContext()` inside'))
const worst = Math.max(...lookups.map((r) => r.ns))
const pctOf = (x) => (x === undefined ? '' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`)
const out = [
  `ITER=${ITER} calls per run, median of ${RUNS} runs, empty-loop time subtracted`,
  '',
  '| op | ns/call | note |',
  '|---|--:|---|',
  ...rows.map((r) => `| ${r.op} | ${r.ns.toFixed(1)} | ${r.note} |`),
  '',
  `context lookup (worst of ${lookups.length}): ${worst.toFixed(1)} ns/event vs target <= 60 ns: ${worst <= 60 ? 'met' : 'missed'}`,
  '',
  `Redaction A/B in one process: median of ${BLOCKS} alternating blocks of ${BLOCK} events, trace context on`,
  '',
  '| logger | ns/event | cost vs same logger without redaction |',
  '|---|--:|--:|',
  ...abRows.map((r) => `| ${r.op} | ${r.ns.toFixed(0)} | ${pctOf(r.cost)} |`),
].join('\n')
console.log(out)
if (sink === 0.5) console.log('') // keep `sink` observable

const date = new Date().toISOString()
const file =
  process.env.OUT ?? join(here, `results-${date.slice(0, 10)}${quick ? '-quick' : ''}-micro.json`)
writeFileSync(
  file,
  JSON.stringify(
    {
      date,
      node: process.version,
      iter: ITER,
      runs: RUNS,
      rows,
      redactionAB: abRows,
      markdown: out,
    },
    null,
    2,
  ) + '\n',
)
console.error(`bench/core: micro results written to ${file}`)
