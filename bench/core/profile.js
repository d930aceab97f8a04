// Where the time of one variant goes:
//   node bench/core/profile.js [variant=threadline-file] [top=30]   (env N, WARMUP as for variant.js)
// Runs `node --cpu-prof variant.js <variant>` and prints the functions with the most
// self time and with the most inclusive time (share of all samples, warm-up and
// drain included). KEEP=1 keeps the .cpuprofile (open it in Chrome DevTools).

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const variant = process.argv[2] ?? 'threadline-file'
const top = Number(process.argv[3] ?? 30)
const dir = mkdtempSync(join(tmpdir(), 'bench-core-prof-'))

const res = spawnSync(
  process.execPath,
  [
    '--cpu-prof',
    '--cpu-prof-interval',
    '100',
    '--cpu-prof-dir',
    dir,
    join(here, 'variant.js'),
    variant,
  ],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: process.env, encoding: 'utf8' },
)
if (res.status !== 0) {
  console.error(`variant ${variant} failed (exit ${res.status})`)
  process.exit(1)
}
const measured = JSON.parse(res.stdout.trim().split('\n').pop())
const file = join(
  dir,
  readdirSync(dir).find((f) => f.endsWith('.cpuprofile')),
)
const prof = JSON.parse(readFileSync(file, 'utf8'))

const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const parent = new Map()
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const short = (url) => {
  if (!url) return ''
  const p = url.replace(/^file:\/\//, '')
  const m = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.*)$/.exec(p)
  if (m) return m[1]
  return p.startsWith('/') ? relative(root, p) : p
}
const key = (n) => {
  const f = n.callFrame
  const name = f.functionName || '(anonymous)'
  return f.url ? `${name}  ${short(f.url)}:${f.lineNumber + 1}` : name
}

const self = new Map()
const incl = new Map()
let total = 0
for (let i = 0; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i] ?? 0
  total += dt
  let id = prof.samples[i]
  const leaf = byId.get(id)
  self.set(key(leaf), (self.get(key(leaf)) ?? 0) + dt)
  const seen = new Set()
  while (id !== undefined) {
    const k = key(byId.get(id))
    if (!seen.has(k)) {
      seen.add(k)
      incl.set(k, (incl.get(k) ?? 0) + dt)
    }
    id = parent.get(id)
  }
}

const show = (title, m) => {
  console.log(`\n${title}`)
  console.log('| % of samples | ms | function  file:line |')
  console.log('|--:|--:|---|')
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `| ${((v / total) * 100).toFixed(1)} | ${(v / 1000).toFixed(0)} | ${k.replace(/\|/g, '\\|')} |`,
    )
  }
}

console.log(
  `${variant}: ${measured.nsPerEvent.toFixed(0)} ns/event under the profiler (N=${measured.n}, core build ${measured.coreBuild}); ${(total / 1000).toFixed(0)} ms sampled`,
)
show('Self time', self)
show('Inclusive time', incl)
if (process.env.KEEP === '1') console.log(`\nprofile kept: ${file}`)
else rmSync(dir, { recursive: true, force: true })
