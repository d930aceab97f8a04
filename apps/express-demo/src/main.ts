import { consoleExporter, createLogger, httpExporter, setDefaultLogger } from '@threadline/core'
import { start } from './app.js'

const port = Number(process.env['PORT'] ?? 3001)
const serverUrl = process.env['THREADLINE_URL']
const logger = createLogger({
  service: 'express-demo',
  environment: 'demo',
  level: 'debug',
  exporters: [
    consoleExporter({ format: 'pretty', colors: Boolean(process.stdout.isTTY) }),
    // THREADLINE_URL: also send every event to a Threadline server (`threadline serve`).
    ...(serverUrl ? [httpExporter({ url: serverUrl })] : []),
  ],
})
setDefaultLogger(logger)

const downstreamUrl = process.env['DOWNSTREAM_URL']
const { url } = await start(port, { logger, ...(downstreamUrl ? { downstreamUrl } : {}) })
process.stdout.write(
  [
    `express-demo listening on ${url}`,
    `  curl ${url}/orders/1`,
    `  curl -X POST ${url}/orders -H 'content-type: application/json' -d '{"item":"mug"}'`,
    `  curl -X POST ${url}/orders/1/refund        # fails: one error event`,
    `  curl ${url}/reports/daily                  # slow`,
    `  curl ${url}/checkout/1                     # calls ${downstreamUrl ?? 'itself'} over HTTP`,
    `  curl ${url}/metrics`,
    '',
  ].join('\n'),
)
