import { describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import { ThreadlineLogger } from './logger.js'

function setup() {
  const t = createTestLogger()
  return { t, log: new ThreadlineLogger({ logger: t.logger }) }
}

describe('ThreadlineLogger', () => {
  it('maps Nest levels and takes the last string argument as the context', async () => {
    const { t, log } = setup()
    log.log('hello', 'Bootstrap')
    log.warn('careful', { a: 1 }, 'Svc')
    log.debug('dbg')
    log.verbose('chatty')
    log.fatal('down', undefined, 'Main')
    expect(await t.events()).toMatchObject([
      { level: 'info', message: 'hello', attributes: { 'nest.context': 'Bootstrap' } },
      {
        level: 'warn',
        message: 'careful',
        attributes: { 'nest.context': 'Svc', 'nest.params': [{ a: 1 }] },
      },
      { level: 'debug', message: 'dbg' },
      { level: 'trace', message: 'chatty' },
      { level: 'fatal', message: 'down', attributes: { 'nest.context': 'Main' } },
    ])
  })

  it('error(message, stack, context) and error(Error) carry the error', async () => {
    const { t, log } = setup()
    const err = new RangeError('out of range')
    log.error('failed', err.stack, 'Svc')
    log.error(err, undefined, 'ExceptionsHandler')
    log.error('only a stack', err.stack)
    log.error('only a context', 'Ctx')
    const [a, b, c, d] = await t.events()
    expect(a).toMatchObject({
      level: 'error',
      message: 'failed',
      attributes: { 'nest.context': 'Svc' },
    })
    expect(a!.error?.stack).toContain('out of range')
    expect(b).toMatchObject({
      message: 'out of range',
      error: { type: 'RangeError', message: 'out of range' },
      attributes: { 'nest.context': 'ExceptionsHandler' },
    })
    expect(c!.error?.stack).toContain('RangeError')
    expect(c!.attributes?.['nest.context']).toBeUndefined()
    expect(d).toMatchObject({ attributes: { 'nest.context': 'Ctx' } })
    expect(d!.error).toBeUndefined()
  })

  it('setLogLevels filters; odd messages never throw', async () => {
    const { t, log } = setup()
    log.setLogLevels(['error'])
    log.log('dropped')
    log.error({ code: 7 }, undefined, 'Obj')
    const events = await t.events()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ message: 'Obj', attributes: { 'nest.message': { code: 7 } } })
  })
})
