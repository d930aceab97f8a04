// The oracle: what the query API itself says, to compare with what the console shows.
import type { Page } from 'playwright-core'

// Used only inside functions that run in the page (the server tsconfig has no DOM lib).
declare const document: any

export async function total(url: string, filters: Record<string, unknown>): Promise<number> {
  const res = await fetch(`${url}/api/logs/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...filters, limit: 1, with_total: true }),
  })
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`)
  return ((await res.json()) as { total: number }).total
}

export async function ids(url: string, filters: Record<string, unknown>): Promise<string[]> {
  const out: string[] = []
  let cursor: string | null = null
  do {
    const res = await fetch(`${url}/api/logs/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...filters, limit: 1000, ...(cursor ? { cursor } : {}) }),
    })
    const page = (await res.json()) as { events: { id: string }[]; next_cursor: string | null }
    out.push(...page.events.map((e) => e.id))
    cursor = page.next_cursor
  } while (cursor)
  return out
}

/** The explorer's count line, as a number, once it has settled. */
export async function shownCount(page: Page): Promise<number> {
  const count = page.locator('.toolbar .count')
  await count.filter({ hasText: /^\d[\d,]* events$/ }).waitFor()
  // wait for the list to settle on the current URL
  await page.waitForFunction(() => !document.querySelector('.rows.refreshing, [aria-busy="true"]'))
  const text = (await count.textContent()) ?? ''
  return Number(text.replace(/[^\d]/g, ''))
}

/** The texts of one column of the rows rendered now. */
export async function column(page: Page, cls: string): Promise<string[]> {
  return page.locator(`.rows .row .${cls}`).allTextContents()
}

/** Every row's message, scrolling the virtualised list to its end (loading pages on the way). */
export async function scrollAll(page: Page): Promise<string[]> {
  const seen: string[] = []
  const have = new Set<string>()
  for (let i = 0; i < 400; i++) {
    const rows = await page
      .locator('.rows .row')
      .evaluateAll((els) =>
        els.map((e) => [
          e.getAttribute('data-id') ?? '',
          e.querySelector('.c-msg')?.textContent ?? '',
        ]),
      )
    for (const [id, msg] of rows)
      if (!have.has(id!)) {
        have.add(id!)
        seen.push(msg!)
      }
    const done = await page.locator('.rows').evaluate((el) => {
      const end = el.scrollTop + el.clientHeight >= el.scrollHeight - 2
      el.scrollTop += el.clientHeight - 64
      return end && !el.querySelector('.more')
    })
    if (done) break
    await page.waitForTimeout(30)
  }
  return seen
}
