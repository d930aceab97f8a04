import { Logger } from '@nestjs/common'
import type { ArgumentsHost } from '@nestjs/common'
import { describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import { ThreadlineExceptionFilter } from './filter.js'
import { ThreadlineLogger } from './logger.js'

describe('ThreadlineExceptionFilter', () => {
  it('outside HTTP (GraphQL, RPC) logs once and rethrows, as Nest does without it', async () => {
    const t = createTestLogger()
    Logger.overrideLogger(new ThreadlineLogger({ logger: t.logger }))
    const err = new Error('resolver failed')
    const host = { getType: () => 'graphql' } as unknown as ArgumentsHost
    expect(() => new ThreadlineExceptionFilter().catch(err, host)).toThrow(err)
    expect(await t.events()).toMatchObject([
      { level: 'error', error: { message: 'resolver failed' } },
    ])
  })
})
