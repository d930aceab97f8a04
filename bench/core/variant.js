// One measurement of one variant in this (fresh) process:
//   node bench/core/variant.js <name>        (env N, WARMUP)
// Warm-up on a separate logger instance, then N events, 10 per setImmediate,
// timed until the sink has everything. Checks the output (line count, trace
// context on a sample line) and prints one JSON line with the result on stdout.
// Exits non-zero on any failed check.

import { createHash } from 'node:crypto'
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Buffer } from 'node:buffer'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import { variantSpec } from '../shared/harness.js'
import { makePool, MSG, POOL_SIZE, SPAN_ID, TRACE_ID } from './records.js'
import { VARIANTS } from './variants.js'

// Keep the events identical whoever launches this (pnpm sets npm_package_version, ...).
for (const k of ['npm_package_name', 'npm_package_version', 'NODE_ENV', 'OTEL_SERVICE_NAME'])
  delete process.env[k]
for (const k of Object.keys(process.env)) if (k.startsWith('THREADLINE_')) delete process.env[k]

const name = process.argv[2]
const N = Number(process.env.N ?? 200_000)
const WARMUP = Number(process.env.WARMUP ?? 20_000)
const PER_TICK = 10
const MASK = POOL_SIZE - 1

const spec = variantSpec(VARIANTS, name, N, WARMUP)

const pool = makePool()
const tick = () => new Promise((resolve) => setImmediate(resolve))

async function emitLoop(impl, n) {
  for (let i = 0; i < n;) {
    for (const e = Math.min(n, i + PER_TICK); i < e; i++) impl.emit(pool[i & MASK])
    await tick()
  }
}

/** Emit n events through a fresh instance; returns elapsed ns (emit + drain) and the instance. */
async function once(variant, file, n) {
  const impl = variant.create(file)
  const t0 = process.hrtime.bigint()
  if (impl.run) await impl.run(() => emitLoop(impl, n))
  else await emitLoop(impl, n)
  await impl.end()
  const ns = Number(process.hrtime.bigint() - t0)
  return { ns, impl }
}

/** Lines in a file (count of '\n') and its first line. */
function scanFile(file) {
  return new Promise((resolve, reject) => {
    let lines = 0
    let head = ''
    createReadStream(file)
      .on('data', (buf) => {
        if (lines === 0 && head.length < 8192) head += buf.subarray(0, 8192).toString('utf8')
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++
      })
      .on('error', reject)
      .on('end', () => resolve({ lines, first: head.slice(0, head.indexOf('\n')) }))
  })
}

/** Short hash of the built core (packages/core/dist/**.js), to tell which build a result measured. */
function coreBuild() {
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'core', 'dist')
  const h = createHash('sha256')
  try {
    const files = readdirSync(dist, { recursive: true })
      .filter((f) => String(f).endsWith('.js'))
      .sort()
    for (const f of files) h.update(String(f)).update(readFileSync(join(dist, String(f))))
  } catch {
    return undefined
  }
  return h.digest('hex').slice(0, 12)
}

function fail(msg) {
  console.error(`[${name}] CHECK FAILED: ${msg}`)
  process.exitCode = 1
  throw new Error(msg)
}

/** The sample line must be JSON with the trace context and the record's fields. */
function checkLine(line) {
  let o
  try {
    o = JSON.parse(line)
  } catch {
    fail(`first line is not JSON: ${String(line).slice(0, 200)}`)
  }
  if (o.trace_id !== TRACE_ID || o.span_id !== SPAN_ID)
    fail(`trace context missing from ${line.slice(0, 300)}`)
  const text = JSON.stringify(o)
  for (const needle of [MSG, pool[0].user_id, pool[0].metadata.prompt_template]) {
    if (!text.includes(needle))
      fail(`record field ${JSON.stringify(needle)} missing from ${line.slice(0, 300)}`)
  }
}

async function main() {
  const build = coreBuild()
  const variant = await spec.make()
  const dir = mkdtempSync(join(tmpdir(), `bench-core-${name}-`))
  try {
    if (WARMUP > 0) await once(variant, join(dir, 'warmup.log'), WARMUP)
    rmSync(join(dir, 'warmup.log'), { force: true })

    const file = join(dir, 'out.log')
    const { ns, impl } = await once(variant, file, N)

    let lines
    let bytes
    let first
    let check
    if (variant.sink === 'file') {
      bytes = statSync(file).size
      ;({ lines, first } = await scanFile(file))
    } else if (impl.lines) {
      lines = impl.lines()
      first = impl.firstLine()
    }
    if (lines === undefined) check = 'not countable (/dev/null)'
    else if (lines !== N) fail(`expected ${N} lines, got ${lines}`)
    else check = `${lines} lines`
    if (first !== undefined) {
      checkLine(first)
      check += ', trace context ok'
    }
    const bytesPerLine =
      bytes !== undefined
        ? bytes / N
        : first !== undefined
          ? Buffer.byteLength(first) + 1
          : undefined
    const result = {
      variant: name,
      coreBuild: build,
      n: N,
      warmup: WARMUP,
      ns,
      nsPerEvent: ns / N,
      eventsPerSec: N / (ns / 1e9),
      bytesPerLine,
      check,
      sample: first,
    }
    process.stdout.write(JSON.stringify(result) + '\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(`[${name}] ${err && err.stack ? err.stack : err}`)
  process.exitCode = 1
})
