import type { CliOutput } from './command.js'

/**
 * Write `chunk` and, when the stream asks for it (`write` returned false), wait for
 * `'drain'` before resolving, so large outputs never pile up in memory.
 */
export async function writeOut(out: CliOutput, chunk: string): Promise<void> {
  if (out.write(chunk) || !out.once) return
  await new Promise<void>((resolve) => out.once!('drain', resolve))
}

// JSON.stringify escapes C0 controls but not DEL, C1 controls (U+0085 among them) or
// U+2028/U+2029, which terminals act on or break lines at.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029]/g

/** One JSON value on one line, with nothing a terminal would act on (still valid JSON). */
export function jsonLine(value: unknown): string {
  const json = JSON.stringify(value) ?? 'null'
  return (
    json.replace(JSON_UNSAFE, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) + '\n'
  )
}

/** Write one JSON value per line. */
export async function writeJsonLines(out: CliOutput, values: readonly unknown[]): Promise<void> {
  for (const v of values) await writeOut(out, jsonLine(v))
}
