import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ThreadlineEvent } from '@threadline/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStore } from '../store.js'
import type { Store } from '../types.js'
import type { CliOutput } from './index.js'
import { runCli } from './index.js'

const NOW = new Date()
const at = (msAgo: number): string => new Date(NOW.getTime() - msAgo).toISOString()
const MIN = 60_000
const DAY = 86_400_000

const CHAT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const USERS_TRACE = '0af7651916cd43dd8448eb211c80319c'
const MISSING_TRACE = 'ffffffffffffffffffffffffffffffff'
const SPAN = {
  server: '00f067aa0ba902b7',
  retrieve: 'b7ad6b7169203331',
  generate: 'c3d4e5f6a7b8c9d0',
  tool: 'e1e2e3e4e5e6e7e8',
  users: '53995c3f42cd8ad8',
}
const TIMEOUT_FP = '7d1a54127b222502'
const NOTFOUND_FP = '3c2e9f1a8b7d6e5f'

let n = 0
function uuid(): string {
  n++
  return `01937b2c-${n.toString(16).padStart(4, '0')}-7000-8000-00000000${n.toString(16).padStart(4, '0')}`
}

/** A trace of a chat request: server span, retrieval, an LLM generation, a failing tool. */
function chatTrace(start: number): ThreadlineEvent[] {
  const base = { service: 'api', environment: 'production', org_id: 'o-acme', user_id: 'u-123' }
  const common = { ...base, trace_id: CHAT_TRACE, session_id: 's-42' }
  return [
    {
      ...common,
      id: uuid(),
      kind: 'span',
      timestamp: at(start),
      level: 'error',
      message: 'POST /chat',
      name: 'POST /chat',
      span_kind: 'server',
      status: 'error',
      category: 'http',
      event: 'request',
      span_id: SPAN.server,
      duration_ms: 1200,
      http: { method: 'POST', route: '/chat', path: '/chat', status_code: 502, outcome: 'errored' },
      attributes: { 'http.route': '/chat', 'tenant.plan': 'pro' },
    },
    {
      ...common,
      service: 'search',
      id: uuid(),
      kind: 'span',
      timestamp: at(start - 10),
      level: 'info',
      message: 'retrieve',
      name: 'retrieve',
      span_kind: 'retriever',
      status: 'ok',
      category: 'retrieval',
      event: 'chunks_retrieved',
      span_id: SPAN.retrieve,
      parent_span_id: SPAN.server,
      duration_ms: 200,
    },
    {
      ...common,
      id: uuid(),
      kind: 'span',
      timestamp: at(start - 250),
      level: 'info',
      message: 'chat gpt-4o-mini',
      name: 'chat gpt-4o-mini',
      span_kind: 'llm',
      status: 'ok',
      category: 'llm',
      event: 'generation',
      span_id: SPAN.generate,
      parent_span_id: SPAN.server,
      duration_ms: 700,
      llm: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        operation: 'chat',
        input_tokens: 1200,
        output_tokens: 340,
        total_tokens: 1540,
        usage_source: 'reported',
      },
      cost_usd: 0.000384,
    },
    {
      ...common,
      id: uuid(),
      kind: 'log',
      timestamp: at(start - 400),
      level: 'warn',
      message: 'slow first token',
      category: 'llm',
      event: 'streaming_started',
      span_id: SPAN.generate,
    },
    {
      ...common,
      id: uuid(),
      kind: 'span',
      timestamp: at(start - 960),
      level: 'error',
      message: 'tool web_search',
      name: 'tool web_search',
      span_kind: 'tool',
      status: 'error',
      category: 'tool',
      event: 'tool_call',
      span_id: SPAN.tool,
      parent_span_id: SPAN.server,
      duration_ms: 230,
      error: {
        type: 'TimeoutError',
        message: 'web_search timed out after 200ms',
        fingerprint: TIMEOUT_FP,
      },
    },
  ]
}

/** A failing `GET /users/:id` request from another user. */
function usersTrace(start: number): ThreadlineEvent[] {
  return [
    {
      id: uuid(),
      kind: 'span',
      timestamp: at(start),
      level: 'warn',
      message: 'GET /users/:id',
      name: 'GET /users/:id',
      span_kind: 'server',
      status: 'ok',
      service: 'api',
      category: 'http',
      event: 'request',
      trace_id: USERS_TRACE,
      span_id: SPAN.users,
      user_id: 'u-456',
      org_id: 'o-acme',
      duration_ms: 35,
      http: {
        method: 'GET',
        route: '/users/:id',
        path: '/users/9',
        status_code: 404,
        outcome: 'completed',
      },
    },
    {
      id: uuid(),
      kind: 'log',
      timestamp: at(start - 5),
      level: 'error',
      message: 'user 9 not found',
      service: 'api',
      category: 'app',
      event: 'lookup_failed',
      trace_id: USERS_TRACE,
      span_id: SPAN.users,
      user_id: 'u-456',
      org_id: 'o-acme',
      error: { type: 'NotFoundError', message: 'user 9 not found', fingerprint: NOTFOUND_FP },
    },
  ]
}

/** Old events for retention: http from 20 days ago, audit from 20 days ago. */
function oldEvents(): ThreadlineEvent[] {
  return [
    ...['GET /health', 'GET /health', 'GET /ready'].map((m, i): ThreadlineEvent => ({
      id: uuid(),
      kind: 'log',
      timestamp: at(20 * DAY + i * MIN),
      level: 'info',
      message: m,
      service: 'api',
      category: 'http',
      event: 'request',
      http: { method: 'GET', route: m.slice(4), status_code: 200 },
    })),
    {
      id: uuid(),
      kind: 'log',
      timestamp: at(20 * DAY + 5 * MIN),
      level: 'info',
      message: 'role granted',
      service: 'admin',
      category: 'audit',
      event: 'role_granted',
      user_id: 'u-admin',
      action: 'update',
      resource_type: 'role',
      resource_id: 'r-1',
    },
  ]
}

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

let store: Store
let dir: string

async function cli(argv: string[], color = false) {
  const stdout = capture()
  const stderr = capture()
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: {},
    color,
    now: NOW,
    openStore: async () => store,
  })
  return { code, stdout: stdout.text, stderr: stderr.text }
}

beforeAll(async () => {
  store = await createStore({ dataDir: 'memory' })
  dir = await mkdtemp(join(tmpdir(), 'threadline-cli-'))
  const events = [...chatTrace(10 * MIN), ...usersTrace(5 * MIN), ...oldEvents()]
  const result = await store.insert(events)
  expect(result.rejected).toEqual([])
  expect(result.inserted).toBe(events.length)
}, 60_000)

afterAll(async () => {
  await store?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('threadline query', () => {
  it('prints one line per event with level, service, category/event, trace and status', async () => {
    const r = await cli(['query', '--category', 'http', '--since', '24h'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}WARN {3}api {2}http\/request {2}GET \/users\/:id {2}trace=0af76519 35\.0ms 404$/,
    )
    expect(lines[1]).toContain('ERROR  api  http/request  POST /chat  trace=4bf92f35 1200ms 502')
    expect(lines[2]).toBe('-- 2 events')
  })

  it('filters by level, status, user, attribute and search', async () => {
    const errors = await cli(['query', '--level', 'error', '--json'])
    const ids = errors.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as ThreadlineEvent).message)
    expect(ids.sort()).toEqual(['POST /chat', 'tool web_search', 'user 9 not found'])

    const status = await cli(['query', '--status', '5xx', '--json'])
    expect(status.stdout.trim().split('\n')).toHaveLength(1)
    expect(JSON.parse(status.stdout).http.status_code).toBe(502)

    const user = await cli(['query', '--user', 'u-456', '--since', '1h', '--json'])
    expect(user.stdout.trim().split('\n')).toHaveLength(2)

    const attr = await cli(['query', '--attr', 'tenant.plan=pro', '--json'])
    expect(JSON.parse(attr.stdout).span_id).toBe(SPAN.server)

    const search = await cli(['query', '--search', 'first token'])
    expect(search.stdout).toContain('slow first token')
    expect(search.stdout).toContain('-- 1 event\n')
  })

  it('pages with a cursor until the last page', async () => {
    const seen: string[] = []
    let cursor: string | undefined
    for (let page = 0; page < 5; page++) {
      const args = ['query', '--since', '1h', '--limit', '3', '--sort', 'timestamp', '--asc']
      const r = await cli(cursor ? [...args, '--cursor', cursor] : args)
      expect(r.code).toBe(0)
      const lines = r.stdout.trimEnd().split('\n')
      seen.push(...lines.slice(0, -1))
      cursor = /--cursor (\S+)/.exec(lines[lines.length - 1]!)?.[1]
      if (!cursor) break
    }
    expect(cursor).toBeUndefined()
    expect(seen).toHaveLength(7)
    expect(seen[0]).toContain('POST /chat')
    expect(seen[6]).toContain('user 9 not found')
    expect([...seen].sort()).toEqual(seen)
  })

  it('prints JSONL and the next cursor on stderr with --json', async () => {
    const r = await cli(['query', '--since', '1h', '--limit', '2', '--json'])
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    for (const l of lines) expect(JSON.parse(l)).toHaveProperty('trace_id')
    expect(r.stderr).toMatch(/^next cursor: \S+\n$/)
  })
})

describe('threadline trace', () => {
  it('renders the waterfall of a stored trace', async () => {
    const r = await cli(['trace', CHAT_TRACE])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out).toContain(`Trace ${CHAT_TRACE}`)
    expect(out).toContain('services: api, search')
    expect(out).toContain('spans: 4')
    expect(out).toContain('duration: 1200ms')
    expect(out).toContain('tokens: 1,540 (1,200 in / 340 out)   cost: $0.000384')
    const lines = out.split('\n')
    const line = (name: string): string => lines.find((l) => l.includes(name))!
    expect(line('POST /chat')).toMatch(/^✗\* {2}POST \/chat/)
    expect(line('POST /chat')).toContain('│' + '█'.repeat(40) + '│')
    expect(line('retrieve')).toMatch(/^ {4} {2}retrieve\s+search/)
    expect(line('chat gpt-4o-mini')).toContain('gpt-4o-mini  1,200 in / 340 out tok  $0.000384')
    expect(line('tool web_search')).toMatch(/^✗\* {4}tool web_search/)
    expect(line('tool web_search')).toContain('TimeoutError: web_search timed out after 200ms')
    expect(line('slow first token')).toMatch(/\[WARN\] slow first token \+400ms$/)
    expect(out).not.toContain('\x1b[')
  })

  it('colours errored spans red when colour is on', async () => {
    const r = await cli(['trace', CHAT_TRACE], true)
    const tool = r.stdout.split('\n').find((l) => l.includes('tool web_search'))!
    expect(tool).toContain('\x1b[31m')
    const retrieve = r.stdout.split('\n').find((l) => l.includes('retrieve'))!
    expect(retrieve).not.toContain('\x1b[31m')
  })

  it('prints the TraceResult with --json', async () => {
    const r = await cli(['trace', CHAT_TRACE, '--json'])
    const t = JSON.parse(r.stdout)
    expect(t.trace_id).toBe(CHAT_TRACE)
    expect(t.span_count).toBe(4)
  })

  it('exits 1 with a message when the trace is not found', async () => {
    const r = await cli(['trace', MISSING_TRACE])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`threadline trace: trace ${MISSING_TRACE} not found\n`)
  })
})

describe('threadline errors', () => {
  it('prints error groups as a table', async () => {
    const r = await cli(['errors', '--since', '24h'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const [head, ...rows] = r.stdout.trimEnd().split('\n')
    expect(head).toMatch(/^COUNT\s+TYPE\s+MESSAGE\s+SERVICE\s+LAST SEEN\s+USERS\s+SAMPLE TRACE$/)
    const timeout = rows.find((l) => l.includes('TimeoutError'))!
    expect(timeout).toMatch(/^\s+1\s+TimeoutError\s+web_search timed out after 200ms\s+api\s/)
    expect(timeout).toContain(CHAT_TRACE)
    const notFound = rows.find((l) => l.includes('NotFoundError'))!
    expect(notFound).toContain(USERS_TRACE)
  })

  it('filters by user and prints JSONL with --json', async () => {
    const r = await cli(['errors', '--user', 'u-456', '--json'])
    const groups = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(groups).toHaveLength(1)
    expect(groups[0]).toMatchObject({ fingerprint: NOTFOUND_FP, count: 1, affected_users: 1 })
  })
})

describe('threadline stats', () => {
  it('prints a table grouped by model', async () => {
    const r = await cli(['stats', '--by', 'model', '--category', 'llm', '--kind', 'span'])
    expect(r.stderr).toBe('')
    const [head, row] = r.stdout.trimEnd().split('\n')
    expect(head).toMatch(/^MODEL\s+COUNT\s+ERR%\s+P50\s+P95\s+P99\s+TOK IN\s+TOK OUT\s+COST$/)
    expect(row).toMatch(
      /^gpt-4o-mini\s+1\s+0\.0%\s+700ms\s+700ms\s+700ms\s+1,200\s+340\s+\$0\.000384$/,
    )
  })

  it('groups by several fields with time buckets', async () => {
    const r = await cli([
      'stats',
      '--by',
      'route,status_code',
      '--category',
      'http',
      '--since',
      '1d',
      '--interval',
      '1h',
    ])
    expect(r.code).toBe(0)
    const [head, ...rows] = r.stdout.trimEnd().split('\n')
    expect(head).toMatch(/^BUCKET\s+ROUTE\s+STATUS_CODE\s+COUNT\s+ERR%/)
    expect(rows.some((l) => /\/chat\s+502\s+1\s+100\.0%/.test(l))).toBe(true)
    expect(rows.some((l) => /\/users\/:id\s+404\s+1\s/.test(l))).toBe(true)
  })
})

describe('threadline export', () => {
  it('writes CSV to a file', async () => {
    const file = join(dir, 'events.csv')
    const r = await cli(['export', '--format', 'csv', '--output', file, '--trace', CHAT_TRACE])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/^wrote [\d,]+ bytes to .*events\.csv\n$/)
    const text = await readFile(file, 'utf8')
    const lines = text.trimEnd().split('\r\n')
    expect(lines[0]).toMatch(/^id,timestamp,kind,level,service/)
    expect(lines).toHaveLength(1 + 5)
    expect(text).toContain('web_search timed out after 200ms')
  })

  it('writes JSONL to a file, oldest first, with a limit', async () => {
    const file = join(dir, 'events.jsonl')
    const r = await cli([
      'export',
      '--format',
      'jsonl',
      '-o',
      file,
      '--since',
      '1h',
      '--limit',
      '3',
    ])
    expect(r.code).toBe(0)
    const events = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ThreadlineEvent)
    expect(events.map((e) => e.message)).toEqual(['POST /chat', 'retrieve', 'chat gpt-4o-mini'])
  })

  it('streams to stdout and waits for drain', async () => {
    let drains = 0
    const chunks: string[] = []
    const stdout: CliOutput = {
      write(chunk) {
        chunks.push(chunk)
        return false
      },
      once(_event, listener) {
        drains++
        setImmediate(listener)
      },
    }
    const code = await runCli(['export', '--format', 'jsonl', '--category', 'http'], {
      stdout,
      stderr: capture(),
      env: {},
      openStore: async () => store,
    })
    expect(code).toBe(0)
    expect(drains).toBe(chunks.length)
    expect(chunks.join('').trim().split('\n')).toHaveLength(5)
  })

  it('fails cleanly when the file cannot be written', async () => {
    const r = await cli(['export', '--output', join(dir, 'no', 'such', 'dir.csv')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^threadline export: ENOENT/)
    expect(r.stderr.split('\n')).toHaveLength(2)
  })
})

describe('threadline retention', () => {
  it('deletes expired categories and keeps the rest', async () => {
    const before = await store.count()
    const preview = await cli([
      'retention',
      '--category',
      'http=14d',
      '--category',
      'audit=365d',
      '--dry-run',
    ])
    expect(preview.code).toBe(0)
    expect(preview.stdout).toContain('nothing removed')
    expect(preview.stdout).toContain('would delete 3 rows')
    expect(await store.count()).toBe(before)
    const r = await cli(['retention', '--category', 'http=14d', '--category', 'audit=365d'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('retention applied')
    expect(r.stdout).toMatch(/dropped 0 partitions\n/)
    expect(r.stdout).toContain('deleted 3 rows')
    expect(await store.count()).toBe(before - 3)
    const audit = await cli(['query', '--category', 'audit', '--json'])
    expect(JSON.parse(audit.stdout).message).toBe('role granted')
  })

  it('drops whole partitions once every category in them has expired', async () => {
    const r = await cli(['retention', '--default', '7d', '--json'])
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result.dropped_partitions).toHaveLength(1)
    expect(result.deleted_rows).toBe(0)
    expect((await cli(['query', '--category', 'audit'])).stdout).toBe('-- 0 events\n')
  })
})
