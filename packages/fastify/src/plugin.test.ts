import { createTestLogger } from '@threadline/test-utils'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import { threadlinePlugin } from './plugin.js'
import type { ThreadlineFastifyOptions } from './types.js'

async function inject(options: ThreadlineFastifyOptions, headers: Record<string, string> = {}) {
  const tl = createTestLogger()
  const app = Fastify()
  await app.register(threadlinePlugin, { logger: tl.logger, ...options })
  app.get('/r/:id', async (_req, reply) => reply.code(201).send('made'))
  const res = await app.inject({ url: '/r/1', headers })
  await app.close()
  return { res, events: await tl.events() }
}

describe('plugin options', () => {
  it('a custom request id header is read and echoed', async () => {
    const { res, events } = await inject(
      { requestIdHeader: 'X-Correlation-Id' },
      { 'x-correlation-id': 'corr-1' },
    )
    expect(res.headers['x-correlation-id']).toBe('corr-1')
    expect(res.headers['x-request-id']).toBeUndefined()
    expect(events[0]?.request_id).toBe('corr-1')
  })

  it('echoHeaders: false sends no trace headers back', async () => {
    const { res, events } = await inject({ echoHeaders: false })
    expect(res.headers['traceparent']).toBeUndefined()
    expect(res.headers['x-request-id']).toBeUndefined()
    expect(events).toHaveLength(1)
  })

  it('level overrides the completion event level', async () => {
    const { events } = await inject({ level: (status) => (status === 201 ? 'debug' : 'info') })
    expect(events[0]).toMatchObject({ level: 'debug', http: { status_code: 201 } })
  })
})
