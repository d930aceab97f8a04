import type { Exporter, ExportRecord, ThreadlineEvent } from '../types.js'

export interface MemoryExporter extends Exporter {
  /** Events exported so far, in order. */
  readonly events: ThreadlineEvent[]
  /** Their JSON lines. */
  readonly lines: string[]
  clear(): void
  logs(): ThreadlineEvent[]
  spans(): ThreadlineEvent[]
}

export interface MemoryExporterOptions {
  /** Keep at most this many events (oldest dropped first). @default 100000 */
  limit?: number
}

/** Keeps exported events in memory: the assertion sink for tests. Exports synchronously. */
export function memoryExporter(options: MemoryExporterOptions = {}): MemoryExporter {
  const { limit = 100_000 } = options
  const events: ThreadlineEvent[] = []
  const lines: string[] = []
  const add = (batch: readonly ExportRecord[]): void => {
    for (const r of batch) {
      events.push(r.event)
      lines.push(r.json)
    }
    if (events.length > limit) {
      events.splice(0, events.length - limit)
      lines.splice(0, lines.length - limit)
    }
  }
  return {
    name: 'memory',
    batching: { flushIntervalMs: 1, maxBatchSize: 1024 },
    events,
    lines,
    export(batch) {
      add(batch)
      return { ok: true }
    },
    exportSync: add,
    clear() {
      events.length = 0
      lines.length = 0
    },
    logs: () => events.filter((e) => e.kind === 'log'),
    spans: () => events.filter((e) => e.kind === 'span'),
  }
}
