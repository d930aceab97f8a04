// The README's demo, on the embedded default store.
//   node scripts/demo.mjs        (after `pnpm build`; `pnpm demo` does both)
// 1. The core demo (spans, LLM cost, redaction) on its own.
// 2. `threadline serve` on PGlite under .threadline/demo/data (wiped first;
//    THREADLINE_DEMO_DATA moves it).
// 3. express-demo -> fastify-demo -> nestjs-demo and langchain-demo on free ports, each
//    sending its events to the server (THREADLINE_URL) as well as to its console.
// 4. A scripted workload: cross-service checkouts, a failing refund, a slow report, RAG
//    queries and an agent run; one checkout's trace id is shown in each service's output.
// 5. From the store: services, events stored, one request's waterfall (`threadline trace`),
//    errors grouped, cost by model, and the console's and the API's URLs.
// On a terminal it then keeps running until Ctrl-C; otherwise it stops. Exits non-zero when
// something is missing.
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tty = Boolean(process.stdout.isTTY)
const paint = (code, s) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s)
const children = []

function run(file, args = [], stdio = 'inherit') {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, file), ...args], { stdio })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}`)),
    )
  })
}

/** Start one process; resolves with its URL and the lines it printed so far (kept growing). */
function service(name, color, env, file = join(root, 'apps', name, 'dist', 'main.js'), args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], {
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

/** Stop in reverse start order: the services flush their last events before the server goes. */
async function stopAll() {
  for (const c of [...children].reverse()) {
    if (c.exitCode !== null) continue
    const exited = new Promise((r) => c.once('exit', r))
    c.kill('SIGTERM')
    await exited
  }
}

let stopping
process.on('SIGINT', () => {
  stopping ??= stopAll().then(() => process.exit(0))
})

/** The `threadline` CLI against the running server; resolves with what it printed. */
async function cli(server, args) {
  const child = spawn(
    process.execPath,
    [join(root, 'packages/server/bin/threadline.js'), ...args, '--server', server, '--no-color'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d))
  child.stderr.setEncoding('utf8').on('data', (d) => (out += d))
  await new Promise((r) => child.on('exit', r))
  return out
}

const api = async (server, path, body) => {
  const res = await fetch(server + path, {
    method: body ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  })
  return res.json()
}

/** Poll `check` until it returns true (events reach the server within a second or two). */
async function until(check, ms = 20_000) {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 250))
  }
  return false
}

let failed = false
const section = (title) => console.log(paint('1', `\n== ${title} ==\n`))
try {
  section('1. core: one support-bot request, nested spans, LLM cost, redaction')
  await run('apps/core-demo/dist/main.js')

  section('2. the Threadline server on the embedded store (PGlite)')
  const dataDir = process.env.THREADLINE_DEMO_DATA || join(root, '.threadline', 'demo', 'data')
  rmSync(dataDir, { recursive: true, force: true })
  const server = await service(
    'threadline',
    '34',
    {},
    join(root, 'packages/server/bin/threadline.js'),
    ['serve', '--port', '0', '--data-dir', dataDir],
  )
  const env = { THREADLINE_URL: server.url }

  section('3. four services sending their events to it')
  const nest = await service('nestjs-demo', '35', env)
  const fastify = await service('fastify-demo', '36', {
    ...env,
    DOWNSTREAM_URL: `${nest.url}/orders/1/shipping`,
  })
  const express = await service('express-demo', '33', {
    ...env,
    DOWNSTREAM_URL: `${fastify.url}/products/beans-1kg/availability`,
  })
  const rag = await service('langchain-demo', '32', env)

  section('4. a scripted workload')
  const users = ['u-ada', 'u-grace', 'u-linus']
  const checkouts = []
  for (const [i, user] of users.entries()) {
    const res = await fetch(`${express.url}/checkout/1`, {
      headers: { 'x-user-id': user, 'x-org-id': 'acme' },
    })
    await res.text()
    checkouts.push({ status: res.status, traceparent: res.headers.get('traceparent') ?? '' })
    console.log(
      `  GET /checkout/1 as ${user} -> ${res.status}` +
        (i === 0 ? ' (crosses three services)' : ''),
    )
  }
  const refund = await fetch(`${express.url}/orders/1/refund`, { method: 'POST' })
  console.log(`  POST /orders/1/refund -> ${refund.status} (fails on purpose)`)
  await refund.text()
  const slow = await fetch(`${express.url}/reports/daily`)
  console.log(`  GET /reports/daily -> ${slow.status} (slow)`)
  await slow.text()
  const questions = ['How long does express shipping take?', 'Can I return opened coffee beans?']
  let ragTrace = ''
  for (const question of questions) {
    const q = await fetch(`${rag.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-id': 'u-ada' },
      body: JSON.stringify({ question, session_id: 'demo-1' }),
    })
    const answer = await q.json()
    ragTrace ||= (q.headers.get('traceparent') ?? '').split('-')[1] ?? ''
    console.log(`  POST /query "${question}" -> ${q.status}: ${String(answer.answer).slice(0, 90)}`)
    if (q.status !== 200) failed = true
  }
  const agent = await fetch(`${rag.url}/agent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'Where is my order 1001?', session_id: 'demo-2' }),
  })
  console.log(`  POST /agent "Where is my order 1001?" -> ${agent.status}`)
  await agent.text()

  const traceparent = checkouts[0].traceparent
  const traceId = traceparent.split('-')[1] ?? ''
  console.log(`  traceparent: ${traceparent}`)
  console.log(paint('1', `\nthe trace ${traceId} in each service's output:`))
  const short = traceId.slice(0, 8)
  for (const s of [express, fastify, nest]) {
    const hits = s.lines.filter((l) => short && (l.includes(`[${short}`) || l.includes(traceId)))
    console.log(`  ${s.name.padEnd(14)} ${hits.length} line(s), e.g. ${hits[0] ?? '-'}`)
    if (hits.length === 0) failed = true
  }
  if (!traceId || checkouts.some((c) => c.status !== 200)) failed = true
  console.log(
    failed
      ? paint('31', '\nsome service did not show the trace')
      : paint('32', '\none request, one trace id, three services'),
  )

  section('5. what the store holds')
  // Exporters batch for up to a second: wait until the checkout trace has all three services.
  const arrived = await until(async () => {
    const t = await api(server.url, `/api/logs/trace/${traceId}`)
    const ragSeen = await api(server.url, '/api/logs/query', { trace_id: ragTrace, limit: 1 })
    return t.services?.length === 3 && ragSeen.events?.length > 0
  })
  if (!arrived) failed = true
  const byService = await api(server.url, '/api/stats?group_by=service')
  const total = (await api(server.url, '/api/logs/query', { limit: 1, with_total: true })).total
  console.log(`events stored: ${total}`)
  for (const s of byService.stats ?? [])
    console.log(
      `  ${String(s.group.service).padEnd(16)} ${String(s.count).padStart(5)} events, ${s.error_count} errors`,
    )
  console.log(paint('1', `\nthreadline trace ${traceId}`))
  const waterfall = await cli(server.url, ['trace', traceId])
  console.log(waterfall.trimEnd())
  console.log(paint('1', `\nthreadline trace ${ragTrace} (a RAG query)`))
  console.log((await cli(server.url, ['trace', ragTrace])).trimEnd())
  console.log(paint('1', '\nthreadline errors'))
  console.log((await cli(server.url, ['errors'])).trimEnd())
  console.log(paint('1', '\nthreadline stats --by model --kind span --category llm'))
  console.log(
    (
      await cli(server.url, ['stats', '--by', 'model', '--kind', 'span', '--category', 'llm'])
    ).trimEnd(),
  )
  // the web console is served by the same server: check it answers, then say where to look
  const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } })
  const html = await page.text()
  if (!page.ok || !html.includes('id="app"')) {
    failed = true
    console.log(paint('31', `the console did not answer at ${server.url}/ (${page.status})`))
  }
  console.log(paint('1', `\nthe console: ${server.url}/`))
  console.log(`  overview     ${server.url}/?range=1h`)
  console.log(`  a trace      ${server.url}/traces/${traceId}`)
  console.log(`  errors       ${server.url}/errors?range=1h`)
  console.log(`  LLM sessions ${server.url}/sessions?range=1h`)
  console.log(paint('1', `\nthe API: ${server.url}`))
  console.log(
    `  curl -s -X POST ${server.url}/api/logs/query -H 'content-type: application/json' -d '{"filters":{"severities":["error"]},"limit":5}'`,
  )
  console.log(`  curl -s ${server.url}/api/logs/trace/${traceId}`)
  console.log(`  node packages/server/bin/threadline.js trace ${traceId} --server ${server.url}`)
  if (!waterfall.includes(traceId)) failed = true
  console.log(
    failed
      ? paint('31', '\nthe store is missing part of the workload')
      : paint('32', '\nevery service, one store: traces, errors, tokens and cost in one place'),
  )
  if (process.stdin.isTTY && !failed) {
    console.log(paint('1', '\nstill running: try the commands above; Ctrl-C stops everything'))
    await new Promise(() => {})
  }
} catch (err) {
  failed = true
  console.error(err)
} finally {
  await (stopping ?? stopAll())
}
process.exit(failed ? 1 : 0)
