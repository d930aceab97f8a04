// The README's demo: the core demo, three services in one trace, then a RAG query.
//   node scripts/demo.mjs        (after `pnpm build`; `pnpm demo` does both)
// Starts nestjs-demo, fastify-demo (calling nestjs-demo) and express-demo
// (calling fastify-demo) on free ports, sends one request to express-demo that
// crosses all three, and shows that request's trace id in each service's
// output. Ctrl-C stops everything. Exits non-zero if a service misses the trace.
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tty = Boolean(process.stdout.isTTY)
const paint = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s)
const children = []

function run(file) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, file)], { stdio: 'inherit' })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}`)),
    )
  })
}

/** Start one demo service; resolves with its URL and the lines it printed so far (kept growing). */
function service(name, color, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'apps', name, 'dist', 'main.js')], {
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    const lines = []
    let pending = ''
    let url
    const onData = (chunk) => {
      pending += chunk
      let nl
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        lines.push(line)
        process.stdout.write(`${paint(color, name.padEnd(14))}│ ${line}\n`)
        const m = !url && /listening on (http:\/\/[^\s"]+)/.exec(line)
        if (m) {
          url = m[1]
          resolve({ name, url, lines, child })
        }
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.stderr.setEncoding('utf8').on('data', onData)
    child.on('error', reject)
    child.on('exit', (code) => {
      if (!url) reject(new Error(`${name} exited (${code}) before listening`))
    })
  })
}

function stopAll() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
  return Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
  )
}

process.on('SIGINT', () => {
  void stopAll().then(() => process.exit(130))
})

let failed = false
try {
  console.log(
    paint('1', '\n== 1. core: one support-bot request, nested spans, LLM cost, redaction ==\n'),
  )
  await run('apps/core-demo/dist/main.js')

  console.log(
    paint(
      '1',
      '\n== 2. three services, one trace: express-demo -> fastify-demo -> nestjs-demo ==\n',
    ),
  )
  const nest = await service('nestjs-demo', '35', {})
  const fastify = await service('fastify-demo', '36', {
    DOWNSTREAM_URL: `${nest.url}/orders/1/shipping`,
  })
  const express = await service('express-demo', '33', {
    DOWNSTREAM_URL: `${fastify.url}/products/beans-1kg/availability`,
  })

  const res = await fetch(`${express.url}/checkout/1`)
  const body = await res.text()
  const traceparent = res.headers.get('traceparent') ?? ''
  const traceId = traceparent.split('-')[1] ?? ''
  await new Promise((r) => setTimeout(r, 500)) // console exporters flush every 50 ms

  console.log(paint('1', `\nGET ${express.url}/checkout/1 -> ${res.status}`))
  console.log(`  response:    ${body.slice(0, 200)}`)
  console.log(`  traceparent: ${traceparent}`)
  console.log(paint('1', `\nthe trace ${traceId} in each service's output:`))
  const short = traceId.slice(0, 8)
  for (const s of [express, fastify, nest]) {
    const hits = s.lines.filter((l) => short && (l.includes(`[${short}`) || l.includes(traceId)))
    console.log(`  ${s.name.padEnd(14)} ${hits.length} line(s)`)
    for (const l of hits) console.log(`    ${l}`)
    if (hits.length === 0) failed = true
  }
  if (!traceId || res.status !== 200) failed = true
  console.log(
    failed
      ? paint('31', '\nsome service did not show the trace')
      : paint('32', '\none request, one trace id, three services'),
  )

  console.log(
    paint(
      '1',
      '\n== 3. a RAG query behind Express: retrieval, rerank, streaming generation, evaluation, memory ==\n',
    ),
  )
  const rag = await service('langchain-demo', '32', {})
  const q = await fetch(`${rag.url}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      question: 'How long does express shipping take?',
      session_id: 'demo-1',
    }),
  })
  const answer = await q.json()
  const ragTrace = (q.headers.get('traceparent') ?? '').split('-')[1] ?? ''
  await new Promise((r) => setTimeout(r, 500))
  const ragLines = rag.lines.filter((l) => ragTrace && l.includes(`[${ragTrace.slice(0, 8)}`))
  console.log(paint('1', `\nPOST ${rag.url}/query -> ${q.status}`))
  console.log(`  answer:  ${String(answer.answer).slice(0, 160)}`)
  console.log(
    `  trace ${ragTrace}: ${ragLines.length} lines in langchain-demo's output, among them`,
  )
  for (const l of ragLines.filter((x) => /generation_complete|evaluation_complete/.test(x)))
    console.log(`    ${l}`)
  if (q.status !== 200 || ragLines.length === 0) failed = true
  console.log(
    failed
      ? paint('31', '\nthe RAG query did not show its trace')
      : paint(
          '32',
          '\none RAG query, one trace: HTTP -> chain -> retriever -> LLM, with tokens and cost',
        ),
  )
} catch (err) {
  failed = true
  console.error(err)
} finally {
  await stopAll()
}
process.exit(failed ? 1 : 0)
