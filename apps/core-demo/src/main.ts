import { readFileSync } from 'node:fs'
import { consoleExporter, createLogger, fileExporter } from '@threadline/core'
import { DEMO_SECRETS, runDemo } from './demo.js'

const file = fileExporter({
  path: process.env['THREADLINE_DEMO_FILE'] ?? '.threadline/demo/events.jsonl',
  gzip: false,
})
const log = createLogger({
  service: 'support-bot',
  environment: 'demo',
  serviceVersion: '0.1.0',
  level: 'debug',
  exporters: [consoleExporter({ format: 'pretty', colors: Boolean(process.stdout.isTTY) }), file],
})

const { traceId } = await runDemo(log)
await log.shutdown()

const lines = readFileSync(file.path, 'utf8').split('\n').filter(Boolean)
const ours = lines
  .map((l) => JSON.parse(l) as { trace_id?: string; cost_usd?: number })
  .filter((e) => e.trace_id === traceId)
const leaked = DEMO_SECRETS.filter((s) => lines.some((l) => l.includes(s)))
const cost = ours.reduce((sum, e) => sum + (e.cost_usd ?? 0), 0)
const stats = log.stats()

process.stdout.write(
  [
    '',
    `trace ${traceId}: ${ours.length} events in ${file.path} (${lines.length} lines in the file)`,
    `LLM cost of this request: $${cost.toFixed(6)}`,
    `secrets found in the file: ${leaked.length === 0 ? 'none' : leaked.join(', ')}`,
    `pipeline: emitted ${stats.emitted}, delivered ${stats.exporters.map((e) => `${e.name}=${e.delivered}`).join(' ')}`,
    '',
  ].join('\n'),
)
if (leaked.length > 0) process.exitCode = 1
