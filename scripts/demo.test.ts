import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// Runs the README's demo end to end against the built apps (the root test
// command builds first).
const script = fileURLToPath(new URL('./demo.mjs', import.meta.url))
const built = ['core-demo', 'express-demo', 'fastify-demo', 'nestjs-demo', 'langchain-demo'].map(
  (a) => fileURLToPath(new URL(`../apps/${a}/dist/main.js`, import.meta.url)),
)

it('the demo shows one request crossing three services under one trace id', () => {
  for (const f of built) expect(existsSync(f), `${f} is missing: run the build first`).toBe(true)
  const r = spawnSync(process.execPath, [script], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, THREADLINE_DIAG: 'warn' },
  })
  const out = r.stdout + r.stderr
  expect(r.status, out).toBe(0)
  expect(out).toContain('secrets found in the file: none')
  const traceId = /traceparent: 00-([0-9a-f]{32})-/.exec(out)?.[1]
  expect(traceId).toBeDefined()
  for (const name of ['express-demo', 'fastify-demo', 'nestjs-demo']) {
    expect(out).toMatch(
      new RegExp(`${name}\\s+│ .*\\[${traceId!.slice(0, 8)}/[0-9a-f]{6}\\] http\\.request server`),
    )
  }
  expect(out).toContain('one request, one trace id, three services')
  expect(out).toMatch(/langchain-demo\s*│ .*generation_complete/)
  expect(out).toContain(
    'one RAG query, one trace: HTTP -> chain -> retriever -> LLM, with tokens and cost',
  )
}, 150_000)
