// One measurement of one variant in this (fresh) process:
//   node bench/langchain/variant.js <name>        (env N, WARMUP; LANGFUSE_BASEURL for `langfuse`)
// Warm-up: WARMUP calls through a separate handler instance, drained. Then N sequential
// `await chain.invoke(input, { callbacks })`, timed until LangChain's callback queue and the
// handler are drained (so work a handler defers is counted). Prints one JSON line on stdout.

import process from 'node:process'

import { awaitAllCallbacks } from '@langchain/core/callbacks/promises'

import { variantSpec } from '../shared/harness.js'
import { input, makeChain, VARIANTS } from './chain.js'

// Keep every variant's environment identical whoever launches this: no LangSmith tracing.
for (const k of Object.keys(process.env)) {
  if (/^(LANGCHAIN_|LANGSMITH_|THREADLINE_|LANGFUSE_(?!BASEURL$))/.test(k)) delete process.env[k]
}
delete process.env.OTEL_SERVICE_NAME
delete process.env.NODE_ENV

const name = process.argv[2]
const N = Number(process.env.N ?? 5000)
const WARMUP = Number(process.env.WARMUP ?? 500)

const spec = variantSpec(VARIANTS, name, N, WARMUP)

/** n calls through a fresh handler instance; returns timings and the handler's sink count. */
async function once(chain, n) {
  const v = await spec.make()
  const config = v.callbacks ? { callbacks: v.callbacks } : undefined
  let last
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) last = await chain.invoke(input(i), config)
  const t1 = process.hrtime.bigint()
  await awaitAllCallbacks()
  await v.drain()
  const t2 = process.hrtime.bigint()
  const cpu = process.cpuUsage(c0)
  const cpuUs = cpu.user + cpu.system
  return { invokeNs: Number(t1 - t0), ns: Number(t2 - t0), cpuUs, events: v.events(), last }
}

async function main() {
  const chain = makeChain()
  if (WARMUP > 0) await once(chain, WARMUP)
  const { ns, invokeNs, cpuUs, events, last } = await once(chain, N)
  if (typeof last !== 'string' || last.length === 0)
    throw new Error(`chain returned ${JSON.stringify(last)}`)
  if (events !== undefined && events < N)
    throw new Error(`expected at least ${N} events at the sink, got ${events}`)
  const result = {
    variant: name,
    n: N,
    warmup: WARMUP,
    ns,
    usPerCall: ns / 1000 / N,
    invokeUsPerCall: invokeNs / 1000 / N,
    drainUs: (ns - invokeNs) / 1000,
    // process CPU (all threads) over the same span: < usPerCall means time spent waiting
    cpuUsPerCall: cpuUs / N,
    events,
    eventsPerCall: events === undefined ? undefined : events / N,
    output: last,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

main().catch((err) => {
  console.error(`[${name}] ${err && err.stack ? err.stack : err}`)
  process.exitCode = 1
})
