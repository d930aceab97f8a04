import { consoleExporter, createLogger, httpExporter, setDefaultLogger } from '@threadline/core'
import { start } from './app.js'

const port = Number(process.env['PORT'] ?? 3002)
const serverUrl = process.env['THREADLINE_URL']
const logger = createLogger({
  service: process.env['THREADLINE_SERVICE'] ?? 'fastify-demo',
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
    `fastify-demo listening on ${url}`,
    `  curl ${url}/products/beans-1kg`,
    `  curl -X POST ${url}/products/grinder/reviews -H 'content-type: application/json' -d '{"rating":5}'`,
    `  curl -X POST ${url}/imports                      # fails: one error event`,
    `  curl ${url}/products/grinder/price-history       # slow`,
    `  curl ${url}/products/beans-1kg/availability      # calls ${downstreamUrl ?? 'itself'} over HTTP`,
    `  curl ${url}/metrics`,
    '',
  ].join('\n'),
)
