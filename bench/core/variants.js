// The logger set-ups under test. Each variant's `create(file)` returns
//   { emit(record), end(): Promise<void>, run?(fn), lines?(): number, firstLine?(): string }
// `emit` logs one record at info level with the trace context injected the way a
// user of that library would; `end` resolves once everything emitted has reached
// the sink (file written and closed, or the null sink called). `run`, when given,
// wraps the whole emit loop (Threadline's context scope). File variants write to
// `file` and are line-counted by the harness; 'null'/'noop' variants count their own
// lines where the sink allows it (not pino's /dev/null destination).
//
// Libraries are imported lazily so a process only loads the logger it measures.

import { closeSync, openSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import process from 'node:process'
import { Writable } from 'node:stream'

import { pathToFileURL } from 'node:url'

import { MSG, SPAN_ID, TRACE_ID } from './records.js'

/**
 * The `*@before` variants load another build of core (CORE_BEFORE: the path of its
 * `dist/index.js`, for example from a `git worktree` of an older commit), so a change
 * and what it replaced run side by side in one run.
 */
function beforeCore() {
  const path = process.env.CORE_BEFORE
  if (!path) throw new Error('the @before variants need CORE_BEFORE=<older core>/dist/index.js')
  return path
}

const PINO_REDACT_PATHS = ['metadata.api_key', 'authorization']
const BATCH_BYTES = 64 * 1024

// ---------------------------------------------------------------- pino

async function pinoVariant({ sink, redact }) {
  const { default: pino } = await import('pino')
  return {
    sink,
    create(file) {
      let lines = 0
      let first
      // 'noop': a plain object stream whose write() drops the line (the JS null sink,
      // like threadline-null's exporter); 'null' and 'file': sonic-boom (async).
      const dest =
        sink === 'noop'
          ? {
              write(s) {
                if (first === undefined) first = s.slice(0, -1)
                lines++
              },
            }
          : pino.destination({ dest: sink === 'file' ? file : '/dev/null', sync: false })
      const root = pino(redact ? { redact: PINO_REDACT_PATHS } : {}, dest)
      // Once per request in a real app: bindings serialized once, reused by every call.
      const log = root.child({ trace_id: TRACE_ID, span_id: SPAN_ID })
      if (sink === 'noop') {
        return {
          emit: (r) => log.info(r, MSG),
          end: async () => undefined,
          lines: () => lines,
          firstLine: () => first,
        }
      }
      return {
        emit: (r) => log.info(r, MSG),
        end: () =>
          new Promise((resolve, reject) => {
            dest.once('close', resolve)
            dest.once('error', reject)
            dest.end()
          }),
      }
    },
  }
}

// ---------------------------------------------------------------- winston

async function winstonVariant({ sink }) {
  const { default: winston } = await import('winston')
  return {
    sink,
    create(file) {
      let lines = 0
      let first
      const transport =
        sink === 'file'
          ? new winston.transports.File({ filename: file })
          : new winston.transports.Stream({
              stream: new Writable({
                write(chunk, _enc, cb) {
                  const s = String(chunk)
                  if (first === undefined) first = s.slice(0, s.indexOf('\n'))
                  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) lines++
                  cb()
                },
              }),
            })
      const log = winston.createLogger({
        level: 'info',
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
        transports: [transport],
      })
      return {
        // No per-request child: the context fields go on each call.
        emit: (r) => log.info(MSG, { trace_id: TRACE_ID, span_id: SPAN_ID, ...r }),
        async end() {
          // winston's logger.end() ends its transports while the logger may still hold
          // piped-but-unconsumed lines (backpressure) -> "write after end". Let the
          // logger's readable side drain first; the transport's 'finish' then means
          // the file stream has written everything.
          while (log.readableLength > 0) await new Promise((resolve) => setImmediate(resolve))
          await new Promise((resolve, reject) => {
            transport.once('finish', resolve)
            transport.once('error', reject)
            log.end()
          })
        },
        ...(sink === 'null' ? { lines: () => lines, firstLine: () => first } : {}),
      }
    },
  }
}

// ---------------------------------------------------------------- threadline

async function threadlineVariant({ sink, redact, before }) {
  const { createLogger, fileExporter, runWithContext } = await import(
    before ? pathToFileURL(beforeCore()).href : '@threadline/core'
  )
  return {
    sink,
    create(file) {
      let lines = 0
      let first
      const exporter =
        sink === 'file'
          ? fileExporter({ path: file, gzip: false, maxSizeBytes: 0, rotateDaily: false })
          : {
              // Receives the serialized JSON lines, like any exporter, and drops them.
              name: 'null',
              export(batch) {
                if (first === undefined && batch.length > 0) first = batch[0].json
                lines += batch.length
                return { ok: true }
              },
            }
      const log = createLogger({
        service: 'bench-core',
        level: 'info',
        exporters: [exporter],
        hookProcess: false,
        // The emit loop produces faster than a stalled disk write drains: on a loaded
        // machine the default 20,000-event queue filled (and dropped, as it should) in
        // one round. pino's destination buffers without any limit; this allows 100,000.
        ...(sink === 'file' ? { batch: { maxQueueSize: 100_000 } } : {}),
        ...(redact === undefined ? {} : { redact }),
      })
      return {
        run: (fn) => runWithContext({ trace_id: TRACE_ID, span_id: SPAN_ID }, fn),
        emit: (r) => log.info(MSG, r),
        async end() {
          const ok = await log.shutdown(120_000)
          if (!ok) throw new Error('threadline: shutdown did not complete before its deadline')
          const st = log.stats()
          const drops = { ...st.dropped }
          for (const e of st.exporters) for (const [k, v] of Object.entries(e.dropped)) drops[k] = v
          if (Object.keys(drops).length > 0)
            throw new Error(`threadline dropped events: ${JSON.stringify(drops)}`)
        },
        ...(sink === 'null' ? { lines: () => lines, firstLine: () => first } : {}),
      }
    },
  }
}

// ---------------------------------------------------------------- baselines

/** The line pino would write, built with one JSON.stringify (perf.md "Reproduce"). */
function lineBuilder() {
  const prefix =
    `{"level":30,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}` +
    `,"trace_id":"${TRACE_ID}","span_id":"${SPAN_ID}"`
  return (r) =>
    prefix +
    ',"time":' +
    Date.now() +
    ',' +
    JSON.stringify(r).slice(1, -1) +
    ',"msg":"' +
    MSG +
    '"}\n'
}

async function baselineVariant({ sink }) {
  return {
    sink,
    create(file) {
      const line = lineBuilder()
      if (sink === 'null') {
        let lines = 0
        let first
        return {
          emit(r) {
            const l = line(r)
            if (first === undefined) first = l.slice(0, -1)
            lines++
          },
          end: async () => undefined,
          lines: () => lines,
          firstLine: () => first,
        }
      }
      const fd = openSync(file, 'a')
      let buf = ''
      return {
        emit(r) {
          buf += line(r)
          if (buf.length >= BATCH_BYTES) {
            writeSync(fd, buf)
            buf = ''
          }
        },
        async end() {
          if (buf) writeSync(fd, buf)
          buf = ''
          closeSync(fd)
        },
      }
    },
  }
}

// ---------------------------------------------------------------- registry

/**
 * name -> { lib, describe, make } in report order; `make()` resolves to { sink, create }.
 * The `@before` variants exist only when CORE_BEFORE is set.
 */
export const VARIANTS = {
  'pino-file': {
    lib: 'pino',
    describe:
      'pino(pino.destination({ dest: file, sync: false })), child({trace_id, span_id}) once',
    make: () => pinoVariant({ sink: 'file' }),
  },
  'pino-null': {
    lib: 'pino',
    describe: 'same, destination /dev/null',
    make: () => pinoVariant({ sink: 'null' }),
  },
  'pino-file-redact': {
    lib: 'pino',
    describe: `pino-file + redact: ${JSON.stringify(PINO_REDACT_PATHS)}`,
    make: () => pinoVariant({ sink: 'file', redact: true }),
  },
  'pino-noop': {
    lib: 'pino',
    describe: 'same, to a { write() {} } stream (no I/O: serialization cost only)',
    make: () => pinoVariant({ sink: 'noop' }),
  },
  'pino-noop-redact': {
    lib: 'pino',
    describe: 'pino-noop + the same redact paths',
    make: () => pinoVariant({ sink: 'noop', redact: true }),
  },
  'winston-file': {
    lib: 'winston',
    describe:
      'winston File transport, format combine(timestamp(), json()); trace fields on each call',
    make: () => winstonVariant({ sink: 'file' }),
  },
  'winston-null': {
    lib: 'winston',
    describe: 'same, Stream transport to a no-op Writable',
    make: () => winstonVariant({ sink: 'null' }),
  },
  'threadline-file': {
    lib: 'threadline',
    describe:
      'fileExporter({ gzip: false, maxSizeBytes: 0, rotateDaily: false }), default redaction (keys + value patterns)',
    make: () => threadlineVariant({ sink: 'file' }),
  },
  'threadline-file-keys-only': {
    lib: 'threadline',
    describe: 'threadline-file with redact: { patterns: false } (key-based redaction only)',
    make: () => threadlineVariant({ sink: 'file', redact: { patterns: false } }),
  },
  'threadline-file-noredact': {
    lib: 'threadline',
    describe: 'threadline-file with redact: false',
    make: () => threadlineVariant({ sink: 'file', redact: false }),
  },
  'threadline-null': {
    lib: 'threadline',
    describe: 'no-op exporter that receives the serialized lines; default redaction',
    make: () => threadlineVariant({ sink: 'null' }),
  },
  'threadline-null-keys-only': {
    lib: 'threadline',
    describe: 'threadline-null with redact: { patterns: false }',
    make: () => threadlineVariant({ sink: 'null', redact: { patterns: false } }),
  },
  'threadline-null-noredact': {
    lib: 'threadline',
    describe: 'threadline-null with redact: false',
    make: () => threadlineVariant({ sink: 'null', redact: false }),
  },
  'baseline-batched': {
    lib: 'baseline',
    describe: 'prefix + JSON.stringify line, fs.writeSync every 64 KiB (practical limit)',
    make: () => baselineVariant({ sink: 'file' }),
  },
  'baseline-null': {
    lib: 'baseline',
    describe: 'the same line built and discarded (serialization cost only)',
    make: () => baselineVariant({ sink: 'null' }),
  },
}

if (process.env.CORE_BEFORE) {
  Object.assign(VARIANTS, {
    'threadline-file@before': {
      lib: 'threadline',
      describe: 'threadline-file on the core build at CORE_BEFORE',
      make: () => threadlineVariant({ sink: 'file', before: true }),
    },
    'threadline-null@before': {
      lib: 'threadline',
      describe: 'threadline-null on the core build at CORE_BEFORE',
      make: () => threadlineVariant({ sink: 'null', before: true }),
    },
  })
}
