import { setTimeout as sleep } from 'node:timers/promises'
import { withBindings } from '@threadline/core'
import type { Logger } from '@threadline/core'

/** A fake tool call that fails, the way a real one does now and then. */
async function lookupOrder(orderId: string): Promise<never> {
  await sleep(5)
  throw new Error(`order ${orderId} not found in billing`)
}

/**
 * One support-bot request, end to end: an HTTP span around retrieval, an LLM
 * call with tokens and cost, a failing tool call, and a log line carrying a
 * secret that must never reach an exporter.
 */
export async function runDemo(log: Logger): Promise<{ traceId: string }> {
  let traceId = ''
  log.auth('login', { user_id: 'u-123', org_id: 'acme', method: 'password' })
  await withBindings(
    { user_id: 'u-123', org_id: 'acme', session_id: 'chat-42', request_id: 'req-7f3a' },
    () =>
      log.span(
        'POST /api/chat',
        async (request) => {
          traceId = request.trace_id
          request.set({
            category: 'http',
            event: 'request',
            http: { method: 'POST', route: '/api/chat', path: '/api/chat' },
          })
          log.info('question received', { question_chars: 48 })

          await log.span(
            'retrieve documents',
            async (s) => {
              await sleep(12)
              s.set({
                category: 'retrieval',
                event: 'search',
                resource_type: 'kb',
                action: 'search',
              })
              log.info('retrieved documents', { hits: 3, top_score: 0.87, index: 'support-kb' })
            },
            { kind: 'retriever' },
          )

          await log.span(
            'chat gpt-4o-mini',
            async (s) => {
              const started = performance.now()
              await sleep(25)
              const ttft = performance.now() - started
              await sleep(15)
              const usage = {
                model: 'gpt-4o-mini',
                provider: 'openai',
                input_tokens: 1840,
                output_tokens: 212,
                cache_read_tokens: 1024,
              }
              s.set({
                category: 'llm',
                event: 'generation',
                llm: { ...usage, ttft_ms: Math.round(ttft) },
              })
              log.generation({
                ...usage,
                ttft_ms: Math.round(ttft),
                duration_ms: Math.round(performance.now() - started),
                prompt: 'You are a support assistant. Where is my order #A-1001?',
                completion: 'Let me look that order up for you.',
              })
            },
            { kind: 'llm' },
          )

          await log
            .span('tool lookup_order', () => lookupOrder('A-1001'), {
              kind: 'tool',
              attributes: { 'gen_ai.tool.name': 'lookup_order' },
            })
            .catch((err: unknown) => log.warn('tool failed, answering without it', { err }))

          // the API key, the URL password and the card number are redacted in core, before any exporter
          log.info('calling billing API', {
            api_key: 'sk-proj-Xy12Ab34Cd56Ef78Gh90Ij12Kl34Mn56',
            endpoint: 'https://svc:hunter2@billing.internal/v1/refunds',
            note: 'customer pasted card 4111 1111 1111 1111 in chat',
          })
          request.set({
            http: {
              method: 'POST',
              route: '/api/chat',
              path: '/api/chat',
              status_code: 200,
              outcome: 'completed',
            },
          })
        },
        { kind: 'server' },
      ),
  )
  log.audit('read', {
    user_id: 'u-123',
    org_id: 'acme',
    resource_type: 'order',
    resource_id: 'A-1001',
  })
  return { traceId }
}

/** The secrets `runDemo` logs; none of them may appear in any output. */
export const DEMO_SECRETS = [
  'sk-proj-Xy12Ab34Cd56Ef78Gh90Ij12Kl34Mn56',
  'hunter2',
  '4111 1111 1111 1111',
]
