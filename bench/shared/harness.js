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
