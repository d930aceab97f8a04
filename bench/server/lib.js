// Small helpers shared by the server bench's processes: where the packages and the database
// are, statistics over samples, and CPU time of processes read from /proc (Linux).
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

export { BENCH_PG_URL as PG_URL } from '../shared/harness.js'

/** The built packages, by path: works with or without this package's own node_modules. */
export const SERVER_DIST = new URL('../../packages/server/dist/index.js', import.meta.url)
export const STORE_DIST = new URL('../../packages/store/dist/index.js', import.meta.url)

/** node-postgres, resolved the way the store resolves it. */
export function loadPg() {
  return createRequire(new URL('../../packages/store/package.json', import.meta.url))('pg')
}

export const quoteIdent = (s) => `"${s.replaceAll('"', '""')}"`

/** The q-quantile (0..1) of `xs` by nearest rank; undefined for no values. */
export function quantile(xs, q) {
  if (xs.length === 0) return undefined
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

export const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined)

/** Least-squares slope of y over x; undefined with fewer than 3 points. */
export function slope(points) {
  if (points.length < 3) return undefined
  const mx = mean(points.map((p) => p.x))
  const my = mean(points.map((p) => p.y))
  let num = 0
  let den = 0
  for (const { x, y } of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return den === 0 ? undefined : num / den
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// ------------------------------------------------------------------ /proc

let ticksPerSec = 100
try {
  ticksPerSec = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
} catch {
  // keep the usual 100
}

/** { comm, cpuSec } of one process (user + system, its threads included), or undefined. */
export function procCpu(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const close = stat.lastIndexOf(')')
    const comm = stat.slice(stat.indexOf('(') + 1, close)
    const f = stat.slice(close + 2).split(' ')
    // fields after the comm start at field 3 (state): utime is field 14, stime 15
    return { comm, cpuSec: (Number(f[11]) + Number(f[12])) / ticksPerSec }
  } catch {
    return undefined
  }
}

/** CPU seconds of every process named `comm`, by pid. */
export function cpuByComm(comm) {
  const out = new Map()
  let pids = []
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return out
  }
  for (const pid of pids) {
    const p = procCpu(pid)
    if (p && p.comm === comm) out.set(Number(pid), p.cpuSec)
  }
  return out
}

/** Machine-wide CPU seconds from /proc/stat: { busy, idle, iowait, total }, or undefined. */
export function machineCpu() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]
    const v = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = v
    const busy = user + nice + system + irq + softirq + steal
    return {
      busy: busy / ticksPerSec,
      idle: idle / ticksPerSec,
      iowait: iowait / ticksPerSec,
      steal: steal / ticksPerSec,
      total: (busy + idle + iowait) / ticksPerSec,
    }
  } catch {
    return undefined
  }
}
