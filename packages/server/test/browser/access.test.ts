// Who may look: keys mode asks for a read key and shows only that key's org; local mode
// answers only loopback names, so a DNS-rebinding page cannot read the store.
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES, HAVE_CHROMIUM, launch, open, start, type Running } from './harness.js'

// Used only inside functions that run in the page (the server tsconfig has no DOM lib).
declare const sessionStorage: any
declare const localStorage: any

const engine = ENGINES[ENGINES.length - 1]! // PostgreSQL when available, as production runs

describe.skipIf(!HAVE_CHROMIUM)(`console access [${engine.name}]`, () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launch()
  })
  afterAll(async () => {
    await browser?.close()
  })

  describe('keys mode', () => {
    let run: Running
    let acmeKey: string
    let ingestOnly: string
    beforeAll(async () => {
      run = await start(engine, { keys: true, batch: 10 })
      acmeKey = (await run.store.keys.create({ org_id: 'acme', scopes: ['read'] })).key
      ingestOnly = (await run.store.keys.create({ org_id: 'acme', scopes: ['ingest'] })).key
      await run.store.keys.create({ org_id: 'globex', scopes: ['read'] })
    })
    afterAll(async () => {
      await run?.close()
    })

    it('asks for a key, refuses a bad one, keeps a good one out of the URL, shows only its org', async () => {
      const { page, context, errors } = await open(browser)
      const { data, url } = run
      await page.goto(`${url}/traces/${data.checkout.trace_id}`)
      const key = page.getByLabel('API key')
      await key.waitFor()
      expect(await page.getByRole('tree').count()).toBe(0)

      await key.fill('tl_nope_nope')
      await page.getByRole('button', { name: 'Open the console' }).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('unknown or revoked')
      await key.fill(ingestOnly)
      await page.getByRole('button', { name: 'Open the console' }).click()
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('read scope')

      await key.fill(acmeKey)
      await page.getByRole('button', { name: 'Open the console' }).click()
      // the deep link opens once the key is accepted
      await page.getByRole('tree', { name: 'Trace waterfall' }).waitFor()
      expect(page.url()).not.toContain(acmeKey)
      expect(await page.evaluate(() => sessionStorage.getItem('threadline.key'))).toBe(acmeKey)
      expect(await page.evaluate(() => localStorage.length)).toBe(0)

      // another org's trace is not there for this key
      await page.goto(`${url}/traces/${data.globexTrace}`)
      await page.getByText('Trace not found').waitFor()
      // its org filter offers only its own org, and asking for another is refused, said plainly
      await page.goto(`${url}/logs?range=24h`)
      await page.getByRole('button', { name: /^Org:/ }).click()
      const orgs = page.getByRole('listbox', { name: 'Org' })
      await orgs.getByText('acme', { exact: true }).waitFor()
      expect(await orgs.getByText('globex', { exact: true }).count()).toBe(0)
      await page.goto(`${url}/logs?range=24h&org_id=globex`)
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('403')

      // signing out forgets the key
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByLabel('API key').waitFor()
      expect(await page.evaluate(() => sessionStorage.getItem('threadline.key'))).toBeNull()
      expect(errors).toEqual([])
      await context.close()
    })
  })

  describe('local mode', () => {
    let run: Running
    beforeAll(async () => {
      run = await start(engine, { batch: 10 })
    })
    afterAll(async () => {
      await run?.close()
    })

    it('a page reached through another host name (DNS rebinding) gets nothing', async () => {
      const { page, context } = await open(browser)
      const port = new URL(run.url).port
      // rebind.example resolves to 127.0.0.1 in this browser, as an attacker's DNS would
      const res = await page.goto(`http://rebind.example:${port}/`)
      expect(res?.status()).toBe(421)
      expect(await page.textContent('body')).toContain('DNS rebinding')
      const api = await page.evaluate(async () => {
        const r = await fetch('/api/logs/query', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
        return { status: r.status, body: await r.text() }
      })
      expect(api.status).toBe(421)
      expect(api.body).not.toContain('"events"')

      // the same server through a loopback name works, and writes from another origin do not
      await page.goto(`${run.url}/logs?range=24h`)
      await page.locator('.rows .row').first().waitFor()
      const foreign = await fetch(`${run.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://rebind.example' },
        body: JSON.stringify({ events: [] }),
      })
      expect(foreign.status).toBe(403)
      await context.close()
    })
  })
})
