import type { AddressInfo } from 'node:net'
import { createTestLogger } from '@threadline/test-utils'
import type { TestLogger } from '@threadline/test-utils'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { afterEach } from 'vitest'
import { threadlinePlugin } from '../src/index.js'
import type { ThreadlineFastifyOptions } from '../src/index.js'

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()))
})

export interface Started {
  app: FastifyInstance
  url: string
  tl: TestLogger
}

/** A real Fastify app with the plugin registered first, listening on 127.0.0.1:0. */
export async function start(
  routes: (app: FastifyInstance, tl: TestLogger) => unknown,
  options: ThreadlineFastifyOptions = {},
  fastifyOptions: FastifyServerOptions = {},
  tl: TestLogger = createTestLogger(),
): Promise<Started> {
  const app = Fastify(fastifyOptions)
  apps.push(app)
  await app.register(threadlinePlugin, { logger: tl.logger, ...options })
  await routes(app, tl)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, url: `http://127.0.0.1:${port}`, tl }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
