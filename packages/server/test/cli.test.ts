import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createServer, type ThreadlineServer } from '../src/index.js'
import { traceEvents } from './helpers.js'

function capture() {
  let out = ''
  let err = ''
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
      env: {},
      color: false,
    },
    get out() {
      return out
    },
    get err() {
      return err
    },
  }
}

describe('threadline keys and --server', () => {
  let store: Store
  let server: ThreadlineServer
  let url: string
  beforeAll(async () => {
    store = await createStore({ dataDir: 'memory' })
    server = await createServer({ store, port: 0 })
    url = await server.listen()
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await store.close()
  })

  const run = async (argv: string[]) => {
    const c = capture()
    const code = await main(argv, { ...c.io, openStore: async () => store })
    return { code, out: c.out, err: c.err }
  }

  it('creates, lists and revokes keys; the key is printed once and works', async () => {
    const created = await run(['keys', 'create', '--org', 'acme', '--scopes', 'read', '--json'])
    expect(created.code).toBe(0)
    const { key, info } = JSON.parse(created.out)
    expect(await store.keys.verify(key)).toMatchObject({ org_id: 'acme', scopes: ['read'] })
    const list = await run(['keys', 'list', '--org', 'acme'])
    expect(list.out).toContain(info.id)
    expect(list.out).not.toContain(key)
    expect((await run(['keys', 'revoke', info.id])).out).toBe(`revoked ${info.id}\n`)
    expect(await store.keys.verify(key)).toBeUndefined()
    expect((await run(['keys', 'create'])).code).toBe(2)
    expect((await run(['keys', 'create', '--org', 'x', '--scopes', 'owner'])).err).toContain(
      '--scopes',
    )
  })

  it('reads through a running server with --server: trace waterfall, stats, errors', async () => {
    const t = traceEvents({ error: true })
    await store.insert(t.events)
    const c = capture()
    const code = await main(['trace', t.trace_id, '--server', url], c.io)
    expect(c.err).toBe('')
    expect(code).toBe(0)
    expect(c.out).toContain(t.trace_id)
    expect(c.out).toContain('gpt-4o-mini')
    const stats = capture()
    expect(await main(['stats', '--by', 'model', `--server=${url}`, '--json'], stats.io)).toBe(0)
    expect(stats.out).toContain('gpt-4o-mini')
    const bad = capture()
    expect(await main(['query', '--level', 'loud', '--server', url], bad.io)).toBe(2)
    expect(bad.err).toContain('--level')
    const missing = capture()
    expect(await main(['trace', 'f'.repeat(32), '--server', url], missing.io)).toBe(1)
  })
})
