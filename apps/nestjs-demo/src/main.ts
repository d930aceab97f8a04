import { consoleExporter, createLogger, httpExporter, setDefaultLogger } from '@threadline/core'
import { start } from './app.js'

const serverUrl = process.env['THREADLINE_URL']
const logger = createLogger({
  service: process.env['THREADLINE_SERVICE'] ?? 'nestjs-demo',
  environment: 'demo',
  exporters: [
    consoleExporter({ format: 'pretty', colors: Boolean(process.stdout.isTTY) }),
    // THREADLINE_URL: also send every event to a Threadline server (`threadline serve`).
    ...(serverUrl ? [httpExporter({ url: serverUrl })] : []),
  ],
})
setDefaultLogger(logger)

const port = Number(process.env['PORT'] ?? 3003)
const { app, url } = await start(port, { logger })
app.enableShutdownHooks()
logger.info(`nestjs-demo listening on ${url}`, {
  attributes: {
    try: [
      `${url}/orders/1`,
      `${url}/orders/1/shipping`,
      `${url}/reports/daily`,
      `${url}/payments/charge`,
    ],
  },
})
