import { describe, expect, it } from 'vitest'
import { StoreQueryError } from '../errors.js'
import type { Store, StoreOptions } from '../types.js'
import type { CliIo, CliOutput, CommandSpec } from './index.js'
import { runCli } from './index.js'
import { parseStatus, parseTime, toEventFilters } from './filters.js'

interface Captured extends CliOutput {
  text: string
}

function capture(): Captured {
  const out: Captured = {
    text: '',
    write(chunk: string) {
      out.text += chunk
      return true
    },
  }
  return out
}

/** A store that records the options each method was called with. */
function recordingStore(calls: { method: string; options: unknown }[]): Store {
  const record = (method: string) => async (options: unknown) => {
    calls.push({ method, options })
    if (method === 'query') return { events: [], next_cursor: null, limit: 50, offset: 0 }
    if (method === 'applyRetention') return { dropped_partitions: [], deleted_rows: 0 }
    return []
  }
  return {
    engine: 'pglite',
    schema: 'threadline',
    insert: async () => ({ inserted: 0, duplicates: 0, rejected: [] }),
    query: record('query'),
    trace: async () => undefined,
    errors: record('errors'),
    stats: record('stats'),
    export: (options: unknown) => {
      calls.push({ method: 'export', options })
      return (async function* () {})()
    },
    applyRetention: record('applyRetention'),
    migrate: async () => [],
    count: async () => 0,
    info: async () => ({
      engine: 'pglite',
      schema: 'threadline',
      location: 'memory',
      migrations: [],
    }),
    close: async () => {},
  } as unknown as Store
}

async function run(argv: string[], io: Partial<CliIo> = {}) {
  const stdout = capture()
  const stderr = capture()
  const calls: { method: string; options: unknown }[] = []
  const opened: StoreOptions[] = []
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: {},
    now: new Date('2026-11-20T12:00:00.000Z'),
    openStore: async (o) => {
      opened.push(o)
      return recordingStore(calls)
    },
    ...io,
  })
  return { code, stdout: stdout.text, stderr: stderr.text, calls, opened }
}

describe('filter flags', () => {
  it('map to store filters', async () => {
    const r = await run([
      'query',
      '--level',
      'warn',
      '--category',
      'http,llm',
      '--service',
      'api',
      '--user',
      'u-123',
      '--org',
      'o-1',
      '--session',
      's-9',
      '--trace',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '--model',
      'gpt-4o-mini',
      '--route',
      '/chat',
      '--status',
      '500-599',
      '--since',
      '24h',
      '--until=2026-11-20T11:00:00Z',
      '--search',
      'timeout',
      '--attr',
      'tenant.plan=pro',
      '--attr',
      'retries=3',
      '--attr',
      'code:=042',
      '--sort',
      'duration_ms',
      '--asc',
      '--limit',
      '20',
      '--cursor',
      'abc',
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.calls).toEqual([
      {
        method: 'query',
        options: {
          level: 'warn',
          categories: ['http', 'llm'],
          services: 'api',
          user_id: 'u-123',
          org_id: 'o-1',
          session_id: 's-9',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          models: 'gpt-4o-mini',
          routes: '/chat',
          status_min: 500,
          status_max: 599,
          since: '2026-11-19T12:00:00.000Z',
          until: '2026-11-20T11:00:00Z',
          search: 'timeout',
          attributes: { 'tenant.plan': 'pro', retries: 3, code: '042' },
          sort_by: 'duration_ms',
          sort_order: 'asc',
          limit: 20,
          cursor: 'abc',
        },
      },
    ])
  })

  it('pass a relative time through when no clock is injected', () => {
    expect(parseTime('24h', '--since')).toBe('24h')
    expect(parseTime('7d', '--since')).toBe('7d')
    expect(parseTime('1700000000000', '--since')).toBe(1_700_000_000_000)
  })

  it('read statuses as one code, a range or a class', () => {
    expect(parseStatus('404')).toEqual({ min: 404, max: 404 })
    expect(parseStatus('500-599')).toEqual({ min: 500, max: 599 })
    expect(parseStatus('5xx')).toEqual({ min: 500, max: 599 })
    expect(parseStatus('400-')).toEqual({ min: 400 })
  })

  it('accept repeated and comma-separated levels', () => {
    expect(toEventFilters({ levels: ['error,fatal'], 'errors-only': true })).toEqual({
      levels: ['error', 'fatal'],
      errors_only: true,
    })
  })

  it.each([
    [['query', '--level', 'loud'], '--level'],
    [['query', '--levels', 'info,nope'], '--levels'],
    [['query', '--status', '5000'], '--status'],
    [['query', '--status', '599-500'], '--status'],
    [['query', '--since', 'yesterday'], '--since'],
    [['query', '--until', '3 weeks'], '--until'],
    [['query', '--attr', 'novalue'], '--attr'],
    [['query', '--limit', '0'], '--limit'],
    [['query', '--limit', 'ten'], '--limit'],
    [['query', '--sort', 'color'], '--sort'],
    [['query', '--kind', 'metric'], '--kind'],
    [['query', '--bogus'], '--bogus'],
    [['query', '--level'], '--level'],
    [['query', '--json=yes'], '--json'],
    [['stats', '--by', 'colour'], '--by'],
    [['stats', '--interval', 'hourly'], '--interval'],
    [['export', '--format', 'xml'], '--format'],
    [['retention', '--category', 'audit'], '--category'],
    [['retention', '--category', 'audit=forever'], '--category'],
    [['retention', '--default', '1y'], '--default'],
    [['retention'], '--category'],
    [['trace', 'not-a-trace'], '<trace_id>'],
    [['query', '--schema', 'Bad-Name'], '--schema'],
  ])('%j exits 2 naming %s', async (argv, flag) => {
    const r = await run(argv)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(flag)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
    expect(r.calls).toEqual([])
  })

  it('reports an unexpected argument and a missing trace id', async () => {
    const extra = await run(['query', 'stray'])
    expect(extra.code).toBe(2)
    expect(extra.stderr).toContain("unexpected argument 'stray'")
    const missing = await run(['trace'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('missing argument')
  })
})

describe('store errors', () => {
  it('print the field as a flag, exit 2, no stack', async () => {
    const stdout = capture()
    const stderr = capture()
    const store = recordingStore([])
    store.query = async () => {
      throw new StoreQueryError('search', 'longer than 1000 characters')
    }
    const code = await runCli(['query', '--search', 'x'], {
      stdout,
      stderr,
      env: {},
      openStore: async () => store,
    })
    expect(code).toBe(2)
    expect(stderr.text).toBe('threadline query: --search: longer than 1000 characters\n')
  })

  it('print other failures in one line, exit 1', async () => {
    const stderr = capture()
    const code = await runCli(['errors'], {
      stdout: capture(),
      stderr,
      env: {},
      openStore: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432')
      },
    })
    expect(code).toBe(1)
    expect(stderr.text).toBe('threadline errors: connect ECONNREFUSED 127.0.0.1:5432\n')
  })
})

describe('global options', () => {
  it('choose PostgreSQL from the flag, then the environment, else PGlite', async () => {
    const flag = await run(['--database-url', 'postgres://a@h/db', 'errors'], {
      env: { DATABASE_URL: 'postgres://env@h/db' },
    })
    expect(flag.opened).toEqual([{ databaseUrl: 'postgres://a@h/db' }])
    const env = await run(['errors'], {
      env: { THREADLINE_DATABASE_URL: 'postgres://t@h/db', DATABASE_URL: 'postgres://d@h/db' },
    })
    expect(env.opened).toEqual([{ databaseUrl: 'postgres://t@h/db' }])
    const fallback = await run(['errors', '--schema', 'obs'], {
      env: { DATABASE_URL: 'postgres://d@h/db' },
    })
    expect(fallback.opened).toEqual([{ databaseUrl: 'postgres://d@h/db', schema: 'obs' }])
    const lite = await run(['errors'])
    expect(lite.opened).toEqual([{ dataDir: '.threadline/data' }])
    const dir = await run(['errors', '--data-dir', '/tmp/x'])
    expect(dir.opened).toEqual([{ dataDir: '/tmp/x' }])
  })

  it('print overall and per-command help', async () => {
    const all = await run(['--help'])
    expect(all.code).toBe(0)
    for (const c of ['query', 'trace', 'errors', 'stats', 'export', 'retention'])
      expect(all.stdout).toMatch(new RegExp(`^  ${c}\\s`, 'm'))
    expect(all.opened).toEqual([])
    const q = await run(['query', '-h'])
    expect(q.code).toBe(0)
    expect(q.stdout).toContain('Usage: threadline query')
    expect(q.stdout).toContain('--status <code>')
    expect(q.stdout).toContain('--database-url <url>')
    expect((await run(['help', 'stats'])).stdout).toContain('Usage: threadline stats')
    const none = await run([])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Commands:')
  })

  it('reject an unknown command', async () => {
    const r = await run(['serve'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown command 'serve'")
  })

  it('run extra commands with the global options and their own', async () => {
    const seen: unknown[] = []
    const serve: CommandSpec = {
      summary: 'start the server',
      options: { port: { type: 'string', description: 'port' } },
      async run(ctx) {
        seen.push(ctx.values['port'], ctx.storeOptions, ctx.json)
        await ctx.openStore()
        return 0
      },
    }
    const stdout = capture()
    const code = await runCli(
      ['serve', '--port', '8080', '--data-dir', 'memory', '--json'],
      { stdout, stderr: capture(), env: {}, openStore: async () => recordingStore([]) },
      { serve },
    )
    expect(code).toBe(0)
    expect(seen).toEqual(['8080', { dataDir: 'memory' }, true])
    const help = await runCli(['--help'], { stdout, env: {} }, { serve })
    expect(help).toBe(0)
    expect(stdout.text).toMatch(/^ {2}serve\s+start the server$/m)
  })

  it('colour only on a TTY or with --color, never with NO_COLOR or --no-color', async () => {
    const colored = async (argv: string[], io: Partial<CliIo>) => {
      const r = await run(['retention', '--default', '30d', ...argv], io)
      return r.stdout.includes('\x1b[')
    }
    expect(await colored([], {})).toBe(false)
    expect(await colored([], { isTTY: true })).toBe(true)
    expect(await colored([], { isTTY: true, env: { NO_COLOR: '1' } })).toBe(false)
    expect(await colored(['--color'], { env: { NO_COLOR: '1' } })).toBe(true)
    expect(await colored(['--no-color'], { isTTY: true })).toBe(false)
  })
})
