// Vendor exporters: events/s delivered to a local sink, and the app's cost per event
// with the exporter attached, against a no-op exporter and the Threadline httpExporter.
// Variants alternate, each run in a fresh process, R rounds; medians reported.
//
//   pnpm turbo run build --filter=@threadline/core && node bench/exporters/run.js
//   N=100000 R=5 VARIANTS=datadog,splunk node bench/exporters/run.js
//   node bench/exporters/run.js --quick    (N=5000, R=1: shows it works, not a timing)
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

import { fmt, machineInfo, median, runVariant } from '../shared/harness.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick') || process.env.QUICK === '1'
const N = quick ? 5000 : Number(process.env.N ?? 100_000)
const R = quick ? 1 : Number(process.env.R ?? 3)
const VARIANTS = (process.env.VARIANTS ?? 'null,http,datadog,splunk,cloudwatch,webhook').split(',')

const results = Object.fromEntries(VARIANTS.map((v) => [v, []]))
for (let r = 0; r < R; r++) {
  for (const v of VARIANTS) {
    const out = await runVariant(join(here, 'variant.js'), v, {
      cwd: here,
      env: { N: String(N), WARMUP: String(quick ? 1000 : 10_000) },
    })
    if (out.delivered !== N + (quick ? 1000 : 10_000))
      throw new Error(`${v}: delivered ${out.delivered}, dropped ${JSON.stringify(out.dropped)}`)
    results[v].push(out)
  }
}

const m = machineInfo()
console.log(`machine: ${JSON.stringify(m)}`)
console.log(`N=${N} R=${R} date=${new Date().toISOString().slice(0, 10)}`)
console.log('| exporter | events/s to the local sink | emit, ns/event | app CPU, µs/event |')
console.log('|---|---:|---:|---:|')
for (const v of VARIANTS) {
  const rs = results[v]
  console.log(
    `| ${v} | ${fmt(median(rs.map((x) => x.eventsPerSec)))} | ${fmt(median(rs.map((x) => x.emitNsPerEvent)))} | ${fmt(median(rs.map((x) => x.cpuUsPerEvent)), 2)} |`,
  )
}
