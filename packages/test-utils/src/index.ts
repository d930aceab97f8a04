import { createLogger, memoryExporter, setDefaultLogger } from '@threadline/core'
import type {
  Logger,
  LoggerOptions,
  MemoryExporter,
  PipelineStats,
  ThreadlineEvent,
} from '@threadline/core'

export interface TestLogger {
  logger: Logger
  exporter: MemoryExporter
  /** Flush, then return every event exported so far. */
  events(): Promise<ThreadlineEvent[]>
  /** Restore the previous default logger (when `asDefault` was set). */
  restore(): void
}

/**
 * A logger writing to an in-memory exporter, with no process hooks. With
 * `asDefault`, it also becomes the default logger that adapters use.
 */
export function createTestLogger(
  options: LoggerOptions & { asDefault?: boolean } = {},
): TestLogger {
  const { asDefault = false, ...rest } = options
  const exporter = memoryExporter()
  const logger = createLogger({
    service: 'test',
    level: 'trace',
    exporters: [exporter],
    hookProcess: false,
    ...rest,
  })
  const previous = asDefault ? setDefaultLogger(logger) : undefined
  return {
    logger,
    exporter,
    async events() {
      await logger.flush()
      return exporter.events
    },
    restore() {
      if (asDefault && previous) setDefaultLogger(previous)
    },
  }
}

/** Check emitted = delivered + dropped + queued for every exporter; returns the mismatches. */
export function accountingErrors(stats: PipelineStats): string[] {
  const errors: string[] = []
  for (const ex of stats.exporters) {
    const dropped = Object.values(ex.dropped).reduce((a, b) => a + b, 0)
    const total = ex.delivered + dropped + ex.queued
    if (total !== stats.emitted) {
      errors.push(
        `${ex.name}: delivered ${ex.delivered} + dropped ${dropped} + queued ${ex.queued} = ${total} != emitted ${stats.emitted}`,
      )
    }
  }
  return errors
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

export { memoryExporter }
export type { MemoryExporter }
