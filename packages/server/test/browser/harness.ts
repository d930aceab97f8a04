// Real pieces only: a real `threadline serve` (createServer) on port 0 over a real store
// (in-memory PGlite, or PostgreSQL when THREADLINE_TEST_PG_URL is set), and Debian's
// Chromium driven by playwright-core. No downloaded browser.
import { existsSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createStore, type Store } from '@threadline/store'
import pg from 'pg'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { createServer, type ThreadlineServer } from '../../src/index.js'
import { seed, type Seed } from './seed.js'

export const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
export const PG_URL = process.env.THREADLINE_TEST_PG_URL
export const HAVE_CHROMIUM = existsSync(CHROMIUM)

if (!HAVE_CHROMIUM) {
  const message = `*** ${CHROMIUM} is missing (apt-get install chromium): the console's browser tests cannot run ***`
  // CI installs it (.ci/run); there, a missing browser is a failure, not a skip.
  if (process.env.CI) throw new Error(message)
  console.warn(`\n${message}\n`)
}

/** Where screenshots go: docs/ when UPDATE_SCREENSHOTS=1 (for the README), else a temp dir. */
export const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(dirname(fileURLToPath(import.meta.url)), '../../../../docs')
  : join(process.env.TMPDIR ?? '/tmp', 'threadline-console-shots')
mkdirSync(SHOTS, { recursive: true })

export interface Engine {
  name: 'pglite' | 'postgres'
  open(): Promise<Store>
}

export const ENGINES: Engine[] = [
  { name: 'pglite', open: () => createStore({ dataDir: 'memory', schema: uniqueSchema() }) },
  ...(PG_URL
    ? [
        {
          name: 'postgres' as const,
          open: () => createStore({ databaseUrl: PG_URL, poolSize: 4, schema: uniqueSchema() }),
        },
      ]
    : []),
]

function uniqueSchema(): string {
  return `b_${process.pid}_${randomBytes(4).toString('hex')}`
}

export async function dropSchema(schema: string): Promise<void> {
  if (!PG_URL) return
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

export interface Running {
  server: ThreadlineServer
  store: Store
  url: string
  data: Seed
  close(): Promise<void>
}

/** A seeded store behind a real server. */
export async function start(
  engine: Engine,
  options: { keys?: boolean; batch?: number; empty?: boolean } = {},
): Promise<Running> {
  const store = await engine.open()
  const data = seed(Date.now(), options.batch === undefined ? {} : { batch: options.batch })
  const result = await store.insert(options.empty ? [] : data.events)
  if (result.rejected.length) throw new Error(`seed refused: ${JSON.stringify(result.rejected[0])}`)
  const server = await createServer({ store, port: 0, ...(options.keys ? { auth: 'keys' } : {}) })
  const url = await server.listen()
  return {
    server,
    store,
    url,
    data,
    async close() {
      await server.close()
      await store.close()
      if (engine.name === 'postgres') await dropSchema(store.schema)
    },
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // lets a test address the server by a foreign name, as a DNS-rebinding page would
      '--host-resolver-rules=MAP rebind.example 127.0.0.1',
    ],
  })
}

/** A page that fails the test on any script error of the console. */
export async function open(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark' } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
    acceptDownloads: true,
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  return { context, page, errors }
}
