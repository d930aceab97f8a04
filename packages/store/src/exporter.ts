// The store as a core pipeline exporter, for apps that write straight to the database.
import { diag, type Exporter } from '@threadline/core'
import type { Store } from './types.js'

export interface StoreExporterOptions {
  /**
   * Attempts per batch when the database cannot be reached (bad rows are never retried).
   * @default 3
   */
  attempts?: number
  /** First retry delay; doubles each attempt, with jitter. @default 200 */
  retryDelayMs?: number
}

export interface StoreExporter extends Exporter {
  /** Events refused by the store (invalid rows) and ids already stored, since start. */
  readonly counts: { inserted: number; duplicates: number; rejected: number }
}

/**
 * An exporter that inserts each batch into `store`. Invalid events are isolated by the
 * store, counted in `counts.rejected` and in the logger's stats (dropped, `rejected`) and
 * reported to diagnostics; the rest of the batch is kept. A database that stays unreachable
 * drops the batch as `exporter_error`.
 */
export function storeExporter(store: Store, options: StoreExporterOptions = {}): StoreExporter {
  const { attempts = 3, retryDelayMs = 200 } = options
  const counts = { inserted: 0, duplicates: 0, rejected: 0 }
  return {
    name: 'store',
    batching: { maxBatchSize: 2000, flushIntervalMs: 500 },
    counts,
    async export(batch) {
      let lastError: unknown
      for (let attempt = 0; attempt < Math.max(1, attempts); attempt++) {
        if (attempt > 0) {
          const delay = retryDelayMs * 2 ** (attempt - 1)
          await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * delay))
        }
        try {
          const r = await store.insert(batch.map((b) => b.event))
          counts.inserted += r.inserted
          counts.duplicates += r.duplicates
          counts.rejected += r.rejected.length
          if (r.rejected.length)
            diag.warn('store rejected events', {
              count: r.rejected.length,
              first: r.rejected[0]!.reason,
            })
          // refused rows are counted by the pipeline as dropped (`rejected`), the rest as delivered
          return r.rejected.length > 0 ? { ok: true, rejected: r.rejected.length } : { ok: true }
        } catch (error) {
          lastError = error
        }
      }
      return { ok: false, error: lastError, reason: 'exporter_error' }
    },
    shutdown: () => store.close(),
  }
}
