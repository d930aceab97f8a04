// The server's own Prometheus metrics, in a registry of its own (never the app's global one).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { IntegrationStats } from './integrations.js'

export interface ServerMetrics {
  registry: Registry
  /** Events by ingest source and outcome (`accepted`, `duplicate`, `rejected`). */
  events: Counter<'source' | 'outcome'>
  /** Requests refused whole, by reason (`overloaded`, `invalid`, `too_large`, `unauthorized`...). */
  refused: Counter<'source' | 'reason'>
  batchSize: Histogram<'source'>
  /** `__proto__` and `constructor.prototype` keys dropped from stored events. */
  droppedKeys: Counter
  writeSeconds: Histogram
  queryDuration: Histogram<'route'>
  pending: Gauge
}

type IntegrationsSnapshot = () => { id: string; type: string; stats: IntegrationStats }[]

const BREAKER = { closed: 0, half_open: 1, open: 2 } as const

export function createMetrics(
  pending: () => number,
  integrations: IntegrationsSnapshot = () => [],
): ServerMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'threadline_server_' })
  // Per integration, read from its exporter's stats at scrape time (they restart at 0 when
  // the integration changes, hence gauges).
  const labelNames = ['integration_id', 'integration_type'] as const
  new Gauge({
    name: 'threadline_integration_delivered_events',
    help: 'Events the integration destination accepted, since its pipeline started',
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const i of integrations())
        this.set({ integration_id: i.id, integration_type: i.type }, i.stats.delivered)
    },
  })
  new Gauge({
    name: 'threadline_integration_dropped_events',
    help: 'Events not delivered to the integration destination, by reason',
    labelNames: [...labelNames, 'reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const i of integrations())
        for (const [reason, n] of Object.entries(i.stats.dropped))
          this.set({ integration_id: i.id, integration_type: i.type, reason }, n)
    },
  })
  new Gauge({
    name: 'threadline_integration_queued_events',
    help: 'Events waiting for the integration destination (memory), plus spooled on disk',
    labelNames: [...labelNames, 'where'],
    registers: [registry],
    collect() {
      this.reset()
      for (const i of integrations()) {
        this.set(
          { integration_id: i.id, integration_type: i.type, where: 'memory' },
          i.stats.queued,
        )
        this.set(
          { integration_id: i.id, integration_type: i.type, where: 'spool' },
          i.stats.spooled,
        )
      }
    },
  })
  new Gauge({
    name: 'threadline_integration_breaker_state',
    help: 'Circuit breaker of the integration: 0 closed, 1 half-open, 2 open',
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (const i of integrations())
        this.set({ integration_id: i.id, integration_type: i.type }, BREAKER[i.stats.breaker] ?? 0)
    },
  })
  return {
    registry,
    events: new Counter({
      name: 'threadline_ingest_events_total',
      help: 'Events received, by source and outcome',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'threadline_ingest_refused_requests_total',
      help: 'Ingest requests refused whole, by reason',
      labelNames: ['source', 'reason'],
      registers: [registry],
    }),
    droppedKeys: new Counter({
      name: 'threadline_ingest_dropped_keys_total',
      help: '__proto__ and constructor.prototype keys dropped from stored events',
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'threadline_ingest_batch_events',
      help: 'Events per ingest request',
      labelNames: ['source'],
      buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 10000],
      registers: [registry],
    }),
    writeSeconds: new Histogram({
      name: 'threadline_store_write_seconds',
      help: 'Time of one grouped database write',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queryDuration: new Histogram({
      name: 'threadline_query_duration_seconds',
      help: 'Query API latency by route',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'threadline_ingest_pending_events',
      help: 'Events waiting for or being written to the database',
      registers: [registry],
      collect() {
        this.set(pending())
      },
    }),
  }
}
