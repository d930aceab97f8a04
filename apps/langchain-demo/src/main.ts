import { consoleExporter, createLogger, httpExporter, setDefaultLogger } from '@threadline/core'
import { start } from './app.js'
import { BUILT_IN_DOCUMENTS } from './documents.js'

const port = Number(process.env['PORT'] ?? 3004)
const serverUrl = process.env['THREADLINE_URL']
const logger = createLogger({
  service: 'langchain-demo',
  environment: 'demo',
  level: 'debug',
  exporters: [
    consoleExporter({ format: 'pretty', colors: Boolean(process.stdout.isTTY) }),
    // THREADLINE_URL: also send every event to a Threadline server (`threadline serve`).
    ...(serverUrl ? [httpExporter({ url: serverUrl })] : []),
  ],
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
