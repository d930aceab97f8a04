// One server of one variant, in its own process:
//   node bench/http/server.js <variant>    (env LOG_FILE: where logs go)
// Prints the port it listens on (127.0.0.1, port 0) as a JSON line, then serves
// until it gets SIGTERM.
import process from 'node:process'

const variant = process.argv[2]
const file = process.env.LOG_FILE ?? '/dev/null'

function body(id) {
  return { id, name: `user ${id}`, plan: 'pro', seats: 12 }
}

// TL_EXPERIMENT (comma-separated) takes parts away, to see what each costs:
// `no-metrics`, `null-exporter` (an exporter that drops the serialized lines).
const experiment = new Set((process.env.TL_EXPERIMENT ?? '').split(',').filter(Boolean))

async function threadlineLogger() {
  const { createLogger, fileExporter } = await import('@threadline/core')
  const { prometheusHttpMetrics } = await import('@threadline/core/metrics')
  const exporter = experiment.has('null-exporter')
    ? { name: 'null', export: () => ({ ok: true }) }
    : fileExporter({ path: file, gzip: false, maxSizeBytes: 0, rotateDaily: false })
  const logger = createLogger({ service: 'bench-http', exporters: [exporter], hookProcess: false })
  return { logger, metrics: experiment.has('no-metrics') ? false : prometheusHttpMetrics() }
}

async function pinoDestination() {
  const { default: pino } = await import('pino')
  return { pino, dest: pino.destination({ dest: file, sync: false }) }
}

// The floor: the least any per-request logger with context propagation does. An
// AsyncLocalStorage scope per request and one JSON line at the end, written to the same
// destination as pino. No ids, no redaction, no metrics. A logger cannot keep more of
// bare's throughput than this, so it bounds what a target can ask for on this machine.
async function floorLogger() {
  const { AsyncLocalStorage } = await import('node:async_hooks')
  const { dest } = await pinoDestination()
  const als = new AsyncLocalStorage()
  let n = 0
  return {
    enter: (fn) => als.run({ n: ++n }, fn),
    line(method, route, path, status, start) {
      dest.write(
        JSON.stringify({
          time: Date.now(),
          scope: als.getStore()?.n,
          method,
          route,
          path,
          status,
          duration_ms: performance.now() - start,
        }) + '\n',
      )
    },
  }
}

async function expressApp() {
  const { default: express } = await import('express')
  const app = express()
  if (variant === 'express-pino-http') {
    const { default: pinoHttp } = await import('pino-http')
    const { pino, dest } = await pinoDestination()
    app.use(pinoHttp({ logger: pino(dest) }))
  } else if (variant === 'express-threadline') {
    const { threadline } = await import('@threadline/express')
    app.use(threadline(await threadlineLogger()))
  } else if (variant === 'express-floor') {
    const floor = await floorLogger()
    app.use((req, res, next) => {
      const start = performance.now()
      floor.enter(() => {
        res.once('finish', () =>
          floor.line(req.method, req.route?.path, req.originalUrl, res.statusCode, start),
        )
        next()
      })
    })
  } else if (variant !== 'express-bare') throw new Error(`unknown variant ${variant}`)
  app.get('/users/:id', (req, res) => {
    res.json(body(req.params.id))
  })
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, close: () => server.close() }),
    )
  })
}

async function fastifyApp() {
  const { default: Fastify } = await import('fastify')
  let app
  if (variant === 'fastify-logger') {
    const { dest } = await pinoDestination()
    app = Fastify({ logger: { level: 'info', stream: dest } })
  } else if (variant === 'fastify-threadline') {
    app = Fastify({ logger: false })
    const { threadlinePlugin } = await import('@threadline/fastify')
    await app.register(threadlinePlugin, await threadlineLogger())
  } else if (variant === 'fastify-floor') {
    app = Fastify({ logger: false })
    const floor = await floorLogger()
    const start = Symbol('start')
    app.addHook('onRequest', (req, _reply, next) => {
      req[start] = performance.now()
      floor.enter(next)
    })
    app.addHook('onResponse', (req, reply, next) => {
      floor.line(req.method, req.routeOptions.url, req.url, reply.statusCode, req[start])
      next()
    })
  } else if (variant === 'fastify-bare') app = Fastify({ logger: false })
  else throw new Error(`unknown variant ${variant}`)
  app.get('/users/:id', async (req) => body(req.params.id))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { port: app.server.address().port, close: () => app.close() }
}

const server = variant.startsWith('express') ? await expressApp() : await fastifyApp()
process.stdout.write(JSON.stringify({ port: server.port }) + '\n')
process.on('SIGTERM', () => {
  server.close()
  process.exit(0)
})
