import { describe, expect, it } from 'vitest'
import type { StoreReader } from '../types.js'
import { runCli } from './index.js'

/** A reader that answers from memory and records what was asked. */
function fakeReader(calls: string[]): StoreReader {
  const info = { engine: 'postgres' as const, schema: 'remote', location: 'fake', migrations: [] }
  return {
    engine: 'postgres',
    schema: 'remote',
    query: async () => (
      calls.push('query'),
      { events: [], next_cursor: null, limit: 100, offset: 0 }
    ),
    trace: async () => (calls.push('trace'), undefined),
    errors: async () => (calls.push('errors'), []),
    stats: async () => (calls.push('stats'), []),
    async *export() {
      calls.push('export')
      yield ''
    },
    facets: async (field) => ({ field, values: [] }),
    sessions: async () => [],
    session: async () => undefined,
    users: async () => [],
    count: async () => (calls.push('count'), 0),
    info: async () => (calls.push('info'), info),
    close: async () => void calls.push('close'),
  }
}

describe('read commands take a StoreReader', () => {
  const out = () => {
    let text = ''
    return {
      write: (s: string) => ((text += s), true),
      get text() {
        return text
      },
    }
  }

  it('read through io.openReader and close it after; writers still need the store', async () => {
    for (const [argv, call] of [
      [['errors', '--json'], 'errors'],
      [['stats', '--json'], 'stats'],
      [['query', '--json'], 'query'],
      [['info', '--json'], 'info'],
      [['export', '--format', 'jsonl'], 'export'],
    ] as const) {
      const calls: string[] = []
      const stdout = out()
      const code = await runCli([...argv], {
        stdout,
        stderr: out(),
        env: {},
        openReader: async () => fakeReader(calls),
        openStore: () => Promise.reject(new Error('the store itself is not here')),
      })
      expect(code, argv.join(' ')).toBe(0)
      expect(calls, argv.join(' ')).toContain(call)
      expect(calls.at(-1), argv.join(' ')).toBe('close')
    }
    const stderr = out()
    const code = await runCli(['retention', '--default', '30d'], {
      stdout: out(),
      stderr,
      env: {},
      openReader: async () => fakeReader([]),
      openStore: () => Promise.reject(new Error('the store itself is not here')),
    })
    expect(code).toBe(1)
    expect(stderr.text).toContain('the store itself is not here')
  })
})
