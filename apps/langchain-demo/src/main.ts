import { consoleExporter, createLogger, setDefaultLogger } from '@threadline/core'
import { start } from './app.js'
import { BUILT_IN_DOCUMENTS } from './documents.js'

const port = Number(process.env['PORT'] ?? 3004)
const logger = createLogger({
  service: 'langchain-demo',
  environment: 'demo',
  level: 'debug',
  exporters: [consoleExporter({ format: 'pretty', colors: Boolean(process.stdout.isTTY) })],
})
setDefaultLogger(logger)

const { url } = await start(port, { logger, documents: BUILT_IN_DOCUMENTS })
const json = `-H 'content-type: application/json'`
process.stdout.write(
  [
    `langchain-demo listening on ${url}`,
    `  curl -X POST ${url}/query ${json} -d '{"question":"How long does express shipping take?","session_id":"s1"}'`,
    `  curl -X POST ${url}/query ${json} -d '{"question":"Can I return opened coffee beans?","session_id":"s1"}'`,
    `  curl -X POST ${url}/documents ${json} -d '{"filename":"faq.txt","content":"Our cafe opens at 8am."}'`,
    `  curl -X POST ${url}/agent ${json} -d '{"message":"Where is my order 1001?"}'`,
    '',
  ].join('\n'),
)
