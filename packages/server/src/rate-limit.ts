// Per-key rate limits (`@fastify/rate-limit`): one bucket per key for ingest and one for reads.
// Registered inside a route plugin, the limiter applies to that plugin's routes, which share
// its counters.
import { createHash } from 'node:crypto'
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { HttpError } from './http-error.js'
import type { RateLimitWindow } from './types.js'

/**
 * The bucket of a request: its credential's hash (verified or not: a wrong key is one bucket
 * too, and is answered 401), else the client address.
 */
function bucket(request: FastifyRequest): string {
  const auth = request.headers.authorization ?? request.headers['x-api-key']
  return typeof auth === 'string' && auth !== ''
    ? 'k:' + createHash('sha256').update(auth).digest('base64url')
    : 'a:' + request.ip
}

/** Limit the routes registered after this call in `app` to `limit` (nothing when undefined). */
export async function limitRate(
  app: FastifyInstance,
  limit: RateLimitWindow | undefined,
): Promise<void> {
  if (!limit) return
  await app.register(fastifyRateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.timeWindowMs,
    keyGenerator: bucket,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        'rate_limited',
        `more than ${context.max} requests in ${context.after} for this key; retry later`,
        { retryAfter: Math.max(1, Math.ceil(context.ttl / 1000)) },
      ),
  })
}
