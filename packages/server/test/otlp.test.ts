// OpenTelemetry SDKs pointed at a real Threadline server: what they send is stored,
// queryable and joined into one trace.
import { context, SeverityNumber, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { createStore, type Store } from '@threadline/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type ThreadlineServer } from '../src/index.js'

describe('OTLP/HTTP JSON from the OpenTelemetry SDK into the server', () => {
  let store: Store
  let server: ThreadlineServer
  let url: string
  beforeAll(async () => {
    store = await createStore({ dataDir: 'memory' })
    server = await createServer({ store, port: 0 })
    url = await server.listen()
  }, 60_000)
  afterAll(async () => {
    await server.close()
    await store.close()
  })

  it('stores spans and logs as one trace, with tokens, errors and redaction', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'otel-app' })
    const tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({
            url: `${url}/v1/traces`,
            compression: 'gzip' as never,
          }),
        }),
      ],
    })
    const loggerProvider = new LoggerProvider({
      resource,
      processors: [
        new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${url}/v1/logs` }) }),
      ],
    })
    const tracer = tracerProvider.getTracer('test')
    const root = tracer.startSpan('GET /answers/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/answers/:id',
        'enduser.id': 'u-otel',
      },
    })
    const rootCtx = trace.setSpan(context.active(), root)
    const llm = tracer.startSpan(
      'chat',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 200,
          'gen_ai.usage.output_tokens': 50,
        },
      },
      rootCtx,
    )
    llm.recordException(new Error('upstream overloaded'))
    llm.setStatus({ code: SpanStatusCode.ERROR })
    loggerProvider.getLogger('test').emit({
      context: trace.setSpan(rootCtx, llm),
      severityNumber: SeverityNumber.ERROR,
      body: 'completion failed',
      attributes: { api_key: 'sk-live-abcdefghijklmnopqrstuvwxyz0123' },
    })
    llm.end()
    root.setAttribute('http.response.status_code', 502)
    root.end()
    await tracerProvider.forceFlush()
    await loggerProvider.forceFlush()
    await tracerProvider.shutdown()
    await loggerProvider.shutdown()

    const traceId = root.spanContext().traceId
    const t = (await store.trace(traceId))!
    expect(t.services).toEqual(['otel-app'])
    expect(t.span_count).toBe(2)
    expect(t.roots[0]!.span).toMatchObject({
      name: 'GET /answers/:id',
      span_kind: 'server',
      user_id: 'u-otel',
    })
    const child = t.roots[0]!.children[0]!
    expect(child.span).toMatchObject({ span_kind: 'llm', status: 'error', category: 'llm' })
    expect(child.span.error?.message).toBe('upstream overloaded')
    expect(child.logs.map((l) => l.message)).toEqual(['completion failed'])
    expect(t.input_tokens).toBe(200)
    expect(JSON.stringify(t.events)).not.toContain('sk-live-abcdefghijklmnopqrstuvwxyz0123')

    const metrics = (await server.app.inject({ url: '/metrics' })).body
    expect(metrics).toMatch(
      /threadline_ingest_events_total\{source="otlp_traces",outcome="accepted"\} 2/,
    )
    expect(metrics).toMatch(
      /threadline_ingest_events_total\{source="otlp_logs",outcome="accepted"\} 1/,
    )
  })

  it('reports partial success for bad records and keeps the good ones', async () => {
    const good = {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'ok',
      startTimeUnixNano: String(Date.now() * 1e6),
      endTimeUnixNano: String((Date.now() + 5) * 1e6),
    }
    const bad = { ...good, spanId: 'xyz' }
    const r = await server.app.inject({
      method: 'POST',
      url: '/v1/traces',
      payload: {
        resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [good, bad] }] }],
      },
    })
    expect(r.statusCode).toBe(200)
    expect(r.json().partialSuccess).toMatchObject({ rejectedSpans: 1 })
    expect(r.json().partialSuccess.errorMessage).toMatch(/spanId/)
    expect(await store.trace('a'.repeat(32))).toBeDefined()
    const shape = await server.app.inject({
      method: 'POST',
      url: '/v1/logs',
      payload: { resourceLogs: 5 },
    })
    expect(shape.statusCode).toBe(400)
    expect(shape.json().message).toMatch(/resourceLogs/)
  })
})
