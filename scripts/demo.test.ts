import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createServer } from '@threadline/server'
import { createStore } from '@threadline/store'
import { chromium } from 'playwright-core'
import { afterAll, expect, it } from 'vitest'

// Runs the README's demo end to end against the built apps (the root test command builds
// first), then opens the store it left behind and checks what it holds.
const script = fileURLToPath(new URL('./demo.mjs', import.meta.url))
const built = [
  'apps/core-demo/dist/main.js',
  'apps/express-demo/dist/main.js',
  'apps/fastify-demo/dist/main.js',
  'apps/nestjs-demo/dist/main.js',
  'apps/langchain-demo/dist/main.js',
  'packages/server/dist/cli.js',
].map((f) => fileURLToPath(new URL(`../${f}`, import.meta.url)))
const CHROMIUM = process.env.THREADLINE_CHROMIUM ?? '/usr/bin/chromium'
const dir = mkdtempSync(join(tmpdir(), 'threadline-demo-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('the demo sends every service to one store and prints what it holds', async () => {
  for (const f of built) expect(existsSync(f), `${f} is missing: run the build first`).toBe(true)
  const dataDir = join(dir, 'data')
  const r = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, THREADLINE_DIAG: 'warn', THREADLINE_DEMO_DATA: dataDir },
  })
  const out = r.stdout + r.stderr
  expect(r.status, out).toBe(0)
  expect(out).toContain('secrets found in the file: none')
  const traceId = /traceparent: 00-([0-9a-f]{32})-/.exec(out)?.[1]
  expect(traceId).toBeDefined()
  for (const name of ['express-demo', 'fastify-demo', 'nestjs-demo']) {
    expect(out).toMatch(
      new RegExp(`${name}\\s+│ .*\\[${traceId!.slice(0, 8)}/[0-9a-f]{6}\\] http\\.request server`),
    )
  }
  expect(out).toContain('one request, one trace id, three services')
  expect(out).toMatch(/threadline\s+│ threadline server listening on http:\/\/127\.0\.0\.1:\d+/)
  expect(out).toMatch(/events stored: \d+/)
  expect(out).toContain(`Trace ${traceId}`)
  expect(out).toMatch(/GET \/orders\/:id\/shipping\s+nestjs-demo/)
  expect(out).toContain('payment provider unavailable')
  expect(out).toMatch(/gpt-4o-mini\S*\s+\d+\s+[\d.]+%/)
  expect(out).toContain('every service, one store')
  expect(out).toMatch(/the console: http:\/\/127\.0\.0\.1:\d+\//)
  expect(out).toMatch(new RegExp(`a trace\\s+http://127\\.0\\.0\\.1:\\d+/traces/${traceId}`))
  expect(out).toMatch(/errors\s+http:\/\/127\.0\.0\.1:\d+\/errors/)

  // The store the server left behind (the demo stopped it).
  const store = await createStore({ dataDir })
  try {
    const byService = await store.stats({ group_by: 'service' })
    expect(byService.map((s) => s.group.service).sort()).toEqual([
      'express-demo',
      'fastify-demo',
      'langchain-demo',
      'nestjs-demo',
    ])
    const trace = (await store.trace(traceId!))!
    expect(trace.services.sort()).toEqual(['express-demo', 'fastify-demo', 'nestjs-demo'])
    expect(trace.roots).toHaveLength(1)
    expect(trace.roots[0]!.span.name).toBe('GET /checkout/:id')
    const errors = await store.errors()
    expect(errors.map((e) => e.message).join('\n')).toContain('payment provider unavailable')
    const [llm] = await store.stats({ categories: 'llm', kinds: 'span', group_by: 'model' })
    expect(llm!.count).toBeGreaterThanOrEqual(3)
    expect(llm!.input_tokens).toBeGreaterThan(0)
    expect(llm!.cost_usd).toBeGreaterThan(0)
    const users = await store.query({
      user_id: ['u-ada', 'u-grace', 'u-linus'],
      categories: 'http',
      limit: 100,
    })
    expect(new Set(users.events.map((e) => e.user_id)).size).toBe(3)
  } finally {
    await store.close()
  }

  // The web console on the demo's data, in Debian's Chromium (CI installs it).
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`)
    console.warn(`\n*** ${CHROMIUM} is missing: the demo's console check is SKIPPED ***\n`)
    return
  }
  const server = await createServer({ dataDir, port: 0 })
  const url = await server.listen()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-sync'],
  })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${url}/?range=24h`)
    await page.getByRole('img', { name: 'Requests by service' }).waitFor()
    await page.getByRole('link', { name: 'express-demo' }).waitFor()
    await page.goto(`${url}/traces/${traceId}`)
    const tree = page.getByRole('tree', { name: 'Trace waterfall' })
    await tree.getByRole('treeitem').filter({ hasText: 'GET /orders/:id/shipping' }).waitFor()
    const services = page.getByRole('definition').filter({ hasText: 'nestjs-demo' })
    expect((await services.textContent())!.split(', ').sort()).toEqual([
      'express-demo',
      'fastify-demo',
      'nestjs-demo',
    ])
    await page.goto(`${url}/errors?range=24h`)
    await page.getByText('payment provider unavailable').first().waitFor()
    await page.goto(`${url}/logs?range=24h&categories=llm`)
    await page.locator('.rows .row').first().waitFor()
    await page.goto(`${url}/sessions?range=24h`)
    await page.getByRole('table').waitFor()
    expect(errors).toEqual([])
  } finally {
    await browser.close()
    await server.close()
  }
}, 240_000)
