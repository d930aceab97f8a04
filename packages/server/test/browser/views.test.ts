// The console's detail views in a real browser: a cross-service trace with an LLM span,
// error groups, a conversation, users, exports downloaded and checked row by row.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ids, shownCount } from './api.js'
import { ENGINES, HAVE_CHROMIUM, launch, open, SHOTS, start, type Running } from './harness.js'

// Used only inside functions that run in the page (the server tsconfig has no DOM lib).
declare const document: any
declare const getComputedStyle: any

/** RFC 4180 rows (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') {
      row.push(cell)
      cell = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += c
  }
  if (cell !== '' || row.length) rows.push([...row, cell])
  return rows
}

for (const engine of ENGINES) {
  describe.skipIf(!HAVE_CHROMIUM)(`console views [${engine.name}]`, () => {
    let run: Running
    let browser: Browser
    let page: Page
    let errors: string[]
    const shots = engine.name === 'pglite'

    beforeAll(async () => {
      ;[run, browser] = await Promise.all([start(engine), launch()])
    })
    afterAll(async () => {
      await browser?.close()
      await run?.close()
    })
    beforeEach(async () => {
      ;({ page, errors } = await open(browser))
    })
    afterEach(async () => {
      expect(errors).toEqual([])
      await page.context().close()
    })

    it('a trace across three services: waterfall, LLM tokens and cost, keyboard', async () => {
      const { checkout } = run.data
      await page.goto(`${run.url}/traces/${checkout.trace_id}`)
      const tree = page.getByRole('tree', { name: 'Trace waterfall' })
      await tree.waitFor()
      const summary = page.getByRole('definition').filter({ hasText: 'llm-gateway' })
      expect(await summary.textContent()).toBe(checkout.services.join(', '))
      // spans nest across services: web server > web client > api server > llm
      const llm = tree.getByRole('treeitem').filter({ hasText: 'chat gpt-4o-mini' })
      expect(await llm.getAttribute('aria-level')).toBe('4')
      expect(await llm.locator('.wf-service').textContent()).toBe('llm-gateway')
      await llm.click()
      await page.waitForURL(new RegExp(`span=${checkout.llm_span_id}`))
      const panel = page.getByRole('complementary', { name: 'Span detail' })
      const text = (await panel.textContent()) ?? ''
      for (const want of [
        'input tokens1,200',
        'output tokens300',
        'cache read200',
        'cost$0.00042',
        'first token180ms',
        'Confirm order 42 for card [REDACTED]',
        'Your order 42 is confirmed and ships tomorrow.',
      ])
        expect(text).toContain(want)
      // the summary counts the trace's tokens once
      expect(await page.getByRole('definition').filter({ hasText: ' in / ' }).textContent()).toBe(
        '1,200 in / 300 out',
      )
      if (shots) await page.screenshot({ path: join(SHOTS, 'console-trace.png') })

      // keyboard: up moves the selection, left on the root folds its subtree
      const rowsBefore = await tree.getByRole('treeitem').count()
      await tree.focus()
      await page.keyboard.press('ArrowUp')
      await expect
        .poll(() => tree.locator('[aria-selected="true"]').textContent())
        .not.toContain('chat gpt-4o-mini')
      const root = tree.getByRole('treeitem').first()
      await root.click()
      await page.keyboard.press('ArrowLeft')
      await expect.poll(() => root.getAttribute('aria-expanded')).toBe('false')
      expect(await tree.getByRole('treeitem').count()).toBe(1)
      await page.keyboard.press('ArrowRight')
      await expect.poll(() => tree.getByRole('treeitem').count()).toBe(rowsBefore)
    })

    it('error groups: counts, users, trend, then the events and the latest trace', async () => {
      const { payment } = run.data
      await page.goto(`${run.url}/errors?range=24h`)
      const row = page.getByRole('row').filter({ hasText: 'card declined' })
      await row.waitFor()
      const cells = await row.getByRole('cell').allTextContents()
      expect(cells[0]).toContain('PaymentError')
      expect(cells[0]).toContain(payment.fingerprint)
      expect(cells[2]).toBe(String(payment.count))
      expect(cells[3]).toBe(String(payment.users))
      await expect(row.getByRole('img', { name: /occurrences over time/ }).count()).resolves.toBe(1)
      const upstream = page.getByRole('row').filter({ hasText: 'inventory service timed out' })
      expect((await upstream.getByRole('cell').allTextContents())[2]).toBe(
        String(run.data.spike.errors),
      )
      if (shots) await page.screenshot({ path: join(SHOTS, 'console-errors.png') })

      await row.getByRole('link', { name: /PaymentError/ }).click()
      await page.waitForURL(/\/logs\?fingerprint=fp-payment/)
      expect(await shownCount(page)).toBe(payment.count)
      await page.goBack()
      await row.getByRole('link', { name: /…$/ }).click()
      await page.waitForURL(new RegExp(`/traces/${payment.trace_id}`))
      await page.getByRole('tree', { name: 'Trace waterfall' }).waitFor()
    })

    it('a session: turns in order with model, tokens, cost, latency and scores', async () => {
      const { session } = run.data
      await page.goto(`${run.url}/sessions?range=24h`)
      const row = page.getByRole('row').filter({ hasText: session.id })
      await row.waitFor()
      expect((await row.getByRole('cell').allTextContents()).slice(0, 3)).toEqual([
        session.id,
        'u-grace',
        '3',
      ])
      await row.getByRole('link', { name: session.id }).click()
      await page.waitForURL(new RegExp(`/sessions/${session.id}`))
      const turns = page.locator('.turns > li')
      await expect.poll(() => turns.count()).toBe(3)
      const texts = await turns.allTextContents()
      expect(texts[0]).toContain('Where is my order?')
      expect(texts[1]).toContain('Can I change the address?')
      expect(texts[2]).toContain('Thanks, and the invoice?')
      for (const t of texts) expect(t).toContain('claude-sonnet-4')
      expect(texts[1]).toContain('helpfulness: 0.9')
      expect(texts[0]).toContain('500 in / 120 out')
      expect(texts[2]).toContain('$0.0090')
      const links = await turns
        .getByRole('link', { name: 'Open trace' })
        .evaluateAll((as) => as.map((a) => a.getAttribute('href')))
      expect(links).toEqual(session.turns.map((t) => `/traces/${t}`))

      await page.goto(`${run.url}/users?range=24h`)
      const grace = page.getByRole('row').filter({ hasText: 'u-grace' })
      await grace.waitFor()
      expect((await grace.getByRole('cell').allTextContents())[4]).toBe('1')
    })

    it('exports the current filter as CSV and JSON, row for row what the API holds', async () => {
      const since = new Date(run.data.now - 3_600_000).toISOString()
      await page.goto(`${run.url}/logs?services=batch&range=1h`)
      expect(await shownCount(page)).toBe(run.data.batch)
      const want = new Set(await ids(run.url, { services: ['batch'], since }))
      expect(want.size).toBe(run.data.batch)

      for (const format of ['csv', 'json'] as const) {
        await page.getByRole('button', { name: `Export ${format.toUpperCase()}` }).click()
        const link = page.getByRole('link', { name: new RegExp(`^Download events\\.${format}`) })
        await link.waitFor()
        expect(await link.textContent()).toContain(`(${run.data.batch} rows)`)
        const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
        expect(download.suggestedFilename()).toBe(`events.${format}`)
        const text = await readFile((await download.path())!, 'utf8')
        let got: string[]
        if (format === 'csv') {
          const [header, ...rows] = parseCsv(text)
          const at = header!.indexOf('id')
          expect(header).toContain('service')
          const svc = header!.indexOf('service')
          expect(new Set(rows.map((r) => r[svc]))).toEqual(new Set(['batch']))
          got = rows.map((r) => r[at]!)
        } else {
          const events = JSON.parse(text) as { id: string; service: string }[]
          expect(new Set(events.map((e) => e.service))).toEqual(new Set(['batch']))
          got = events.map((e) => e.id)
        }
        expect(got.length, format).toBe(want.size)
        expect(new Set(got), format).toEqual(want)
      }
    })

    it('the overview, the explorer with a detail open, and dark mode look right', async () => {
      await page.goto(`${run.url}/?range=24h`)
      await page.getByRole('img', { name: 'LLM cost by model' }).waitFor()
      await page.waitForFunction(() => !document.querySelector('.refreshing, [aria-busy="true"]'))
      const tiles = await page.locator('.tile').allTextContents()
      expect(tiles[0]).toMatch(/^Requests\d/)
      if (shots) await page.screenshot({ path: join(SHOTS, 'console-overview.png') })

      await page.goto(`${run.url}/logs?range=24h&categories=llm`)
      await shownCount(page)
      await page.locator('.rows .row').filter({ hasText: 'chat gpt-4o-mini' }).first().click()
      await page.getByRole('complementary', { name: 'Event detail' }).waitFor()
      if (shots) await page.screenshot({ path: join(SHOTS, 'console-logs.png') })

      const dark = await open(browser, { colorScheme: 'dark' })
      await dark.page.goto(`${run.url}/?range=24h`)
      await dark.page.getByRole('img', { name: 'Requests by service' }).waitFor()
      const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      expect(bg).toBe('rgb(17, 20, 26)')
      expect(dark.errors).toEqual([])
      await dark.context.close()
    })
  })
}
