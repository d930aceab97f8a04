// The console in a real browser against a real server: the overview's "click the spike"
// flow end to end, search, every filter, and paging.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { scrollAll, shownCount, total } from './api.js'
import { ENGINES, HAVE_CHROMIUM, launch, open, start, type Running } from './harness.js'

// Used only inside functions that run in the page (the server tsconfig has no DOM lib).
declare const document: any

const HOUR = 3_600_000

for (const engine of ENGINES) {
  describe.skipIf(!HAVE_CHROMIUM)(`console flows [${engine.name}]`, () => {
    let run: Running
    let browser: Browser
    let page: Page
    let errors: string[]

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

    it('click the spike: overview -> explorer on that bucket -> errors -> the trace -> the cause', async () => {
      const { url, data } = run
      await page.goto(`${url}/?range=24h`)
      const chart = page.getByRole('img', { name: 'Requests by service' })
      await chart.waitFor()
      await expect.poll(() => page.locator('.tile-value').first().textContent()).not.toBe('0')

      // where the spike's bar for `api` is drawn
      const at = await page.evaluate(
        ({ at, service }) => {
          const el = [...document.querySelectorAll('.chart')].find((c) =>
            c.querySelector('[aria-label="Requests by service"]'),
          ) as { uplot: any } | undefined
          const u = el!.uplot
          const idx = (u.data[0] as number[]).indexOf(at / 1000)
          const k = u.series.findIndex((s: { label?: string }) => s.label === service)
          const top = u.data[k][idx] as number
          const below = Math.max(
            0,
            ...u.data
              .slice(1)
              .map((d: number[]) => d[idx] ?? 0)
              .filter((v: number) => v < top),
          )
          const r = u.over.getBoundingClientRect()
          return {
            idx,
            x: r.left + u.valToPos(at / 1000, 'x'),
            y: r.top + u.valToPos((top + below) / 2, 'y'),
          }
        },
        { at: data.spike.at, service: data.spike.service },
      )
      expect(at.idx).toBeGreaterThanOrEqual(0)
      await page.mouse.move(at.x, at.y)
      await page.mouse.click(at.x, at.y)

      await page.waitForURL(/\/logs\?/)
      const params = new URL(page.url()).searchParams
      expect(params.get('from')).toBe(new Date(data.spike.at).toISOString())
      expect(params.get('to')).toBe(new Date(data.spike.at + HOUR / 2).toISOString())
      expect(params.get('services')).toBe('api')
      expect(params.get('span_kinds')).toBe('server')
      const window = {
        since: params.get('from'),
        until: params.get('to'),
        services: ['api'],
        span_kinds: ['server'],
      }
      const expected = await total(url, window)
      expect(expected).toBeGreaterThanOrEqual(data.spike.requests)
      expect(await shownCount(page)).toBe(expected)

      // drill down to the errors of that bucket
      await page.getByRole('button', { name: /^Severity:/ }).click()
      await page
        .getByRole('listbox', { name: 'Severity' })
        .getByText('error', { exact: true })
        .click()
      await page.waitForURL(/levels=error/)
      expect(await shownCount(page)).toBe(data.spike.errors)
      await page.keyboard.press('Escape')
      const levels = await page.locator('.rows .row .c-level').allTextContents()
      expect(new Set(levels)).toEqual(new Set(['error']))

      // the first failing request, then its trace, then the cause
      await page.locator('.rows .row').first().click()
      const detail = page.getByRole('complementary', { name: 'Event detail' })
      await expect.poll(() => detail.textContent()).toContain('inventory service timed out')
      await detail.getByRole('link', { name: 'Open trace' }).click()
      await page.waitForURL(/\/traces\/[0-9a-f]{32}/)
      const tree = page.getByRole('tree', { name: 'Trace waterfall' })
      await tree.waitFor()
      await expect
        .poll(() => page.getByRole('complementary', { name: 'Span detail' }).textContent())
        .toContain('UpstreamError')
      // Back returns to the filtered explorer
      await page.goBack()
      await page.waitForURL(/\/logs\?.*levels=error/)
      expect(await shownCount(page)).toBe(data.spike.errors)
    })

    it('full-text search: ?search= fills the box named "Search", typing searches again', async () => {
      await page.goto(`${run.url}/logs?search=zebra&range=24h`)
      const box = page.getByRole('searchbox', { name: 'Search' })
      await expect.poll(() => box.inputValue()).toBe('zebra')
      expect(await shownCount(page)).toBe(1)
      expect(await page.locator('.rows .c-msg').allTextContents()).toEqual([
        'release zebra-unicorn launched',
      ])
      await box.fill('declined')
      await box.press('Enter')
      await page.waitForURL(/search=declined/)
      expect(await shownCount(page)).toBe(run.data.payment.count)
    })

    it('each filter narrows the list to exactly what the API says', async () => {
      const { url } = run
      const since = new Date(run.data.now - 24 * HOUR).toISOString()
      const cases: [string, string, Record<string, unknown>][] = [
        ['Service', 'batch', { services: ['batch'] }],
        ['Log type', 'billing', { categories: ['billing'] }],
        ['Event type', 'deploy_finished', { events: ['deploy_finished'] }],
        ['Severity', 'error', { levels: ['error'] }],
        ['Org', 'globex', { org_id: 'globex' }],
        ['User', 'u-grace', { user_id: ['u-grace'] }],
        ['Session', 'sess-42', { session_id: ['sess-42'] }],
      ]
      for (const [label, value, filter] of cases) {
        await page.goto(`${url}/logs?range=24h`)
        await shownCount(page)
        await page.getByRole('button', { name: new RegExp(`^${label}:`) }).click()
        const list = page.getByRole('listbox', { name: label })
        await list.getByText(value, { exact: true }).click()
        await page.waitForFunction(
          () => !document.querySelector('.toolbar .count')?.textContent?.includes('Loading'),
        )
        const expected = await total(url, { since, ...filter })
        expect(expected, label).toBeGreaterThan(0)
        expect(await shownCount(page), label).toBe(expected)
      }
      // the service column shows only the chosen service
      await page.goto(`${url}/logs?range=24h&services=web`)
      await shownCount(page)
      expect(new Set(await page.locator('.rows .c-service').allTextContents())).toEqual(
        new Set(['web']),
      )

      // attribute key=value
      await page.goto(`${url}/logs?range=24h`)
      await shownCount(page)
      const attr = page.getByRole('textbox', { name: 'Attribute filter' })
      await attr.fill('plan=enterprise')
      await attr.press('Enter')
      await page.waitForURL(/attributes\.plan=enterprise/)
      expect(await shownCount(page)).toBe(1)
      expect(await page.locator('.rows .c-msg').allTextContents()).toEqual(['order 42 stored'])

      // a custom date range: the last 45 minutes, typed into the picker
      await page.getByRole('button', { name: 'Custom' }).click()
      const local = (ms: number) =>
        new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16)
      const from = run.data.now - 45 * 60_000
      const to = run.data.now + 60_000
      await page.getByLabel('From').fill(local(from))
      await page.getByLabel('To').fill(local(to))
      await page.getByRole('button', { name: 'Apply' }).click()
      await page.waitForURL(/from=/)
      const p = new URL(page.url()).searchParams
      const expected = await total(url, {
        since: p.get('from'),
        until: p.get('to'),
        attributes: { plan: 'enterprise' },
      })
      expect(await shownCount(page)).toBe(expected)
      await page.getByRole('button', { name: 'Remove filter attributes.plan' }).click()
      expect(await shownCount(page)).toBe(
        await total(url, { since: p.get('from'), until: p.get('to') }),
      )
    })

    it('pages by cursor through a long list without a gap or a repeat', async () => {
      await page.goto(`${run.url}/logs?services=batch&range=1h`)
      expect(await shownCount(page)).toBe(run.data.batch)
      const messages = await scrollAll(page)
      expect(messages.length).toBe(run.data.batch)
      expect(new Set(messages).size).toBe(run.data.batch)
      expect(messages[0]).toBe(`processed item ${run.data.batch - 1}`)
      expect(messages.at(-1)).toBe('processed item 0')
      // sorting ascending is one click on the column and a new URL
      await page.getByRole('button', { name: /^Time/ }).click()
      await page.waitForURL(/sort_order=asc/)
      await expect
        .poll(() => page.locator('.rows .c-msg').first().textContent())
        .toBe('processed item 0')
    })
  })
}
