// Group commit: requests that arrive while a write is running are merged into the next
// write (up to `batchSize` rows), and each request is answered only once its rows are
// committed. Bounded: past `maxQueued` pending events (waiting or being written), `submit`
// refuses at once.
import type { ThreadlineEvent } from '@threadline/core'
import type { InsertResult, Store } from '@threadline/store'

interface Waiting {
  events: ThreadlineEvent[]
  resolve(result: InsertResult): void
  reject(error: unknown): void
}

export class OverloadedError extends Error {
  override readonly name = 'OverloadedError'
}

export interface Writer {
  /** Resolves with this request's share of the insert result. */
  submit(events: ThreadlineEvent[]): Promise<InsertResult>
  /** Events waiting or being written. */
  readonly pending: number
  /** Resolves when nothing is waiting or in flight. */
  drain(): Promise<void>
}

export function createWriter(
  store: Store,
  {
    batchSize,
    concurrency,
    maxQueued,
  }: { batchSize: number; concurrency: number; maxQueued: number },
  onWrite?: (rows: number, seconds: number, result: InsertResult) => void,
): Writer {
  const queue: Waiting[] = []
  let queued = 0
  let inFlight = 0
  let inFlightEvents = 0
  let idle: (() => void)[] = []

  const settle = () => {
    if (queue.length === 0 && inFlight === 0) {
      const waiters = idle
      idle = []
      for (const w of waiters) w()
    }
  }

  function pump(): void {
    while (inFlight < concurrency && queue.length > 0) {
      // Take whole requests until the batch is full (one request larger than a batch goes alone).
      const group: Waiting[] = []
      let rows = 0
      while (
        queue.length > 0 &&
        (group.length === 0 || rows + queue[0]!.events.length <= batchSize)
      ) {
        const w = queue.shift()!
        group.push(w)
        rows += w.events.length
      }
      queued -= rows
      inFlight++
      inFlightEvents += rows
      void write(group, rows)
    }
  }

  async function write(group: Waiting[], rows: number): Promise<void> {
    const started = performance.now()
    try {
      const all = group.length === 1 ? group[0]!.events : group.flatMap((w) => w.events)
      const result = await store.insert(all)
      onWrite?.(rows, (performance.now() - started) / 1000, result)
      // Split the result back by request: rejections carry indexes into `all`.
      let offset = 0
      for (const w of group) {
        const end = offset + w.events.length
        const rejected = result.rejected
          .filter((r) => r.index >= offset && r.index < end)
          .map((r) => ({ ...r, index: r.index - offset }))
        w.resolve(shareOf(result, w.events.length, rejected, group.length === 1))
        offset = end
      }
    } catch (error) {
      for (const w of group) w.reject(error)
    } finally {
      inFlight--
      inFlightEvents -= rows
      pump()
      settle()
    }
  }

  return {
    submit(events) {
      if (events.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0, rejected: [] })
      if (queued + inFlightEvents + events.length > maxQueued)
        return Promise.reject(
          new OverloadedError(`${queued + inFlightEvents} events already pending`),
        )
      return new Promise<InsertResult>((resolve, reject) => {
        queue.push({ events, resolve, reject })
        queued += events.length
        pump()
      })
    },
    get pending() {
      return queued + inFlightEvents
    },
    drain() {
      if (queue.length === 0 && inFlight === 0) return Promise.resolve()
      return new Promise((resolve) => idle.push(resolve))
    },
  }
}

/**
 * A request's part of a grouped insert. Rejections are exact; inserted vs duplicate is
 * exact for a request written alone, and for a group the duplicates are attributed in
 * proportion (the database reports one total).
 */
function shareOf(
  total: InsertResult,
  size: number,
  rejected: InsertResult['rejected'],
  alone: boolean,
): InsertResult {
  if (alone) return { inserted: total.inserted, duplicates: total.duplicates, rejected }
  const stored = size - rejected.length
  const totalStored = total.inserted + total.duplicates
  const duplicates = totalStored ? Math.round((total.duplicates * stored) / totalStored) : 0
  return { inserted: stored - duplicates, duplicates, rejected }
}
