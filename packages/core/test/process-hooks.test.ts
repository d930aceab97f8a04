import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// These run a real child process against the built package (`pnpm build` first;
// the root test command does).
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'tl-hooks-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function child(
  mode: string,
  extra = '',
): Promise<{
  code: number | null
  signal: NodeJS.Signals | null
  lines: string[]
  stdout: string
}> {
  const file = join(dir, `${mode}.jsonl`)
  const script = join(dir, `${mode}.mjs`)
  writeFileSync(
    script,
    `import { createLogger, fileExporter } from ${JSON.stringify(pathToFileURL(dist).href)}
const log = createLogger({ service: 'child', exporters: [fileExporter({ path: ${JSON.stringify(file)}, gzip: false })], batch: { flushIntervalMs: 60000, maxBatchSize: 100000 } })
for (let i = 0; i < 1000; i++) log.info('line', { i })
${extra}
const mode = ${JSON.stringify(mode)}
if (mode === 'sigterm' || mode === 'sigterm-own-handler') { process.stdout.write('ready\\n'); setInterval(() => {}, 1000) }
if (mode === 'exit') process.exit(0)
`,
  )
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
      if (stdout.includes('ready') && !p.killed) p.kill('SIGTERM')
    })
    p.on('error', reject)
    p.on('exit', (code, signal) => {
      const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
      resolve({ code, signal, lines, stdout })
    })
  })
}

describe.runIf(existsSync(dist))('process hooks (built package)', () => {
  it('drains on SIGTERM, then dies of the signal as it would have', async () => {
    const r = await child('sigterm')
    expect(r.lines).toHaveLength(1000)
    expect(r.signal).toBe('SIGTERM')
  })

  it('drains on SIGTERM and leaves exiting to the app when it has its own handler', async () => {
    const r = await child(
      'sigterm-own-handler',
      `process.on('SIGTERM', () => setTimeout(() => { process.stdout.write('app handled\\n'); process.exit(3) }, 200))`,
    )
    expect(r.lines).toHaveLength(1000)
    expect(r.code).toBe(3)
    expect(r.stdout).toContain('app handled')
  })

  it('writes what is queued synchronously on process.exit()', async () => {
    const r = await child('exit')
    expect(r.code).toBe(0)
    expect(r.lines).toHaveLength(1000)
  })

  it('drains on beforeExit when the app just ends', async () => {
    const r = await child('natural')
    expect(r.code).toBe(0)
    expect(r.lines).toHaveLength(1000)
    expect(JSON.parse(r.lines[999]!).attributes.i).toBe(999)
  })
})

it('the built package exists (run the build before the tests)', () => {
  expect(existsSync(dist), `${dist} is missing: run \`pnpm build\``).toBe(true)
})
