// Exports: streamed (`POST /api/logs/export`) or as a background job with a download.
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { StoreQueryError, type ExportOptions } from '@threadline/store'
import type { FastifyInstance } from 'fastify'
import { timed, type ServerContext } from '../context.js'
import { HttpError } from '../http-error.js'
import { limitRate } from '../rate-limit.js'
import { exportChunks, type OutputFormat } from '../jobs.js'
import { bodyQuery } from '../params.js'
import { EXPORT_OPTIONS, idParams, queryBodySchema } from '../schemas.js'

const EXPORT_FORMATS = new Set<OutputFormat>(['csv', 'jsonl', 'json'])
const CONTENT_TYPES: Record<OutputFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
  json: 'application/json',
}
const MAX_EXPORT_JOBS_PER_ORG = 2

export async function exportRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  await limitRate(app, ctx.rateLimit ? ctx.rateLimit.query : undefined)
  const { store, jobs, auth } = ctx
  const preHandler = auth.needs('read')

  app.post(
    '/api/logs/export',
    {
      preHandler,
      schema: {
        summary: 'export events (streamed, or as a job)',
        body: queryBodySchema(EXPORT_OPTIONS),
      },
    },
    timed(ctx, 'export', async (request, reply) => {
      const { format = 'csv', mode: exportMode = 'stream', ...q } = bodyQuery(request.body)
      if (!EXPORT_FORMATS.has(format as OutputFormat))
        throw new StoreQueryError('format', 'expected csv, jsonl or json')
      if (exportMode !== 'stream' && exportMode !== 'job')
        throw new StoreQueryError('mode', 'expected stream or job')
      const filters = auth.scoped(request, q as ExportOptions)
      const org = request.principal?.org_id
      // Every option is checked here, before answering: a bad one is a 400, not a broken stream.
      const source = exportChunks(store, filters, format as OutputFormat)
      if (exportMode === 'job') {
        void source.return(undefined) // never started: holds nothing
        if (jobs.running(org) >= MAX_EXPORT_JOBS_PER_ORG)
          throw new HttpError(429, 'too_many_exports', 'two exports are already running', {
            retryAfter: 10,
          })
        const job = jobs.start(store, org, filters, format as OutputFormat)
        reply.code(202)
        return { id: job.id, status: job.status, status_url: `/api/logs/export/${job.id}` }
      }
      reply.header('content-type', CONTENT_TYPES[format as OutputFormat])
      reply.header('content-disposition', `attachment; filename="events.${format}"`)
      // A stream with backpressure: one page of rows is read only when the socket drains.
      return reply.send(
        Readable.from(
          (async function* () {
            for await (const chunk of source) yield chunk.text
          })(),
          { objectMode: false },
        ),
      )
    }),
  )

  app.get<{ Params: { id: string }; Querystring: { download?: string } }>(
    '/api/logs/export/:id',
    {
      preHandler,
      schema: {
        summary: "an export job's progress, or with ?download its file",
        params: idParams('id', 'the job id'),
        querystring: {
          type: 'object',
          properties: { download: { type: 'string', description: 'fetch the file (no value)' } },
        },
      },
    },
    async (request, reply) => {
      const job = jobs.get(request.params.id, request.principal?.org_id)
      if (!job) throw new HttpError(404, 'not_found', 'no such export job')
      const { path: _path, org_id: _org, ...status } = job
      if (request.query.download === undefined)
        return {
          ...status,
          download_url: job.status === 'done' ? `/api/logs/export/${job.id}?download` : null,
        }
      if (job.status !== 'done')
        throw new HttpError(409, 'not_ready', `the export is ${job.status}`)
      reply.header('content-type', CONTENT_TYPES[job.format])
      reply.header('content-disposition', `attachment; filename="events.${job.format}"`)
      return reply.send(createReadStream(job.path))
    },
  )
}
