// What a person sees before there is anything, and as events arrive: the empty store says how
// to send the first event; live tail shows new events without a reload.
import { randomUUID } from 'node:crypto'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINES, HAVE_CHROMIUM, launch, open, start, type Running } from './harness.js'

const engine = ENGINES[0]!

describe.skipIf(!HAVE_CHROMIUM)(`console states [${engine.name}]`, () => {
  let browser: Browser
  let run: Running
  beforeAll(async () => {
    ;[run, browser] = await Promise.all([start(engine, { empty: true }), launch()])
  })
  afterAll(async () => {
    await browser?.close()
    await run?.close()
  })

  it('an empty store says how to send the first event, on the overview and in the explorer', async () => {
    const { page, context, errors } = await open(browser)
    let text = ''
    for (const path of ['/', '/logs']) {
      await page.goto(run.url + path)
      await page.getByText('No events yet').waitFor()
      text = (await page.locator('.empty-state').textContent()) ?? ''
      expect(text).toContain(`${run.url}/v1/events`)
    }
    {
      // the shell example is a complete event the server stores as it is
      const body = /-d '(\{.*\})'/.exec(text)![1]!
      const res = await fetch(`${run.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: [{ ...JSON.parse(body).events[0], id: randomUUID() }] }),
      })
      expect(await res.json()).toMatchObject({ accepted: 1 })
    }
    await page.goto(`${run.url}/errors`)
    await page.getByText('No errors in this window').waitFor()
    await page.goto(`${run.url}/traces/${'ab'.repeat(16)}`)
    await page.getByText('Trace not found').waitFor()
    await page.goto(`${run.url}/no/such/page`)
    await page.getByText('No page here').waitFor()
    expect(errors).toEqual([])
    await context.close()
  })

  it('live tail shows events as they arrive, newest first', async () => {
    const { page, context, errors } = await open(browser)
    const send = async (message: string) => {
      const res = await fetch(`${run.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          events: [
            {
              id: randomUUID(),
              kind: 'log',
              level: 'info',
              message,
              service: 'tail',
              timestamp: new Date().toISOString(),
            },
          ],
        }),
      })
      expect(await res.json()).toMatchObject({ accepted: 1 })
    }
    await send('first line')
    await page.goto(`${run.url}/logs?range=15m&services=tail`)
    await page.locator('.rows .row').first().waitFor()
    await page.getByRole('checkbox', { name: 'Live tail' }).check()
    await page.waitForURL(/live=1/)
    await send('second line')
    await send('third line')
    await expect
      .poll(() => page.locator('.rows .c-msg').allTextContents(), { timeout: 15_000 })
      .toEqual(['third line', 'second line', 'first line'])
    expect(await page.locator('.toolbar .count').textContent()).toBe('3 events')
    expect(errors).toEqual([])
    await context.close()
  })
})
