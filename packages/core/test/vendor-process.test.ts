/**
 * The disk spool, and the vendor exporters in real child processes (built package: run
 * `pnpm turbo run build --filter=@threadline/core` first): SIGTERM in the middle of a batch
 * drains to the intake; `kill -9` with a spool loses nothing spooled; a full spool or an
 * unwritable one is a counted drop. Intakes are the contract fakes of vendor-fakes.ts.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

import { createLogger } from '../src/logger.js'
import type { Logger } from '../src/logger.js'
import { datadogExporter } from '../src/exporters/datadog.js'
import { withDiskSpool } from '../src/exporters/spool.js'
import type { SpoolStats } from '../src/exporters/spool.js'
import {
  AWS_CREDS,
  DD_KEY,
  SPLUNK_TOKEN,
  WEBHOOK_SECRET,
  accountingErrors,
  closeFakes,
  cloudwatchFake,
  datadogFake,
  splunkFake,
  waitFor,
  webhookFake,
} from './vendor-fakes.js'
import type { Fake } from './vendor-fakes.js'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'tl-spool-'))
let n = 0
const fresh = (): string => join(root, `d${n++}`)
afterAll(() => rmSync(root, { recursive: true, force: true }))

const loggers: Logger[] = []
afterEach(async () => {
  for (const l of loggers.splice(0)) await l.shutdown(2000)
  await closeFakes()
})

/** spooled = replayed + dropped + pending */
function spoolIdentity(s: SpoolStats): boolean {
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0)
  return s.spooled === s.replayed + dropped + s.pending
}

describe('withDiskSpool', () => {
  it('spools while the intake is down and replays in order once it is back', async () => {
    const fake = await datadogFake()
    fake.always = { status: 503 }
    const dir = fresh()
    const ex = withDiskSpool(datadogExporter({ apiKey: DD_KEY, url: fake.url, maxAttempts: 1 }), {
      dir,
      retryIntervalMs: 10,
      maxRetryIntervalMs: 20,
    })
    const log = createLogger({
      service: 'spool',
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 10, flushIntervalMs: 10_000 },
    })
    loggers.push(log)
    for (let i = 0; i < 50; i++) log.info('m', { i })
    await log.flush(5000)
    expect(ex.spoolStats().pending).toBe(50)
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(5)
    fake.always = undefined
    for (let i = 50; i < 70; i++) log.info('m', { i })
    await log.flush(5000)
    await waitFor(() => ex.spoolStats().pending === 0)
    const order = fake.requests
      .filter((r) => r.status === 202)
      .flatMap((r) =>
        (JSON.parse(r.raw) as { attributes: { i: number } }[]).map((e) => e.attributes.i),
      )
    expect(order).toEqual(Array.from({ length: 70 }, (_, i) => i))
    expect(fake.ids).toHaveLength(70)
    const s = ex.spoolStats()
    expect(s).toMatchObject({ spooled: 70, replayed: 70, pending: 0, pendingFiles: 0 })
    expect(spoolIdentity(s)).toBe(true)
    expect(accountingErrors(log.stats())).toEqual([])
  })

  it('at its size cap, refuses further batches as a counted drop (spool_full), never a crash', async () => {
    const fake = await datadogFake()
    fake.always = { status: 500 }
    const ex = withDiskSpool(datadogExporter({ apiKey: DD_KEY, url: fake.url, maxAttempts: 1 }), {
      dir: fresh(),
      maxBytes: 8000,
      retryIntervalMs: 60_000,
    })
    const log = createLogger({
      service: 'cap',
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 10, flushIntervalMs: 10_000 },
    })
    loggers.push(log)
    for (let i = 0; i < 100; i++) log.info('m', { i })
    await log.flush(5000)
    const stats = log.stats()
    expect(accountingErrors(stats)).toEqual([])
    const s = ex.spoolStats()
    expect(s.pendingBytes).toBeLessThanOrEqual(8000)
    expect(s.pending).toBeGreaterThan(0)
    expect(stats.exporters[0]!.dropped['spool_full']).toBe(100 - s.pending)
    expect(s.refused['spool_full']).toBe(100 - s.pending)
    expect(spoolIdentity(s)).toBe(true)
  })

  it('a batch cut short by shutdown is spooled before shutdown returns', async () => {
    const fake = await datadogFake()
    fake.script.push({ delayMs: 10_000 })
    const dir = fresh()
    const ex = withDiskSpool(datadogExporter({ apiKey: DD_KEY, url: fake.url }), { dir })
    const log = createLogger({
      service: 'stop',
      exporters: [ex],
      hookProcess: false,
      batch: { maxBatchSize: 20, flushIntervalMs: 10_000 },
    })
    const arrived = new Promise<void>((resolve) => (fake.onRequest = resolve))
    for (let i = 0; i < 20; i++) log.info('m', { i })
    await arrived
    expect(await log.shutdown(100)).toBe(false)
    await new Promise((r) => setImmediate(r))
    expect(ex.spoolStats()).toMatchObject({ spooled: 20, pending: 20, pendingFiles: 1 })
    expect(accountingErrors(log.stats())).toEqual([])
    expect(readdirSync(dir).filter((f) => f.endsWith('.jsonl'))).toHaveLength(1)
  })

  it('an unwritable spool (full disk, gone directory) is a counted drop (spool_error)', async () => {
    const fake = await datadogFake()
    fake.always = { status: 500 }
    const dir = fresh()
    const ex = withDiskSpool(datadogExporter({ apiKey: DD_KEY, url: fake.url, maxAttempts: 1 }), {
      dir,
    })
    rmSync(dir, { recursive: true })
    writeFileSync(dir, 'not a directory')
    const r = await ex.export([
      {
        event: {
          id: '1',
          kind: 'log',
          timestamp: new Date().toISOString(),
          level: 'info',
          message: 'x',
          service: 's',
        },
        json: '{"id":"1"}',
      },
    ])
    expect(r).toMatchObject({ ok: false, reason: 'spool_error' })
    expect(ex.spoolStats().refused).toEqual({ spool_error: 1 })
    rmSync(dir)
  })
})

// ---------------------------------------------------------------- child processes

function runChild(
  name: string,
  body: string,
  onStart?: (p: ReturnType<typeof spawn>) => void,
): Promise<{
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  child: ReturnType<typeof spawn>
}> {
  const script = join(root, `${name}-${n++}.mjs`)
  writeFileSync(
    script,
    `import * as tl from ${JSON.stringify(pathToFileURL(dist).href)}\n${body}\n`,
  )
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()))
    onStart?.(p)
    p.on('error', reject)
    p.on('exit', (code, signal) => resolve({ code, signal, stdout, child: p }))
  })
}

const EXPORTERS: { name: string; fake: () => Promise<Fake>; expr: (url: string) => string }[] = [
  {
    name: 'datadog',
    fake: datadogFake,
    expr: (url) =>
      `tl.datadogExporter({ apiKey: ${JSON.stringify(DD_KEY)}, url: ${JSON.stringify(url)} })`,
  },
  {
    name: 'splunk',
    fake: () => splunkFake(),
    expr: (url) =>
      `tl.splunkExporter({ token: ${JSON.stringify(SPLUNK_TOKEN)}, url: ${JSON.stringify(url)} })`,
  },
  {
    name: 'cloudwatch',
    fake: () => cloudwatchFake({ group: 'g', stream: 's' }),
    expr: (url) =>
      `tl.cloudwatchExporter({ logGroupName: 'g', logStreamName: 's', region: 'eu-west-1', credentials: ${JSON.stringify(AWS_CREDS)}, url: ${JSON.stringify(url)} })`,
  },
  {
    name: 'webhook',
    fake: () => webhookFake({ secret: WEBHOOK_SECRET }),
    expr: (url) =>
      `tl.webhookExporter({ secret: ${JSON.stringify(WEBHOOK_SECRET)}, url: ${JSON.stringify(url)} })`,
  },
]

describe.runIf(existsSync(dist))('vendor exporters in a child process (built package)', () => {
  it.each(EXPORTERS)(
    '$name: SIGTERM in the middle of a batch drains every event to the intake',
    async (c) => {
      const fake = await c.fake()
      // hold the first answer, and send SIGTERM while it is held
      fake.script.push({ delayMs: 300 }, { pass: true })
      let child: ReturnType<typeof spawn> | undefined
      fake.onRequest = () => {
        fake.onRequest = undefined
        child?.kill('SIGTERM')
      }
      const r = await runChild(
        `sigterm-${c.name}`,
        `const log = tl.createLogger({ service: 'child', exporters: [${c.expr(fake.url)}], batch: { maxBatchSize: 10, flushIntervalMs: 60000 } })
for (let i = 0; i < 40; i++) log.info('line', { i })
setInterval(() => {}, 1000)`,
        (p) => (child = p),
      )
      expect(r.signal).toBe('SIGTERM')
      expect(new Set(fake.ids).size).toBe(40)
    },
  )

  it('kill -9 with a spool: everything spooled is replayed by the next process, in order', async () => {
    const dir = fresh()
    const dead = await datadogFake()
    dead.always = { status: 503 }
    const r = await runChild(
      'kill9',
      `const ex = tl.withDiskSpool(tl.datadogExporter({ apiKey: ${JSON.stringify(DD_KEY)}, url: ${JSON.stringify(dead.url)}, maxAttempts: 1 }), { dir: ${JSON.stringify(dir)}, retryIntervalMs: 60000 })
const log = tl.createLogger({ service: 'child', exporters: [ex], hookProcess: false, batch: { maxBatchSize: 25, flushIntervalMs: 60000 } })
for (let i = 0; i < 200; i++) log.info('line', { i })
await log.flush(10000)
process.stdout.write(JSON.stringify(ex.spoolStats()) + '\\n')
setInterval(() => {}, 1000)`,
      (p) => {
        p.stdout!.on('data', () => p.kill('SIGKILL'))
      },
    )
    expect(r.signal).toBe('SIGKILL')
    expect(JSON.parse(r.stdout.trim()) as SpoolStats).toMatchObject({ spooled: 200, pending: 200 })
    // a write cut short by the kill would leave a .tmp; it is never counted and is cleared
    writeFileSync(join(dir, '0000000000009999-3.jsonl.tmp'), '{"half":')
    const live = await datadogFake()
    const ex = withDiskSpool(datadogExporter({ apiKey: DD_KEY, url: live.url }), { dir })
    expect(ex.spoolStats()).toMatchObject({ spooled: 200, pending: 200, pendingFiles: 8 })
    await waitFor(() => ex.spoolStats().pending === 0)
    const order = live.requests.flatMap((q) =>
      (JSON.parse(q.raw) as { attributes: { i: number } }[]).map((e) => e.attributes.i),
    )
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i))
    const s = ex.spoolStats()
    expect(s).toMatchObject({ spooled: 200, replayed: 200, pending: 0 })
    expect(spoolIdentity(s)).toBe(true)
    expect(readdirSync(dir)).toEqual([])
    await ex.shutdown?.()
  })
})
