// Integrations: credentials sealed at rest (AES-256-GCM, key derived with HKDF-SHA256 from
// THREADLINE_SECRET or a secret file), and forwarding of ingested events to each enabled
// integration through a pipeline of its own, so a dead destination slows nothing else.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createPipeline,
  serializeEvent,
  ThreadlineConfigError,
  uuidv7,
  vendorExporter,
  withDiskSpool,
  type Pipeline,
  type SpoolControls,
  type ThreadlineEvent,
  type VendorExporter,
  type VendorType,
} from '@threadline/core'
import type { IntegrationRecord, Store } from '@threadline/store'

/** Delivery statistics of one integration, as the API answers them. */
export interface IntegrationStats {
  delivered: number
  dropped: Record<string, number>
  queued: number
  breaker: 'closed' | 'open' | 'half_open'
  last_error: string | null
  last_error_at: string | null
  last_success_at: string | null
  spooled: number
}

export const ZERO_STATS: IntegrationStats = {
  delivered: 0,
  dropped: {},
  queued: 0,
  breaker: 'closed',
  last_error: null,
  last_error_at: null,
  last_success_at: null,
  spooled: 0,
}

// ---------------------------------------------------------------------------------------
// Credentials at rest

/** Seals and opens credentials; `undefined` when no secret is configured. */
export interface Sealer {
  seal(credentials: Record<string, string>): string
  open(sealed: string): Record<string, string>
}

const INFO = 'threadline integrations credentials v1'

/**
 * The secret from the option, then `secretFile`, then `THREADLINE_SECRET`. At least 32
 * characters; the AES key is HKDF-SHA256(secret, salt 'threadline', info above), 32 bytes.
 */
export function createSealer(
  secret: string | undefined,
  secretFile: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Sealer | undefined {
  let raw = secret
  if (raw === undefined && secretFile !== undefined) {
    try {
      raw = readFileSync(secretFile, 'utf8').trim()
    } catch (error) {
      throw new ThreadlineConfigError(
        `secretFile ${secretFile} cannot be read: ${(error as Error).message}`,
        'secretFile',
      )
    }
  }
  if (raw === undefined) raw = env['THREADLINE_SECRET'] || undefined
  if (raw === undefined) return undefined
  if (raw.length < 32)
    throw new ThreadlineConfigError(
      'the integrations secret (THREADLINE_SECRET or the secret file) must be at least 32 characters of random data, e.g. `openssl rand -base64 32`',
      'secret',
    )
  const key = Buffer.from(hkdfSync('sha256', raw, 'threadline', INFO, 32))
  return {
    seal(credentials) {
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      const body = Buffer.concat([
        cipher.update(JSON.stringify(credentials), 'utf8'),
        cipher.final(),
      ])
      return `v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`
    },
    open(sealed) {
      if (!sealed.startsWith('v1:')) throw new Error('unknown credentials format')
      const buf = Buffer.from(sealed.slice(3), 'base64')
      const decipher = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12))
      decipher.setAuthTag(buf.subarray(12, 28))
      const text = Buffer.concat([decipher.update(buf.subarray(28)), decipher.final()]).toString(
        'utf8',
      )
      return JSON.parse(text) as Record<string, string>
    },
  }
}

/** `api_key: ****a1b2`: the last 4 characters of each credential of 12 or more, else `****`. */
export function credentialsHint(credentials: Record<string, string>): string | null {
  const parts = Object.entries(credentials)
    .filter(([, v]) => typeof v === 'string' && v !== '')
    .map(([k, v]) => `${k}: ****${v.length >= 12 ? v.slice(-4) : ''}`)
  return parts.length > 0 ? parts.join(', ') : null
}

/** Replace every credential value (and any long fragment of it) in a text by `****`. */
export function scrub(text: string, credentials: Record<string, string>): string {
  let out = text
  for (const v of Object.values(credentials)) {
    if (typeof v !== 'string' || v.length < 4) continue
    out = out.split(v).join('****')
    if (v.length >= 12) out = out.split(v.slice(0, 8)).join('****')
  }
  return out
}

// ---------------------------------------------------------------------------------------
// Forwarding

interface Running {
  record: IntegrationRecord
  exporter: VendorExporter
  spool: SpoolControls
  pipeline: Pipeline
}

export interface Forwarder {
  /** Build the pipelines of every enabled integration in the store. */
  start(): Promise<void>
  /** Hand accepted events to every matching integration. Never throws, never awaits. */
  forward(events: readonly ThreadlineEvent[]): void
  /** (Re)build one integration's pipeline after a change; `undefined` removes it. */
  update(id: string, record: IntegrationRecord | undefined): Promise<void>
  stats(id: string): IntegrationStats
  /** Every running integration's stats, for `/metrics`. */
  all(): { id: string; type: string; stats: IntegrationStats }[]
  /** Flush and shut every pipeline down. */
  close(timeoutMs?: number): Promise<void>
}

const matches = (r: IntegrationRecord, e: ThreadlineEvent): boolean => {
  if (r.org_id !== null && e.org_id !== r.org_id) return false
  const { categories, levels, services } = r.filters
  if (categories.length > 0 && !categories.includes(e.category as string)) return false
  if (levels.length > 0 && !levels.includes(e.level)) return false
  if (services.length > 0 && !services.includes(e.service)) return false
  return true
}

export function createForwarder(
  store: Store,
  sealer: Sealer | undefined,
  spoolDir: string | undefined,
): Forwarder {
  const running = new Map<string, Running>()
  /** Why an enabled integration has no pipeline (e.g. credentials without a secret). */
  const failed = new Map<string, { message: string; at: string }>()
  let ownDir: Promise<string> | undefined
  const dir = (): Promise<string> =>
    spoolDir !== undefined
      ? Promise.resolve(spoolDir)
      : (ownDir ??= mkdtemp(join(tmpdir(), 'threadline-spool-')))
  let closed = false

  async function stop(id: string): Promise<void> {
    const r = running.get(id)
    if (!r) return
    running.delete(id)
    await r.pipeline.shutdown(5000).catch(() => false)
  }

  async function build(record: IntegrationRecord): Promise<void> {
    failed.delete(record.id)
    if (!record.enabled || closed) return
    try {
      const credentials = record.credentials_encrypted
        ? sealer
          ? sealer.open(record.credentials_encrypted)
          : undefined
        : {}
      if (credentials === undefined)
        throw new Error('credentials are stored but no secret is configured to open them')
      const exporter = vendorExporter(
        record.integration_type as VendorType,
        record.config,
        credentials,
      )
      const spooled = withDiskSpool(exporter, { dir: join(await dir(), record.id) })
      const pipeline = createPipeline({ exporters: [spooled], hookProcess: false })
      running.set(record.id, { record, exporter, spool: spooled, pipeline })
    } catch (error) {
      failed.set(record.id, {
        message: error instanceof Error ? error.message : 'cannot build the exporter',
        at: new Date().toISOString(),
      })
    }
  }

  const statsOf = (r: Running): IntegrationStats => {
    const v = r.exporter.stats()
    const p = r.pipeline.stats()
    const e = p.exporters[0]
    const dropped: Record<string, number> = { ...p.dropped }
    for (const [k, n] of Object.entries(e?.dropped ?? {})) dropped[k] = (dropped[k] ?? 0) + n
    return {
      delivered: v.delivered,
      dropped,
      queued: e?.queued ?? 0,
      breaker: v.breaker as IntegrationStats['breaker'],
      last_error: v.lastError ?? null,
      last_error_at: v.lastErrorAt ?? null,
      last_success_at: v.lastSuccessAt ?? null,
      spooled: r.spool.spoolStats().pending,
    }
  }

  return {
    async start() {
      for (const record of await store.integrations.all()) await build(record)
    },
    forward(events) {
      if (running.size === 0) return
      for (const r of running.values())
        for (const e of events) {
          try {
            if (matches(r.record, e)) r.pipeline.emit(e)
          } catch {
            // never into the ingest path
          }
        }
    },
    async update(id, record) {
      if (record) {
        await stop(id)
        await build(record)
      } else {
        // deleted: what it still holds is flushed in the background, never holding the answer;
        // then its spool goes too (nothing will ever replay it)
        failed.delete(id)
        void stop(id)
          .then(() => spoolDir ?? ownDir)
          .then((d) =>
            d === undefined ? undefined : rm(join(d, id), { recursive: true, force: true }),
          )
          .catch(() => {})
      }
    },
    stats(id) {
      const r = running.get(id)
      if (r) return statsOf(r)
      const f = failed.get(id)
      return f ? { ...ZERO_STATS, last_error: f.message, last_error_at: f.at } : { ...ZERO_STATS }
    },
    all() {
      return [...running.values()].map((r) => ({
        id: r.record.id,
        type: r.record.integration_type,
        stats: statsOf(r),
      }))
    },
    async close(timeoutMs = 10_000) {
      closed = true
      const all = [...running.values()]
      running.clear()
      await Promise.all(all.map((r) => r.pipeline.shutdown(timeoutMs).catch(() => false)))
      if (ownDir) await rm(await ownDir, { recursive: true, force: true }).catch(() => {})
    },
  }
}

/** One test event through a fresh exporter, one attempt; the answer scrubbed of credentials. */
export async function testIntegration(
  record: IntegrationRecord,
  credentials: Record<string, string>,
): Promise<{ ok: boolean; status: number | null; message: string; duration_ms: number }> {
  const started = performance.now()
  const done = (ok: boolean, status: number | null, message: string) => ({
    ok,
    status,
    message: scrub(message, credentials),
    duration_ms: Math.round(performance.now() - started),
  })
  let exporter: VendorExporter
  try {
    exporter = vendorExporter(
      record.integration_type as VendorType,
      { ...record.config, max_attempts: 1 },
      credentials,
    )
  } catch (error) {
    return done(false, null, error instanceof Error ? error.message : 'invalid integration')
  }
  const event = {
    id: uuidv7(),
    kind: 'log',
    timestamp: new Date().toISOString(),
    level: 'info',
    message: `Threadline integration test: ${record.name}`,
    service: 'threadline',
    category: 'app',
    event: 'integration_test',
    ...(record.org_id === null ? {} : { org_id: record.org_id }),
  } as ThreadlineEvent
  try {
    const result = await exporter.export([{ event, json: serializeEvent(event) }])
    if (result.ok) return done(true, null, 'the destination accepted the test event')
    const error = result.error as { message?: unknown; status?: unknown } | undefined
    const message =
      typeof error?.message === 'string' ? error.message : String(result.reason ?? 'failed')
    const answered = /answered (\d{3})/.exec(message)
    const status =
      typeof error?.status === 'number' ? error.status : answered ? Number(answered[1]) : null
    return done(false, status, message)
  } catch (error) {
    return done(false, null, error instanceof Error ? error.message : 'failed')
  } finally {
    await exporter.shutdown?.().catch(() => {})
  }
}
