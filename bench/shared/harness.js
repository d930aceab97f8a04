// Pieces every bench runner shares: run one variant in a fresh process, the
// statistics and formatting of the report, and what machine it ran on.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'

/**
 * Run `node <script> <name>` in a fresh process; resolves with the JSON object
 * printed on its last stdout line. Rejects on a non-zero exit.
 */
export function runVariant(script, name, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, name], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop()
      if (code !== 0 || !last) return reject(new Error(`variant ${name} failed (exit ${code})`))
      resolve(JSON.parse(last))
    })
  })
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

export const fmt = (x, d = 0) =>
  x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })

export const pct = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`

/** Installed version of `pkg` as seen from the directory `from`. */
export function version(pkg, from) {
  try {
    return JSON.parse(readFileSync(join(from, 'node_modules', pkg, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

/** CPU model (from /proc/cpuinfo where there is one), core count, Node and platform. */
export function machineInfo() {
  let cpu = cpus()[0]?.model
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (m) cpu = m[1]
  } catch {
    // not Linux
  }
  return {
    nproc: cpus().length,
    cpu,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  }
}

/**
 * A runner's settings from the environment: QUICK=1 or --quick picks the quick
 * defaults; N, R, WARMUP and VARIANTS=a,b override. Exits (via `die`) on an
 * unknown variant or a non-positive N or R.
 */
export function runSettings(variants, { n, warmup }, die) {
  const quick = process.argv.includes('--quick') || process.env.QUICK === '1'
  const N = Number(process.env.N ?? (quick ? n[0] : n[1]))
  const R = Number(process.env.R ?? (quick ? 1 : 5))
  const WARMUP = Number(process.env.WARMUP ?? (quick ? warmup[0] : warmup[1]))
  const names = process.env.VARIANTS
    ? process.env.VARIANTS.split(',').map((s) => s.trim())
    : Object.keys(variants)
  for (const name of names) {
    if (!variants[name])
      die(`unknown variant ${JSON.stringify(name)}; one of: ${Object.keys(variants).join(', ')}`)
  }
  if (!(N > 0 && R > 0)) die('N and R must be positive')
  return { quick, N, R, WARMUP, names }
}

/** In a variant process: the spec of variant `name`, or exit 2 on a bad name, N or WARMUP. */
export function variantSpec(variants, name, N, WARMUP) {
  const spec = variants[name]
  if (!spec) {
    console.error(
      `unknown variant ${JSON.stringify(name)}; one of: ${Object.keys(variants).join(', ')}`,
    )
    process.exit(2)
  }
  if (!(Number.isInteger(N) && N > 0 && Number.isInteger(WARMUP) && WARMUP >= 0)) {
    console.error('N must be a positive integer and WARMUP a non-negative integer')
    process.exit(2)
  }
  return spec
}

/**
 * PostgreSQL for the benches: THREADLINE_BENCH_PG_URL, else THREADLINE_TEST_PG_URL (what CI
 * sets), else the local server.
 */
export const BENCH_PG_URL =
  process.env.THREADLINE_BENCH_PG_URL ??
  process.env.THREADLINE_TEST_PG_URL ??
  'postgres://postgres@127.0.0.1:5432/test'
