// Server CPU per request at a fixed offered rate, side by side:
//   node bench/http/cpu.js      (env RATE req/s offered, default 5000; D seconds measured,
//                                default 10; WARM seconds, default 2; R rounds, default 3;
//                                C connections, default 10; VARIANTS=a,b)
//
// The server runs on core 0 (`taskset -c 0`), this process and autocannon on core 1,
// so the two do not take turns on one core. autocannon offers RATE requests per second
// in total (`overallRate`); a fixed rate matters, because at a lower rate each response
// needs its own wake-up of the load generator and per-request cost rises with any
// slowdown (req/s ratios overstate a logger's cost). The server's CPU time (user +
// system, all threads, from /proc/<pid>/stat) over the measured window, divided by the
// requests completed in it, is its CPU per request. Rounds alternate the variants,
// each run in a fresh server; reported: median and min-max per variant, and each
// variant's CPU divided by its framework's anchor (Fastify's logger, pino-http) and by
// bare, as medians with the per-round range.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { median } from '../shared/harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const RATE = Number(process.env.RATE ?? 5000)
const D = Number(process.env.D ?? 10)
const WARM = Number(process.env.WARM ?? 2)
const R = Number(process.env.R ?? 3)
const C = Number(process.env.C ?? 10)
const ALL = [
  'fastify-bare',
  'fastify-logger',
  'fastify-threadline',
  'express-bare',
  'express-pino-http',
  'express-threadline',
]
const variants = process.env.VARIANTS ? process.env.VARIANTS.split(',') : ALL
const ANCHOR = { fastify: 'fastify-logger', express: 'express-pino-http' }
const BARE = { fastify: 'fastify-bare', express: 'express-bare' }
const TICK_US = 1e6 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout || 100)

// the load generator on core 1, the servers on core 0
spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })

function startServer(variant, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'taskset',
      ['-c', '0', process.execPath, join(here, 'server.js'), variant],
      {
        env: { ...process.env, LOG_FILE: logFile, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve({ child, port: JSON.parse(out.slice(0, nl)).port })
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`${variant} exited early (${code})`)))
  })
}

/** CPU time of a process so far (user + system, all its threads), in µs. */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) * TICK_US // utime, stime (fields 14, 15)
}

function load(port, duration) {
  return autocannon({
    url: `http://127.0.0.1:${port}/users/42`,
    connections: C,
    duration,
    overallRate: RATE,
  })
}

async function measure(variant, dir) {
  const { child, port } = await startServer(variant, join(dir, `${variant}.log`))
  try {
    await load(port, WARM)
    const before = cpuUs(child.pid)
    const res = await load(port, D)
    const cpu = cpuUs(child.pid) - before
    const requests = res.requests.total
    if (res.non2xx > 0 || res.errors > 0)
      throw new Error(`${variant}: ${res.non2xx} non-2xx, ${res.errors} errors`)
    return { variant, requests, rate: requests / D, cpuUsPerRequest: cpu / requests }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bench-http-cpu-'))
const runs = Object.fromEntries(variants.map((v) => [v, []]))
const load1 = []
console.log(
  `bench/http/cpu: RATE=${RATE}/s D=${D}s WARM=${WARM}s R=${R} C=${C}; server on core 0, load on core 1; ${cpus().length}x ${cpus()[0]?.model}, node ${process.version}`,
)
try {
  for (let r = 0; r < R; r++) {
    load1.push(loadavg()[0])
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]
      const m = await measure(v, dir)
      runs[v].push(m)
      console.log(
        `  round ${r + 1} ${v}: ${m.cpuUsPerRequest.toFixed(1)} µs CPU/request at ${Math.round(m.rate)} req/s`,
      )
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const fmt = (x) => x.toFixed(1)
const perRound = (v, ref) =>
  runs[v].map((m, i) => m.cpuUsPerRequest / runs[ref][i].cpuUsPerRequest).sort((a, b) => a - b)
console.log(`\n1-min load average per round: ${load1.map((x) => x.toFixed(2)).join(', ')}\n`)
console.log(
  '| variant | server CPU µs/request (median) | min–max | req/s completed | vs anchor (per round) | vs bare (per round) |',
)
console.log('|---|--:|--:|--:|--:|--:|')
for (const v of variants) {
  const xs = runs[v].map((m) => m.cpuUsPerRequest)
  const fw = v.split('-')[0]
  const ratio = (ref) => {
    if (!runs[ref] || ref === v) return '–'
    const rs = perRound(v, ref)
    return `${median(rs).toFixed(2)}× (${rs[0].toFixed(2)}–${rs[rs.length - 1].toFixed(2)})`
  }
  console.log(
    `| \`${v}\` | ${fmt(median(xs))} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${Math.round(median(runs[v].map((m) => m.rate)))} | ${ratio(ANCHOR[fw])} | ${ratio(BARE[fw])} |`,
  )
}
