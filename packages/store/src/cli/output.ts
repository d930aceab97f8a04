import type { CliOutput } from './command.js'

/**
 * Write `chunk` and, when the stream asks for it (`write` returned false), wait for
 * `'drain'` before resolving, so large outputs never pile up in memory.
 */
export async function writeOut(out: CliOutput, chunk: string): Promise<void> {
  if (out.write(chunk) || !out.once) return
  await new Promise<void>((resolve) => out.once!('drain', resolve))
}

/** Write one JSON value per line. */
export async function writeJsonLines(out: CliOutput, values: readonly unknown[]): Promise<void> {
  for (const v of values) await writeOut(out, JSON.stringify(v) + '\n')
}
