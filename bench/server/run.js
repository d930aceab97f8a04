// Server ingest benchmark: does the server hold a sustained event rate into PostgreSQL with flat
// memory, with the load generator on the same machine? And what does PGlite hold?
//
//   node bench/server/run.js            # full run (~3 min): postgres at R=30000 for D=60 s,
//                                       # pglite unlimited for 20 s, postgres unlimited for 30 s
//   node bench/server/run.js --quick    # or QUICK=1: D=3, R=5000, postgres and pglite; proves
//                                       # the harness works, not a timing
//
// Needs the server built (`pnpm turbo run build --filter=@threadline/server`) and PostgreSQL at
// THREADLINE_BENCH_PG_URL, else THREADLINE_TEST_PG_URL, else
// postgres://postgres@127.0.0.1:5432/test (each run uses a schema of its own, dropped after).
//
// Each case starts `node server.js <engine>` (the server and its store in one process), waits
// a moment for an idle memory baseline, runs `node load.js <url>` (the load generator, another
// process, loopback only) for D seconds, waits 2 s, then sends SIGTERM to the server, which
// closes, counts the stored events and reports its per-second memory/CPU samples (and, as it
// runs with --expose-gc, the heap left after a full collection once the load has stopped).
// While the load runs this process samples CPU time from /proc (the server, the PostgreSQL
// backends serving the server's connections, all PostgreSQL processes, the whole machine)
// and, on PostgreSQL, pg_stat_activity for those backends' wait events.
//
// Env: D (seconds, default 60; quick 3), C (connections, default 8), B (events per request,
// default 1000), R (target events/s, default 30000; quick 5000; 0 = unlimited),
// PGLITE_D (default 20; quick 3), PGLITE_R (default 0; quick 5000), MAX_D (the unlimited
// PostgreSQL case, default 30), CASES (default postgres,pglite,postgres-max; quick
// postgres,pglite), SERVER_OPTIONS (JSON for createServer, e.g. '{"writeConcurrency":4}'),
// GZIP_LEVEL (default 1), OUT (results file; default bench/server/results-<date>[-quick].json).

import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs'
import { loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import { fmt, machineInfo, median } from '../shared/harness.js'
import {
  PG_URL,
  cpuByComm,
  loadPg,
  machineCpu,
  mean,
  procCpu,
  quantile,
  sleep,
  slope,
} from './lib.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const env = process.env
const quick = process.argv.includes('--quick') || env.QUICK === '1'
const D = Number(env.D ?? (quick ? 3 : 60))
const C = Number(env.C ?? 8)
const B = Number(env.B ?? 1000)
const R = Number(env.R ?? (quick ? 5000 : 30_000))
const PGLITE_D = Number(env.PGLITE_D ?? (quick ? 3 : 20))
const PGLITE_R = Number(env.PGLITE_R ?? (quick ? 5000 : 0))
const MAX_D = Number(env.MAX_D ?? (quick ? 3 : 30))
const ALL_CASES = {
  postgres: { engine: 'postgres', D, R },
  pglite: { engine: 'pglite', D: PGLITE_D, R: PGLITE_R },
  'postgres-max': { engine: 'postgres', D: MAX_D, R: 0 },
}
const caseNames = (env.CASES ?? (quick ? 'postgres,pglite' : 'postgres,pglite,postgres-max'))
  .split(',')
  .map((s) => s.trim())
/** Memory counts as flat when RSS grows less than this per minute over the load's last 2/3. */
const FLAT_MB_PER_MIN = 5

function die(msg) {
  console.error(`bench/server: ${msg}`)
  process.exit(1)
}
for (const n of caseNames)
  if (!ALL_CASES[n]) die(`unknown case ${n}; one of ${Object.keys(ALL_CASES).join(', ')}`)
if (!(D > 0 && C > 0 && B > 0 && R >= 0)) die('D, C and B must be positive and R >= 0')
if (!existsSync(join(root, 'packages/server/dist/index.js')))
  die('build the server first: pnpm turbo run build --filter=@threadline/server')

// ------------------------------------------------------------------ processes

/** A child node process printing JSON lines: `next()` resolves each, `last()` the final one. */
function startNode(script, args, extraEnv, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, join(here, script), ...args], {
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let buf = ''
  const lines = []
  const waiters = []
  child.stdout.on('data', (d) => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl)
      buf = buf.slice(nl + 1)
      if (!line.trim()) continue
      lines.push(line)
      waiters.shift()?.resolve(line)
    }
  })
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0))
        w.reject(new Error(`${script} exited (${code ?? signal}) before printing`))
      resolve({ code, signal })
    }),
  )
  let read = 0
  return {
    child,
    exited,
    next() {
      if (read < lines.length) return Promise.resolve(JSON.parse(lines[read++]))
      return new Promise((resolve, reject) => waiters.push({ resolve, reject })).then((l) => {
        read++
        return JSON.parse(l)
      })
    },
    async last() {
      const { code, signal } = await exited
      if (code !== 0 || lines.length === 0)
        throw new Error(`${script} ${args.join(' ')} failed (${code ?? signal})`)
      return JSON.parse(lines[lines.length - 1])
    },
  }
}

/** Local ports of the TCP connections `pid` holds (its sockets matched against /proc/net/tcp). */
function localPortsOf(pid) {
  const inodes = new Set()
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m) inodes.add(m[1])
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return new Set()
  }
  const ports = new Set()
  for (const file of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length > 9 && inodes.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16))
    }
  }
  return ports
}

// ------------------------------------------------------------------ monitoring

/**
 * Every second: CPU seconds of the server, of the PostgreSQL backends serving it, of all
 * PostgreSQL processes and of the machine; on PostgreSQL, what those backends are doing.
 */
async function startMonitor(serverPid, engine) {
  let client
  if (engine === 'postgres') {
    const pg = loadPg()
    client = new pg.Client({ connectionString: PG_URL })
    await client.connect()
  }
  const backends = new Set()
  const waits = {}
  const ticks = []
  let stopped = false
  const pgCounters = async () => {
    if (!client) return undefined
    const { rows } = await client.query(
      `SELECT pg_current_wal_lsn()::text AS lsn, checkpoints_timed, checkpoints_req,
              buffers_checkpoint, buffers_backend
         FROM pg_stat_bgwriter`,
    )
    return rows[0]
  }
  const tick = async () => {
    const wall = performance.now()
    if (client) {
      const ports = localPortsOf(serverPid)
      const { rows } = await client.query(
        `SELECT pid, client_port, state, wait_event_type, wait_event
           FROM pg_stat_activity
          WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      )
      for (const r of rows) {
        if (!ports.has(r.client_port)) continue
        backends.add(r.pid)
        const what =
          r.state === 'active'
            ? r.wait_event
              ? `active, waiting ${r.wait_event_type}:${r.wait_event}`
              : 'active, on CPU'
            : `${r.state}${r.wait_event ? ` (${r.wait_event_type}:${r.wait_event})` : ''}`
        waits[what] = (waits[what] ?? 0) + 1
      }
    }
    ticks.push({
      wall,
      server: procCpu(serverPid)?.cpuSec,
      pg: Object.fromEntries(cpuByComm('postgres')),
      machine: machineCpu(),
    })
  }
  const startCounters = await pgCounters()
  await tick()
  const loop = (async () => {
    while (!stopped) {
      await sleep(1000)
      if (!stopped) await tick()
    }
  })()
  return {
    async stop() {
      stopped = true
      await loop
      await tick()
      const endCounters = await pgCounters()
      let walMB
      if (client) {
        const { rows } = await client.query(
          'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 AS bytes',
          [endCounters.lsn, startCounters.lsn],
        )
        walMB = rows[0].bytes / 1024 / 1024
        await client.end()
      }
      return { ticks, waits, backends: [...backends], startCounters, endCounters, walMB }
    },
  }
}

/**
 * CPU use (% of one core) over ticks [a, b]: the server, the PostgreSQL backends that served it
 * (a backend that started inside the window counts from zero), all PostgreSQL processes.
 */
function cpuBetween(ticks, a, b, backends) {
  const t0 = ticks[a]
  const t1 = ticks[b]
  const wall = (t1.wall - t0.wall) / 1000
  const pct = (x) => (x === undefined || !(wall > 0) ? undefined : (100 * x) / wall)
  let ours = 0
  let all = 0
  for (const [pid, sec] of Object.entries(t1.pg)) {
    const d = sec - (t0.pg[pid] ?? 0)
    all += d
    if (backends.has(Number(pid))) ours += d
  }
  const out = {
    server: pct(t1.server - t0.server),
    pgBackends: pct(ours),
    pgAll: pct(all),
  }
  if (t0.machine && t1.machine) {
    const total = t1.machine.total - t0.machine.total
    out.machineBusyPct = (100 * (t1.machine.busy - t0.machine.busy)) / total
    out.machineIowaitPct = (100 * (t1.machine.iowait - t0.machine.iowait)) / total
    out.machineStealPct = (100 * (t1.machine.steal - t0.machine.steal)) / total
    out.machineBusyCores = (t1.machine.busy - t0.machine.busy) / wall
  }
  return out
}

// ------------------------------------------------------------------ one case

async function runCase(name, spec) {
  const caseEnv = {
    C: String(C),
    B: String(B),
    D: String(spec.D),
    R: String(spec.R),
    QUICK: quick ? '1' : '0',
  }
  const server = startNode('server.js', [spec.engine], {}, ['--expose-gc'])
  let ready
  try {
    ready = await server.next()
  } catch (error) {
    server.child.kill('SIGTERM')
    throw error
  }
  let load
  let mon
  let monitor
  try {
    await sleep(quick ? 500 : 1500) // idle baseline samples
    monitor = await startMonitor(ready.pid, spec.engine)
    const gen = startNode('load.js', [ready.url], caseEnv)
    try {
      load = await gen.last()
    } finally {
      mon = await monitor.stop()
    }
    await sleep(quick ? 500 : 2000) // memory after the load, idle
  } finally {
    server.child.kill('SIGTERM')
  }
  const final = await server.last()
  return summarize(name, spec, ready, load, final, mon)
}

function summarize(name, spec, ready, load, final, mon) {
  const { samples } = final
  const loadStart = load.tStartEpoch
  const loadEnd = load.tEndEpoch
  const during = samples.filter((s) => s.t >= loadStart && s.t <= loadEnd + 500)
  const steadyFrom = loadStart + ((loadEnd - loadStart) * 1) / 3
  const steady = during.filter((s) => s.t >= steadyFrom)
  const rss = samples.map((s) => s.rssMB)
  const perMin = (key) => slope(steady.map((s) => ({ x: (s.t - loadStart) / 60_000, y: s[key] })))
  const atLoadStart = samples.filter((s) => s.t <= loadStart).pop() ?? samples[0]
  const afterLoad = samples[samples.length - 1]
  const first = during[0] ?? atLoadStart
  const lastDuring = during[during.length - 1] ?? afterLoad
  const writes = (lastDuring.writes ?? 0) - (atLoadStart.writes ?? 0)
  const writeSec = (lastDuring.writeSec ?? 0) - (atLoadStart.writeSec ?? 0)
  const concurrency = final.options.writeConcurrency ?? (spec.engine === 'postgres' ? 2 : 1)
  const t = mon.ticks
  const steadyTick = t.findIndex((x) => x.wall - t[0].wall >= ((loadEnd - loadStart) * 1) / 3)
  const ourPg = new Set(mon.backends)
  const waitTotal = Object.values(mon.waits).reduce((a, b) => a + b, 0)
  const result = {
    case: name,
    engine: spec.engine,
    targetPerSec: spec.R,
    durationS: spec.D,
    C,
    B,
    load,
    stored: final.stored,
    lossless: final.stored === load.accepted && load.failedEvents === 0,
    memory: {
      rssStartMB: atLoadStart.rssMB,
      rssP50MB: quantile(
        during.map((s) => s.rssMB),
        0.5,
      ),
      rssMaxMB: Math.max(...rss),
      rssEndMB: lastDuring.rssMB,
      rssAfterMB: afterLoad.rssMB,
      rssAfterGcMB: final.afterGc?.rssMB,
      heapUsedAfterGcMB: final.afterGc?.heapUsedMB,
      rssSlopeMBPerMin: perMin('rssMB'),
      heapUsedP50MB: quantile(
        during.map((s) => s.heapUsedMB),
        0.5,
      ),
      heapUsedMaxMB: Math.max(...samples.map((s) => s.heapUsedMB)),
      heapUsedSlopeMBPerMin: perMin('heapUsedMB'),
      externalSlopeMBPerMin: perMin('externalMB'),
    },
    server: {
      cpuPctMean: mean(during.map((s) => s.cpuPct)),
      cpuPctSteady: mean(steady.map((s) => s.cpuPct)),
      eluMean: mean(during.map((s) => s.elu)),
      eluSteady: mean(steady.map((s) => s.elu)),
      loopDelayMaxMs: Math.max(0, ...during.map((s) => s.loopDelayMaxMs)),
      pendingMax: Math.max(0, ...during.map((s) => s.pending ?? 0)),
      pendingP50: quantile(
        during.map((s) => s.pending ?? 0),
        0.5,
      ),
      writes,
      rowsPerWrite: writes ? load.accepted / writes : undefined,
      writeMsMean: writes ? (1000 * writeSec) / writes : undefined,
      writeSlotsBusy: writeSec / (load.elapsedS * concurrency),
      writeConcurrency: concurrency,
      closeMs: final.closeMs,
      firstSampleT: first.t,
    },
    cpu: {
      whole: cpuBetween(t, 0, t.length - 1, ourPg),
      steady: steadyTick > 0 ? cpuBetween(t, steadyTick, t.length - 1, ourPg) : undefined,
      generatorPct: load.cpu.pctOfCore,
    },
    pg:
      spec.engine === 'postgres'
        ? {
            backends: mon.backends.length,
            waits: Object.fromEntries(
              Object.entries(mon.waits)
                .sort((a, b) => b[1] - a[1])
                .map(([k, v]) => [k, v / waitTotal]),
            ),
            walMBPerSec: mon.walMB / load.elapsedS,
            walBytesPerEvent: (mon.walMB * 1024 * 1024) / Math.max(1, load.accepted),
            checkpoints:
              Number(mon.endCounters.checkpoints_timed) +
              Number(mon.endCounters.checkpoints_req) -
              Number(mon.startCounters.checkpoints_timed) -
              Number(mon.startCounters.checkpoints_req),
          }
        : undefined,
    serverSamples: samples,
    monitorTicks: t.map(({ wall, server, machine, pg }) => ({
      wall,
      server,
      machine,
      pgBackends: mon.backends.reduce((a, p) => a + (pg[p] ?? 0), 0),
      pgAll: Object.values(pg).reduce((a, b) => a + b, 0),
    })),
  }
  for (const c of [result.cpu.whole, result.cpu.steady]) {
    if (c?.machineBusyCores === undefined) continue
    // Everything else on the machine: other work sharing the two cores.
    c.otherCores = Math.max(0, c.machineBusyCores - (c.server + c.pgAll + load.cpu.pctOfCore) / 100)
  }
  const minWindow = Math.min(...load.windows.map((w) => w.eventsPerSec))
  result.held =
    spec.R > 0
      ? load.acceptedPerSecWithinD >= 0.98 * spec.R && minWindow >= 0.95 * spec.R
      : undefined
  result.flat =
    result.memory.rssSlopeMBPerMin !== undefined
      ? result.memory.rssSlopeMBPerMin < FLAT_MB_PER_MIN
      : undefined
  return result
}

// ------------------------------------------------------------------ report

function distHash() {
  const h = createHash('sha256')
  for (const pkg of ['server', 'store', 'core']) {
    const dir = join(root, 'packages', pkg, 'dist')
    if (!existsSync(dir)) continue
    for (const f of readdirSync(dir, { recursive: true }).sort()) {
      if (!String(f).endsWith('.js')) continue
      h.update(String(f))
      h.update(readFileSync(join(dir, String(f))))
    }
  }
  return h.digest('hex').slice(0, 12)
}

const n0 = (x) => (x === undefined || Number.isNaN(x) ? '–' : fmt(x))
const n1 = (x) => (x === undefined || Number.isNaN(x) ? '–' : fmt(x, 1))
const pctS = (x) => (x === undefined ? '–' : `${fmt(x, 0)}%`)

function tables(results) {
  const lines = []
  lines.push(
    '| case | target ev/s | accepted ev/s | 5-s windows min–max | p50 / p99 ms | 503s | errors | stored = accepted | held |',
    '| ---- | ----------: | ------------: | ------------------: | -----------: | ---: | -----: | ----------------- | ---- |',
  )
  for (const r of results) {
    const w = r.load.windows.map((x) => x.eventsPerSec)
    lines.push(
      `| \`${r.case}\` (${r.durationS} s) | ${r.targetPerSec ? n0(r.targetPerSec) : 'unlimited'} | ${n0(r.load.acceptedPerSecWithinD)} | ${n0(Math.min(...w))}–${n0(Math.max(...w))} | ${n0(r.load.latencyMs.p50)} / ${n0(r.load.latencyMs.p99)} | ${r.load.http503} | ${r.load.errors} | ${r.lossless ? 'yes' : 'NO'} (${n0(r.stored)}) | ${r.held === undefined ? '–' : r.held ? 'yes' : 'no'} |`,
    )
  }
  lines.push(
    '',
    '| case | RSS start / p50 / max / end MB | RSS slope, last 2/3 | heap p50 / max / after GC MB | server CPU | server loop busy | generator CPU | PG backends CPU | all PG CPU | machine busy (other work) | pending max | write ms (rows) | write slots busy |',
    '| ---- | -----------------------------: | ------------------: | ----------------: | ---------: | ---------------: | ------------: | --------------: | ---------: | -----------: | ----------: | --------------: | ---------------: |',
  )
  for (const r of results) {
    const m = r.memory
    const c = r.cpu.steady ?? r.cpu.whole
    lines.push(
      `| \`${r.case}\` | ${n0(m.rssStartMB)} / ${n0(m.rssP50MB)} / ${n0(m.rssMaxMB)} / ${n0(m.rssEndMB)} | ${n1(m.rssSlopeMBPerMin)} MB/min${r.flat === undefined ? '' : r.flat ? ' (flat)' : ' (growing)'} | ${n0(m.heapUsedP50MB)} / ${n0(m.heapUsedMaxMB)} / ${n0(m.heapUsedAfterGcMB)} | ${pctS(c.server)} | ${pctS(100 * r.server.eluSteady)} | ${pctS(r.cpu.generatorPct)} | ${r.engine === 'postgres' ? pctS(c.pgBackends) : '–'} | ${pctS(c.pgAll)} | ${c.machineBusyCores === undefined ? '–' : `${fmt(c.machineBusyCores, 2)} cores (${fmt(c.otherCores, 2)})`} | ${n0(r.server.pendingMax)} | ${n0(r.server.writeMsMean)} (${n0(r.server.rowsPerWrite)}) | ${pctS(100 * r.server.writeSlotsBusy)} |`,
    )
  }
  return lines.join('\n')
}

// ------------------------------------------------------------------ main

const machine = machineInfo()
console.log(
  `bench/server: cases ${caseNames.join(', ')}; C=${C} B=${B}; ${machine.nproc}x ${machine.cpu}, node ${machine.node}${quick ? ' (quick: not a timing)' : ''}`,
)
const results = []
const load1 = []
let failed = false
for (const name of caseNames) {
  const spec = ALL_CASES[name]
  load1.push(loadavg()[0])
  console.log(
    `  ${name}: ${spec.engine}, ${spec.R ? `${fmt(spec.R)} events/s` : 'unlimited'} for ${spec.D} s ...`,
  )
  const r = await runCase(name, spec)
  results.push(r)
  const c = r.cpu.steady ?? r.cpu.whole
  console.log(
    `    accepted ${fmt(r.load.accepted)} (${fmt(r.load.acceptedPerSecWithinD)}/s, windows ${r.load.windows.map((w) => fmt(w.eventsPerSec)).join(' ')}), stored ${fmt(r.stored)}, 503s ${r.load.http503}, errors ${r.load.errors}; RSS ${fmt(r.memory.rssStartMB)}→${fmt(r.memory.rssEndMB)} MB (max ${fmt(r.memory.rssMaxMB)}, ${n1(r.memory.rssSlopeMBPerMin)} MB/min); CPU server ${pctS(c.server)}, generator ${pctS(r.cpu.generatorPct)}, PG ${pctS(c.pgAll)}`,
  )
  if (!r.lossless) {
    failed = true
    console.error(
      `    ${name}: stored ${r.stored} but accepted ${r.load.accepted} (failed requests ${r.load.errors}: ${r.load.errorSamples.join('; ')})`,
    )
  }
  if (r.load.errors || r.load.rejected) {
    failed = true
    console.error(`    ${name}: ${r.load.errors} errors, ${r.load.rejected} rejected events`)
  }
}
load1.push(loadavg()[0])

const table = tables(results)
console.log(`\n${table}\n`)
for (const r of results) {
  if (r.pg)
    console.log(
      `${r.case}: PostgreSQL backends of the server (${r.pg.backends}) per sample: ${Object.entries(
        r.pg.waits,
      )
        .slice(0, 6)
        .map(([k, v]) => `${k} ${fmt(100 * v, 0)}%`)
        .join(
          ', ',
        )}; WAL ${n1(r.pg.walMBPerSec)} MB/s (${n0(r.pg.walBytesPerEvent)} B/event), ${r.pg.checkpoints} checkpoint(s)`,
    )
}

const out =
  env.OUT ??
  join(here, `results-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`)
let pgVersion
try {
  const pg = loadPg()
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  const q = async (sql) => (await client.query(sql)).rows[0]
  pgVersion = {
    version: (await q('SHOW server_version')).server_version,
    shared_buffers: (await q('SHOW shared_buffers')).shared_buffers,
    synchronous_commit: (await q('SHOW synchronous_commit')).synchronous_commit,
    max_wal_size: (await q('SHOW max_wal_size')).max_wal_size,
  }
  await client.end()
} catch {
  // reported as unknown
}
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      command: `${quick ? 'QUICK=1 ' : ''}node bench/server/run.js`,
      quick,
      settings: { D, C, B, R, PGLITE_D, PGLITE_R, MAX_D, cases: caseNames },
      serverOptions: env.SERVER_OPTIONS ? JSON.parse(env.SERVER_OPTIONS) : {},
      machine: { ...machine, totalMemGiB: totalmem() / 2 ** 30 },
      loadavg1m: { each: load1, median: median(load1) },
      postgres: pgVersion,
      distHash: distHash(),
      table,
      results,
    },
    null,
    2,
  ),
)
console.log(`bench/server: results written to ${out}`)
if (failed) process.exit(1)
