import { describe, expect, it } from 'vitest'
import { createTestLogger } from '@threadline/test-utils'
import { DEMO_SECRETS, runDemo } from './demo.js'

describe('core demo', () => {
  it('produces one trace with nested spans, an LLM event with cost, an error, and no secret', async () => {
    const t = createTestLogger({ service: 'support-bot' })
    const { traceId } = await runDemo(t.logger)
    const events = await t.events()
    const trace = events.filter((e) => e.trace_id === traceId)
    const spans = trace.filter((e) => e.kind === 'span')
    expect(spans.map((s) => [s.name, s.span_kind, s.status])).toEqual([
      ['retrieve documents', 'retriever', 'ok'],
      ['chat gpt-4o-mini', 'llm', 'ok'],
      ['tool lookup_order', 'tool', 'error'],
      ['POST /api/chat', 'server', 'ok'],
    ])
    const root = spans[3]!
    for (const s of spans.slice(0, 3)) expect(s.parent_span_id).toBe(root.span_id)
    const gen = trace.find((e) => e.event === 'generation' && e.kind === 'log')!
    expect(gen.cost_usd).toBeGreaterThan(0)
    expect(gen.llm).toMatchObject({
      model: 'gpt-4o-mini',
      input_tokens: 1840,
      output_tokens: 212,
      cache_read_tokens: 1024,
    })
    expect(spans[2]?.error?.message).toBe('order A-1001 not found in billing')
    for (const e of trace)
      expect(e).toMatchObject({ user_id: 'u-123', org_id: 'acme', session_id: 'chat-42' })
    const all = t.exporter.lines.join('\n')
    for (const s of DEMO_SECRETS) expect(all).not.toContain(s)
    expect(events.filter((e) => e.category === 'auth' || e.category === 'audit')).toHaveLength(2)
  })
})
