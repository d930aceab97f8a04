// One measurement in a fresh process: a logger with one exporter sending to a local
// sink (another process), N events logged as fast as the loop allows, then flushed.
// Prints one JSON line: emit cost per event, the process's CPU per event (emit plus the
// exporter's encoding, compression, signing and HTTP client), and events/s delivered.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import { MSG, POOL_SIZE, makeRecord } from '../core/records.js'

const here = dirname(fileURLToPath(import.meta.url))
const core = await import(join(here, '../../packages/core/dist/index.js'))
const name = process.argv[2]
const N = Number(process.env.N ?? 100_000)
const WARMUP = Number(process.env.WARMUP ?? 10_000)

const sink = spawn(process.execPath, [join(here, 'sink.js'), name], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const [chunk] = await once(sink.stdout, 'data')
const url = `http://127.0.0.1:${String(chunk).trim()}`

const AWS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
}
const make = {
  null: () => ({ name: 'null', export: () => ({ ok: true }) }),
  http: () => core.httpExporter({ url, apiKey: 'k' }),
  datadog: () => core.datadogExporter({ url, apiKey: 'k', hostname: 'bench' }),
  splunk: () => core.splunkExporter({ url, token: 't', host: 'bench' }),
  cloudwatch: () =>
    core.cloudwatchExporter({
      url,
      region: 'eu-west-1',
      logGroupName: 'g',
      logStreamName: 's',
      credentials: AWS,
    }),
  webhook: () => core.webhookExporter({ url, secret: 's' }),
}[name]
if (!make) throw new Error(`unknown variant ${name}`)

const pool = Array.from({ length: POOL_SIZE }, (_, i) => makeRecord(i))
const log = core.createLogger({
  service: 'bench',
  exporters: [make()],
  hookProcess: false,
  batch: { maxQueueSize: N + WARMUP, maxQueueBytes: 2 ** 31 },
})

async function run(n) {
  for (let i = 0; i < n; i++) log.info(MSG, pool[i & (POOL_SIZE - 1)])
  await log.flush(120_000)
}
await run(WARMUP)
const cpu0 = process.cpuUsage()
const t0 = process.hrtime.bigint()
for (let i = 0; i < N; i++) log.info(MSG, pool[i & (POOL_SIZE - 1)])
const tEmit = process.hrtime.bigint()
await log.flush(120_000)
const t1 = process.hrtime.bigint()
const cpu = process.cpuUsage(cpu0)
const stats = log.stats().exporters[0]
await log.shutdown(5000)
sink.kill('SIGTERM')
const ns = (a, b) => Number(b - a)
process.stdout.write(
  JSON.stringify({
    name,
    n: N,
    emitNsPerEvent: ns(t0, tEmit) / N,
    cpuUsPerEvent: (cpu.user + cpu.system) / N,
    eventsPerSec: N / (ns(t0, t1) / 1e9),
    delivered: stats.delivered,
    dropped: stats.dropped,
  }) + '\n',
)
