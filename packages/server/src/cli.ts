// `threadline serve` and `threadline keys`, added to the store's commands in one binary.
import { runCli, usageError, writeOut, type CliIo, type CommandSpec } from '@threadline/store/cli'
import { parseDuration, type ApiKeyScope } from '@threadline/store'
import { remoteStore } from './remote.js'
import { createServer } from './server.js'

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** Resolves on the first SIGINT or SIGTERM. */
const stopSignal = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (signal: string) => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(signal)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })

export const serveCommand: CommandSpec = {
  summary: 'run the collector and query API (native and OTLP/HTTP ingest)',
  usage:
    '[--port 4318] [--host 127.0.0.1] [--allowed-hosts a,b] [--cors-origins o1,o2] [--max-event-age 365d] [--max-event-ahead 24h] [--secret-file <file>] [--spool-dir <dir>] [--no-console]',
  options: {
    'no-console': {
      type: 'boolean',
      description: 'do not serve the web console at / (the API is unchanged)',
    },
    port: {
      type: 'string',
      description: 'port to listen on (default 4318, 0 = any free port)',
      valueName: '<port>',
    },
    host: {
      type: 'string',
      description: 'interface (default 127.0.0.1; others need API keys)',
      valueName: '<host>',
    },
    'allowed-hosts': {
      type: 'string',
      description:
        'host names answered besides localhost, 127.0.0.1 and [::1] (comma-separated; a DNS-rebinding guard)',
      valueName: '<names>',
    },
    'cors-origins': {
      type: 'string',
      description:
        'web origins allowed to call the API from a browser (comma-separated; off by default)',
      valueName: '<origins>',
    },
    'secret-file': {
      type: 'string',
      description:
        'file holding the secret that seals integration credentials (else THREADLINE_SECRET)',
      valueName: '<file>',
    },
    'spool-dir': {
      type: 'string',
      description: "directory of the integrations' disk spools (default: a temporary one)",
      valueName: '<dir>',
    },
    'max-event-age': {
      type: 'string',
      description: 'refuse events timestamped longer ago than this (default 365d)',
      valueName: '<duration>',
    },
    'max-event-ahead': {
      type: 'string',
      description: 'refuse events timestamped further ahead of this clock (default 24h)',
      valueName: '<duration>',
    },
  },
  description:
    'Without API keys the server runs in local single-tenant mode on 127.0.0.1 only.\nCreate a key with `threadline keys create --org <org>` to require keys and allow other hosts.\nCtrl-C (SIGINT) or SIGTERM finishes in-flight batches, then stops.',
  async run(ctx) {
    const portText = str(ctx.values['port']) ?? ctx.env['PORT'] ?? '4318'
    const port = Number(portText)
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw usageError(`--port: expected 0-65535, got '${portText}'`, '--port')
    const host = str(ctx.values['host']) ?? '127.0.0.1'
    const window: { maxEventAgeMs?: number; maxEventAheadMs?: number } = {}
    for (const [flag, key] of [
      ['max-event-age', 'maxEventAgeMs'],
      ['max-event-ahead', 'maxEventAheadMs'],
    ] as const) {
      const v = str(ctx.values[flag])
      if (v === undefined) continue
      try {
        window[key] = parseDuration(v, flag)
      } catch {
        throw usageError(
          `--${flag}: expected a duration like 90m, 24h or 14d, got '${v}'`,
          `--${flag}`,
        )
      }
    }
    const list = (flag: string): string[] =>
      (str(ctx.values[flag]) ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '')
    const allowedHosts = list('allowed-hosts')
    const corsOrigins = list('cors-origins')
    const store = await ctx.openStore()
    const serveConsole = ctx.values['no-console'] !== true
    const server = await createServer({
      store,
      host,
      port,
      console: serveConsole,
      allowedHosts,
      corsOrigins,
      ...window,
      ...(str(ctx.values['secret-file']) !== undefined
        ? { secretFile: str(ctx.values['secret-file'])! }
        : ctx.env['THREADLINE_SECRET']
          ? { secret: ctx.env['THREADLINE_SECRET'] }
          : {}),
      ...(str(ctx.values['spool-dir']) !== undefined
        ? { spoolDir: str(ctx.values['spool-dir'])! }
        : {}),
    })
    const url = await server.listen()
    const info = await store.info()
    const mode =
      server.mode === 'local'
        ? 'local mode: no API keys exist, no key is checked, loopback only'
        : 'API keys required (Authorization: Bearer <key>)'
    await writeOut(
      ctx.stdout,
      [
        `threadline server listening on ${url}`,
        `  store:  ${info.engine} at ${info.location} (schema ${info.schema})`,
        `  auth:   ${mode}`,
        ...(serveConsole ? [`  console: ${url}/`] : []),
        `  ingest: POST ${url}/v1/events, OTLP/HTTP JSON ${url}/v1/logs and ${url}/v1/traces`,
        `  query:  POST ${url}/api/logs/query, GET ${url}/api/logs/trace/:id, /api/errors, /api/stats, /api/facets, /api/sessions, /api/users`,
        `  ops:    GET ${url}/metrics, ${url}/healthz`,
        '',
      ].join('\n'),
    )
    const signal = await stopSignal()
    await writeOut(ctx.stderr, `threadline server: ${signal}, finishing in-flight requests\n`)
    await server.close()
    return 0
  },
}

export const keysCommand: CommandSpec = {
  summary: 'manage API keys: create, list, revoke',
  usage:
    'create --org <org> [--scopes ingest,read,admin] [--name <name>] | list [--org <org>] | revoke <id>',
  minPositionals: 1,
  maxPositionals: 2,
  options: {
    org: { type: 'string', description: 'the org the key belongs to', valueName: '<org>' },
    scopes: {
      type: 'string',
      description: 'ingest, read, admin (manages integrations); default ingest,read',
      valueName: '<list>',
    },
    name: { type: 'string', description: 'a label for the key', valueName: '<name>' },
  },
  description: 'The key is printed once, at creation; only its SHA-256 is stored.',
  async run(ctx) {
    const [action, id] = ctx.positionals
    const store = await ctx.openStore()
    if (action === 'create') {
      const org = str(ctx.values['org'])
      if (!org) throw usageError('--org is required', '--org')
      const scopes = (str(ctx.values['scopes']) ?? 'ingest,read').split(',').map((s) => s.trim())
      for (const s of scopes)
        if (s !== 'ingest' && s !== 'read' && s !== 'admin')
          throw usageError(`--scopes: '${s}' is not a scope (ingest, read, admin)`, '--scopes')
      const name = str(ctx.values['name'])
      const created = await store.keys.create({
        org_id: org,
        scopes: scopes as ApiKeyScope[],
        ...(name ? { name } : {}),
      })
      if (ctx.json) {
        await writeOut(ctx.stdout, JSON.stringify(created) + '\n')
        return 0
      }
      await writeOut(
        ctx.stdout,
        `${created.key}\n\nkey ${created.info.id} for org ${org} (${created.info.scopes.join(', ')}).\nIt is shown only now: store it in a secret manager.\n`,
      )
      return 0
    }
    if (action === 'list') {
      const org = str(ctx.values['org'])
      const keys = await store.keys.list(org ? { org_id: org } : {})
      if (ctx.json) {
        await writeOut(
          ctx.stdout,
          keys.map((k) => JSON.stringify(k)).join('\n') + (keys.length ? '\n' : ''),
        )
        return 0
      }
      const lines = keys.map(
        (k) =>
          `${k.id}  ${k.org_id.padEnd(16)} ${k.scopes.join(',').padEnd(12)} ${k.revoked_at ? 'revoked ' + k.revoked_at : 'live'}  ${k.name ?? ''}`,
      )
      await writeOut(ctx.stdout, (lines.join('\n') || 'no keys') + '\n')
      return 0
    }
    if (action === 'revoke') {
      if (!id) throw usageError('revoke needs the key id (see `threadline keys list`)')
      const revoked = await store.keys.revoke(id)
      await writeOut(ctx.stdout, revoked ? `revoked ${id}\n` : `no live key ${id}\n`)
      return revoked ? 0 : 1
    }
    throw usageError(`unknown action '${action}': create, list or revoke`)
  },
}

/**
 * The full `threadline` command line: the store's commands plus `serve` and `keys`.
 * `--server <url>` (or `THREADLINE_SERVER_URL`) makes the read commands (query, trace,
 * errors, stats, export) ask a running server instead of opening the store, with
 * `THREADLINE_API_KEY` as the key.
 */
export function main(argv: string[], io: CliIo = {}): Promise<number> {
  const env = io.env ?? process.env
  const args = [...argv]
  let server = env['THREADLINE_SERVER_URL'] || undefined
  const at = args.findIndex((a) => a === '--server' || a.startsWith('--server='))
  if (at >= 0) {
    const arg = args[at]!
    server = arg.includes('=') ? arg.slice('--server='.length) : args[at + 1]
    args.splice(at, arg.includes('=') ? 1 : 2)
    if (!server) {
      process.stderr.write('threadline: --server needs a URL\n')
      return Promise.resolve(2)
    }
  }
  const remote = server
    ? {
        openReader: () => remoteStore(server, env['THREADLINE_API_KEY'] || undefined),
        openStore: () =>
          Promise.reject(
            new Error(
              `this command needs the store itself, not a server's query API: run it without --server where the store is`,
            ),
          ),
      }
    : {}
  return runCli(args, { ...io, ...remote }, { serve: serveCommand, keys: keysCommand })
}
