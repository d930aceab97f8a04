// /api/logs/integrations: forwarding to Datadog, Splunk, CloudWatch and webhooks. Listing
// needs `read`, every change (and the test send) `admin`; another org's integration is a 404.
// Credentials are sealed before they reach the store and never answered: a masked hint only.
import {
  ThreadlineConfigError,
  VENDOR_TYPES,
  vendorExporter,
  type VendorType,
} from '@threadline/core'
import type { IntegrationFilters, IntegrationRecord } from '@threadline/store'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { timed, type ServerContext } from '../context.js'
import { HttpError } from '../http-error.js'
import { credentialsHint, testIntegration, type Forwarder, type Sealer } from '../integrations.js'
import { limitRate } from '../rate-limit.js'

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal']
const FILTER_KEYS = ['categories', 'levels', 'services'] as const

export interface IntegrationsContext extends ServerContext {
  forwarder: Forwarder
  sealer: Sealer | undefined
}

const invalid = (field: string, message: string): HttpError =>
  new HttpError(400, 'invalid_integration', message, { field })

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

function checkType(type: unknown): VendorType {
  if (type === 'otlp')
    throw invalid(
      'integration_type',
      'OTLP forwarding is not available yet: this version of @threadline/core has no OTLP exporter for integrations',
    )
  if (typeof type !== 'string' || !VENDOR_TYPES.includes(type as VendorType))
    throw invalid('integration_type', `integration_type must be one of ${VENDOR_TYPES.join(', ')}`)
  return type as VendorType
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200)
    throw invalid('name', 'name must be a non-empty string (max 200 characters)')
  return name.trim()
}

function checkFilters(filters: unknown): IntegrationFilters {
  if (filters === undefined || filters === null) return { categories: [], levels: [], services: [] }
  if (!isObject(filters)) throw invalid('filters', 'filters must be an object')
  for (const k of Object.keys(filters))
    if (!(FILTER_KEYS as readonly string[]).includes(k))
      throw invalid(`filters.${k}`, `unknown filter "${k}" (categories, levels, services)`)
  const out = { categories: [], levels: [], services: [] } as IntegrationFilters
  for (const k of FILTER_KEYS) {
    const v = filters[k]
    if (v === undefined || v === null) continue
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '' || x.length > 200))
      throw invalid(`filters.${k}`, `filters.${k} must be a list of non-empty strings`)
    if (k === 'levels')
      for (const l of v as string[])
        if (!LEVELS.includes(l))
          throw invalid('filters.levels', `unknown level "${l}" (${LEVELS.join(', ')})`)
    out[k] = [...new Set(v as string[])]
  }
  return out
}

/** Build (and drop) the exporter once so a bad key fails now, naming the field, never a value. */
async function checkSettings(
  type: VendorType,
  config: unknown,
  credentials: Record<string, unknown>,
): Promise<void> {
  if (!isObject(config)) throw invalid('config', 'config must be an object')
  let exporter
  try {
    exporter = vendorExporter(type, config, credentials)
  } catch (error) {
    if (error instanceof ThreadlineConfigError)
      throw invalid(error.option ?? 'config', error.message)
    throw invalid('config', 'the settings do not make a working exporter')
  }
  await exporter.shutdown?.().catch(() => {})
}

function checkCredentials(credentials: unknown): Record<string, string> {
  if (!isObject(credentials)) throw invalid('credentials', 'credentials must be an object')
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(credentials)) {
    if (v === undefined || v === null || v === '') continue
    if (typeof v !== 'string')
      throw invalid(`credentials.${k}`, `credentials.${k} must be a string`)
    out[k] = v
  }
  return out
}

const noSecret = (): HttpError =>
  new HttpError(409, 'no_secret', 'set THREADLINE_SECRET (or --secret-file) to store credentials')

const filtersSchema = {
  type: 'object',
  properties: {
    categories: { type: 'array', items: { type: 'string' } },
    levels: { type: 'array', items: { type: 'string' } },
    services: { type: 'array', items: { type: 'string' } },
  },
}
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 100 } },
}

export async function integrationRoutes(
  app: FastifyInstance,
  ctx: IntegrationsContext,
): Promise<void> {
  await limitRate(app, ctx.rateLimit ? ctx.rateLimit.query : undefined)
  const { store, auth, forwarder, sealer } = ctx
  const read = auth.needs('read')
  const admin = auth.needs('admin')

  const view = (r: IntegrationRecord) => ({
    id: r.id,
    name: r.name,
    integration_type: r.integration_type,
    config: r.config,
    credentials_hint: r.credentials_hint,
    enabled: r.enabled,
    filters: r.filters,
    created_at: r.created_at,
    updated_at: r.updated_at,
    stats: forwarder.stats(r.id),
  })

  const scope = (request: FastifyRequest) => auth.orgScope(request)
  const load = async (request: FastifyRequest): Promise<IntegrationRecord> => {
    const { id } = request.params as { id: string }
    const r = await store.integrations.get(id, scope(request))
    if (!r) throw new HttpError(404, 'not_found', 'no such integration')
    return r
  }
  const open = (r: IntegrationRecord): Record<string, string> => {
    if (!r.credentials_encrypted) return {}
    if (!sealer) throw noSecret()
    return sealer.open(r.credentials_encrypted)
  }

  app.post(
    '/api/logs/integrations',
    {
      preHandler: admin,
      schema: {
        summary: 'add an integration (forwarding to a vendor); needs the admin scope',
        body: {
          type: 'object',
          required: ['name', 'integration_type'],
          properties: {
            name: { type: 'string' },
            integration_type: { type: 'string' },
            config: { type: 'object' },
            credentials: { type: 'object' },
            enabled: { type: 'boolean' },
            filters: filtersSchema,
          },
        },
      },
    },
    timed(ctx, 'integrations_create', async (request, reply) => {
      const body = request.body as Record<string, unknown>
      const name = checkName(body['name'])
      const type = checkType(body['integration_type'])
      const config = body['config'] ?? {}
      const credentials = checkCredentials(body['credentials'] ?? {})
      const filters = checkFilters(body['filters'])
      await checkSettings(type, config, credentials)
      const has = Object.keys(credentials).length > 0
      if (has && !sealer) throw noSecret()
      const record = await store.integrations.create({
        org_id: request.principal?.org_id ?? null,
        name,
        integration_type: type,
        config: config as Record<string, unknown>,
        credentials_encrypted: has ? sealer!.seal(credentials) : null,
        credentials_hint: credentialsHint(credentials),
        enabled: body['enabled'] !== false,
        filters,
      })
      await forwarder.update(record.id, record)
      reply.code(201)
      return view(record)
    }),
  )

  app.get(
    '/api/logs/integrations',
    { preHandler: read, schema: { summary: 'integrations, newest first, with delivery stats' } },
    timed(ctx, 'integrations_list', async (request) => ({
      integrations: (await store.integrations.list(scope(request))).map(view),
    })),
  )

  app.get(
    '/api/logs/integrations/:id',
    { preHandler: read, schema: { summary: 'one integration', params: idParam } },
    timed(ctx, 'integrations_get', async (request) => view(await load(request))),
  )

  app.patch(
    '/api/logs/integrations/:id',
    {
      preHandler: admin,
      schema: {
        summary: 'change an integration; needs the admin scope',
        params: idParam,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            config: { type: 'object' },
            credentials: { type: 'object' },
            enabled: { type: 'boolean' },
            filters: filtersSchema,
          },
        },
      },
    },
    timed(ctx, 'integrations_update', async (request) => {
      const current = await load(request)
      const body = (request.body ?? {}) as Record<string, unknown>
      const type = current.integration_type as VendorType
      const patch: Parameters<typeof store.integrations.update>[1] = {}
      if (body['name'] !== undefined) patch.name = checkName(body['name'])
      if (body['filters'] !== undefined) patch.filters = checkFilters(body['filters'])
      if (body['enabled'] !== undefined) patch.enabled = body['enabled'] === true
      const newCredentials =
        body['credentials'] !== undefined ? checkCredentials(body['credentials']) : undefined
      if (body['config'] !== undefined || newCredentials !== undefined) {
        const config = body['config'] ?? current.config
        const credentials = newCredentials ?? open(current)
        await checkSettings(type, config, credentials)
        if (body['config'] !== undefined) patch.config = config as Record<string, unknown>
        if (newCredentials !== undefined) {
          const has = Object.keys(newCredentials).length > 0
          if (has && !sealer) throw noSecret()
          patch.credentials_encrypted = has ? sealer!.seal(newCredentials) : null
          patch.credentials_hint = credentialsHint(newCredentials)
        }
      }
      const record = await store.integrations.update(current.id, patch, scope(request))
      if (!record) throw new HttpError(404, 'not_found', 'no such integration')
      await forwarder.update(record.id, record)
      return view(record)
    }),
  )

  app.delete(
    '/api/logs/integrations/:id',
    { preHandler: admin, schema: { summary: 'delete an integration', params: idParam } },
    timed(ctx, 'integrations_delete', async (request, reply) => {
      const { id } = request.params as { id: string }
      if (!(await store.integrations.delete(id, scope(request))))
        throw new HttpError(404, 'not_found', 'no such integration')
      await forwarder.update(id, undefined)
      reply.code(204)
      return null
    }),
  )

  app.post(
    '/api/logs/integrations/:id/test',
    {
      preHandler: admin,
      schema: {
        summary: 'send one test event (one attempt) and answer what the destination said',
        params: idParam,
      },
    },
    timed(ctx, 'integrations_test', async (request) => {
      const record = await load(request)
      return testIntegration(record, open(record))
    }),
  )
}
