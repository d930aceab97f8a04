// HTTP middleware overhead, side by side:
//   node bench/http/run.js            (env R rounds, D seconds per run, C connections, VARIANTS=a,b)
//   node bench/http/run.js --quick    (or QUICK=1: R=1, D=1; proves the harness works, not a timing)
// Each run starts a fresh server process, warms it up for 1 s, then autocannon
// (in this process) loads GET /users/:id for D seconds. Rounds alternate the
// variants. Reports median req/s, min-max, and each variant's ratio to the bare
// server of its framework. Logs go to a temp file per run (pino's async
// destination for pino-http and Fastify's logger, Threadline's file exporter).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { median } from '../shared/harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick') || process.env.QUICK === '1'
const R = Number(process.env.R ?? (quick ? 1 : 5))
const D = Number(process.env.D ?? (quick ? 1 : 5))
const C = Number(process.env.C ?? 10)
const ALL = [
  'express-bare',
  'express-floor',
  'express-pino-http',
  'express-threadline',
  'fastify-bare',
  'fastify-floor',
  'fastify-logger',
  'fastify-threadline',
]
const variants = process.env.VARIANTS ? process.env.VARIANTS.split(',') : ALL
const BARE = { express: 'express-bare', fastify: 'fastify-bare' }

function startServer(variant, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'server.js'), variant], {
      env: { ...process.env, LOG_FILE: logFile, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
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

function load(port, duration) {
  return autocannon({ url: `http://127.0.0.1:${port}/users/42`, connections: C, duration })
}

const dir = mkdtempSync(join(tmpdir(), 'bench-http-'))
const runs = Object.fromEntries(variants.map((v) => [v, []]))
console.log(
  `bench/http: R=${R} D=${D}s C=${C}; ${variants.length} variants, a fresh server each run; ${cpus().length}x ${cpus()[0]?.model}, node ${process.version}`,
)
try {
  for (let r = 0; r < R; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length])
    for (const v of order) {
      const logFile = join(dir, `${v}-${r}.log`)
      writeFileSync(logFile, '')
      const { child, port } = await startServer(v, logFile)
      try {
        await load(port, 1) // warm-up
        const res = await load(port, D)
        if (res.non2xx > 0 || res.errors > 0)
          throw new Error(`${v}: ${res.non2xx} non-2xx, ${res.errors} errors`)
        runs[v].push(res.requests.average)
        console.log(
          `  round ${r + 1}/${R}  ${v.padEnd(20)} ${Math.round(res.requests.average).toLocaleString('en-US').padStart(8)} req/s`,
        )
      } finally {
        child.removeAllListeners('exit')
        child.kill('SIGTERM')
        await new Promise((r2) => child.once('exit', r2))
      }
      if (!v.endsWith('-bare')) {
        const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean)
        if (lines.length === 0) throw new Error(`${v}: nothing was logged`)
        if (
          v.includes('threadline') &&
          !lines.some((l) => l.includes('"trace_id"') && l.includes('"route":"/users/:id"'))
        ) {
          throw new Error(`${v}: no access event with trace_id and route template in the log`)
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

const summary = {}
console.log('\n| variant | req/s (median) | min-max | vs bare |\n|---|--:|--:|--:|')
for (const v of variants) {
  const m = median(runs[v])
  const bare = BARE[v.split('-')[0]]
  const ratio = runs[bare]?.length ? m / median(runs[bare]) : undefined
  summary[v] = {
    median: m,
    min: Math.min(...runs[v]),
    max: Math.max(...runs[v]),
    vsBare: ratio,
    runs: runs[v],
  }
  console.log(
    `| \`${v}\` | ${Math.round(m).toLocaleString('en-US')} | ${Math.round(Math.min(...runs[v])).toLocaleString('en-US')}-${Math.round(Math.max(...runs[v])).toLocaleString('en-US')} | ${ratio === undefined ? '-' : ratio.toFixed(2) + 'x'} |`,
  )
}
const out =
  process.env.OUT ??
  join(here, `results-${new Date().toISOString().slice(0, 10)}${quick ? '-quick' : ''}.json`)
writeFileSync(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      R,
      D,
      C,
      node: process.version,
      cpu: cpus()[0]?.model,
      summary,
    },
    null,
    2,
  ),
)
console.log(`bench/http: results written to ${out}`)
